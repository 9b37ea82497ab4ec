"""The monitoring run gives the rules the place names of its region config (region, districts)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from flows import steps
from flows.resources import classifier_for, engine_for
from pantau.domain.config import PantauConfig, SourceConfig
from pantau.domain.records import CollectedItem
from storage import repository as repo
from storage.models import Score

pytestmark = pytest.mark.usefixtures("fresh_resources")

THREAT = "Kalian pendukung paslon 02 jangan pulang lagi ke Pademawu!"
SOURCES = [{"name": "posts", "kind": "social_export", "location": "posts.jsonl"}]
PAMEKASAN = {
    "region": "Pamekasan",
    "place_words": ["Madura"],
    "sources": SOURCES,
    "districts": [{"name": "Pademawu"}, {"name": "Proppo"}],
}
SAMPANG = {"region": "Sampang", "sources": SOURCES, "districts": [{"name": "Camplong"}]}


def _stored_violence(db_url: str, config: dict) -> float:
    with Session(engine_for(db_url)) as session, session.begin():
        ids = repo.sync_sources(session, [SourceConfig.model_validate(s) for s in config["sources"]])
        stored = repo.upsert_items(
            session, ids["posts"], None, [CollectedItem(source="posts", text=THREAT)]
        ).ids
    assert steps.pending_item_ids(db_url, None, PantauConfig.model_validate(config)) == stored
    steps.classify_batch(db_url, None, config, stored)
    with Session(engine_for(db_url)) as session:
        scores = session.scalars(select(Score.scores).where(Score.item_id == stored[0])).one()
    return scores["violence_threat"]


def test_a_banishment_naming_a_district_of_the_config_is_a_threat(db_url):
    assert _stored_violence(db_url, PAMEKASAN) >= 0.5
    # one model per model folder and places: the pending list and the batch shared it
    assert classifier_for(None, ["Pamekasan", "Madura", "Pademawu", "Proppo"]).places == (
        "Pamekasan",
        "Madura",
        "Pademawu",
        "Proppo",
    )
    assert classifier_for(None, ["Pamekasan", "Madura", "Pademawu", "Proppo"]) is classifier_for(
        None, ("Pamekasan", "Madura", "Pademawu", "Proppo")
    )


def test_the_same_text_is_no_threat_for_a_region_that_has_no_such_place(db_url):
    assert _stored_violence(db_url, SAMPANG) < 0.5
