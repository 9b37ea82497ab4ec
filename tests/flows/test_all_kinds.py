"""`monitor` over a 23-source configuration covering every file-based source kind, run twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flows.monitor import monitor
from flows.resources import engine_for
from pantau.settings import load_settings
from sources.registry import SOURCE_KINDS
from storage.models import Alert, Item, Run

pytestmark = pytest.mark.usefixtures("prefect_harness", "fresh_resources")

CONFIG = Path(__file__).parents[1] / "fixtures" / "all_kinds" / "all_kinds.yaml"
NETWORK_ONLY = {"yudistira"}  # needs an API key and a remote endpoint
COUNT_KEYS = {"source", "fetched", "new", "duplicate", "skipped", "error"}


def test_every_kind_is_collected_reported_and_idempotent(tmp_path):
    settings = load_settings(CONFIG, database_url=f"sqlite:///{tmp_path / 'all.db'}")
    config = settings.region_config.model_dump(mode="json")
    names = [s["name"] for s in config["sources"]]
    assert len(names) >= 20
    assert {s["kind"] for s in config["sources"]} == set(SOURCE_KINDS) - NETWORK_ONLY

    first = monitor(database_url=settings.database_url, config=config)
    assert [s["source"] for s in first["per_source"]] == names
    for entry in first["per_source"]:
        assert COUNT_KEYS <= set(entry)
        if not entry["error"]:  # every record read is accounted for exactly once
            assert entry["fetched"] == entry["new"] + entry["duplicate"] + sum(entry["skipped"].values())
    by_name = {s["source"]: s for s in first["per_source"]}
    assert {n for n, s in by_name.items() if s["error"]} == {"rss-empty"}
    assert all(s["new"] + s["duplicate"] > 0 for n, s in by_name.items() if n != "rss-empty")
    assert by_name["social-jsonl"]["skipped"]["malformed"] == 2
    assert by_name["rss-content-encoded"]["skipped"] == {"duplicate_in_batch": 1, "empty_text": 1}
    assert by_name["rss-content-encoded"]["notes"] == {"bad_date": 1}  # that item is kept
    assert first["sources"] == len(names) and first["sources_failed"] == 1
    assert first["new"] > 40 and first["scored"] == first["new"]
    assert first["skipped"] == sum(sum(s["skipped"].values()) for s in first["per_source"])

    # the Prefect state says so too: Completed, named Partial (what the Prefect UI shows)
    state = monitor(database_url=settings.database_url, config=config, return_state=True)
    assert state.is_completed() and state.name == "Partial"
    assert state.message == f"1 of {len(names)} sources failed"
    second = state.result()
    assert [s["source"] for s in second["per_source"]] == names
    assert second["new"] == 0 and second["alerts"] == 0 and second["scored"] == 0
    assert second["silent_sources"] == 0
    with Session(engine_for(settings.database_url)) as s:
        assert s.scalar(select(func.count()).select_from(Item)) == first["new"]
        assert s.scalar(select(func.count()).select_from(Alert)) == first["alerts"]
        runs = s.scalars(select(Run).order_by(Run.id)).all()
        assert [r.status for r in runs] == ["completed", "completed"]
