"""Runs and source health: start, finish, summaries; sources synced from configuration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from pantau.domain.config import SourceConfig
from storage.errors import InvalidValueError
from storage.models import Source
from storage.repository import (
    finish_run,
    latest_runs,
    record_source_result,
    run_summary,
    start_run,
    sync_sources,
    upsert_items,
)

T0 = datetime(2024, 11, 27, 0, 0, tzinfo=UTC)


def test_sync_sources_inserts_then_updates(session, sources):
    again = sync_sources(
        session,
        [
            SourceConfig(
                name="kabar-a", kind="rss", location="https://a.example/rss2", trust=0.8, enabled=False
            ),
            SourceConfig(name="tipline", kind="tipline", location="tips.jsonl"),
        ],
    )
    session.commit()
    assert again["kabar-a"] == sources["kabar-a"] and again["tipline"] not in sources.values()
    a = session.scalars(select(Source).where(Source.name == "kabar-a")).one()
    assert (a.location, a.trust, a.enabled) == ("https://a.example/rss2", 0.8, False)
    assert len(session.scalars(select(Source)).all()) == 4


def test_run_lifecycle_and_summary(session, sources, new_item):
    run = start_run(session, "flow-123", now=T0)
    upsert_items(session, sources["kabar-a"], run, [new_item(1), new_item(2)])
    upsert_items(session, sources["kabar-b"], run, [new_item(2)])
    finish_run(
        session,
        run,
        status="completed",
        counts={"fetched": 3, "skipped": {"malformed": 1}},
        now=T0 + timedelta(seconds=90),
    )
    session.commit()
    summary = run_summary(session, run)
    assert summary["status"] == "completed" and summary["flow_run_id"] == "flow-123"
    assert summary["counts"] == {"fetched": 3, "skipped": {"malformed": 1}}
    assert summary["duration_seconds"] == 90.0 and summary["started_at"] == T0
    assert (summary["items_new"], summary["items_seen"]) == (2, 3)

    failed = start_run(session, now=T0 + timedelta(hours=1))
    finish_run(session, failed, status="failed", counts={}, error="database went away")
    session.commit()
    latest = latest_runs(session, 5)
    assert [r["id"] for r in latest] == [failed, run]
    assert latest[0]["error"] == "database went away" and latest[1]["items_seen"] == 3
    with pytest.raises(InvalidValueError):
        finish_run(session, run, status="running", counts={})


def test_record_source_result(session, sources):
    sid = sources["kabar-b"]
    record_source_result(session, sid, ok=True, item_count=12, error=None, at=T0)
    record_source_result(session, sid, ok=False, item_count=0, error="HTTP 503", at=T0 + timedelta(hours=1))
    session.commit()
    source = session.get(Source, sid)
    assert (source.last_success_at, source.last_error_at, source.last_error, source.last_item_count) == (
        T0,
        T0 + timedelta(hours=1),
        "HTTP 503",
        0,
    )
