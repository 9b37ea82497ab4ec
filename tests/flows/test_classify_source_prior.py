"""The monitoring run applies the hoax source prior of the region config (bundled list + own domains)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from classifiers import load_classifier
from classifiers.source_prior import SourcePrior, shift_probability
from flows import steps
from flows.resources import engine_for
from pantau.domain.config import SourceConfig, SourcePriorConfig
from pantau.domain.records import CollectedItem
from storage import repository as repo
from storage.models import Score

pytestmark = pytest.mark.usefixtures("fresh_resources")

TEXT = (
    "INFO PENTING!!! Kotak suara TPS 3 Omben sudah dicoblos semalam untuk paslon 02. "
    "Sebarkan sebelum dihapus!"
)
URL = "https://maduranews.example/2024/11/26/kotak-suara"


def _stored_hoax(db_url: str, config: dict) -> float:
    with Session(engine_for(db_url)) as session, session.begin():
        ids = repo.sync_sources(session, [SourceConfig.model_validate(s) for s in config["sources"]])
        stored = repo.upsert_items(
            session, ids["news"], None, [CollectedItem(source="news", text=TEXT, url=URL)]
        ).ids
    steps.classify_batch(db_url, None, config, stored)
    with Session(engine_for(db_url)) as session:
        return session.scalars(select(Score.scores).where(Score.item_id == stored[0])).one()["hoax"]


def test_a_configured_verified_outlet_lowers_the_stored_hoax_score(db_url):
    config = {
        "sources": [{"name": "news", "kind": "rss", "location": "news.xml"}],
        "source_prior": {"verified_outlets": ["maduranews.example"], "verified_outlet_shift": -2.0},
    }
    stored = _stored_hoax(db_url, config)
    unlisted = SourcePrior.from_config(SourcePriorConfig(use_bundled=False))
    raw = load_classifier().score([{"text": TEXT, "url": URL}], source_prior=unlisted)[0].scores["hoax"]
    assert raw > 0.5  # a chain message: the text model alone calls it a hoax
    assert stored == pytest.approx(shift_probability(raw, -2.0), abs=1e-3)
