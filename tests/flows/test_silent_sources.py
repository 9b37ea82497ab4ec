"""``steps.check_silent_sources`` on a fake history (sightings and runs dated back), with an injected now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from flows import steps
from flows.resources import engine_for
from pantau.domain.config import SourceConfig
from pantau.domain.records import CollectedItem
from storage import repository as repo
from storage.models import Alert, ItemSighting

pytestmark = pytest.mark.usefixtures("fresh_resources")

NOW = datetime(2024, 11, 25, 12, 0, tzinfo=UTC)


def _item(n: int, source: str) -> CollectedItem:
    return CollectedItem(
        source=source,
        title=f"Berita {n}",
        url=f"https://kabar.example/{n}",
        text=f"Isi berita nomor {n} tentang pilkada Sampang.",
    )


def _history(tmp_path, sources: list[dict]) -> tuple[str, dict]:
    """A database where each source with ``seen_hours_ago`` saw one item that long before NOW."""
    url = f"sqlite:///{tmp_path / 'silent.db'}"
    config = {"sources": [{k: v for k, v in s.items() if k != "seen_hours_ago"} for s in sources]}
    with Session(engine_for(url)) as session, session.begin():
        ids = repo.sync_sources(session, [SourceConfig.model_validate(s) for s in config["sources"]])
        run_id = repo.start_run(session, now=NOW - timedelta(days=5))
        for n, s in enumerate(sources):
            if "seen_hours_ago" in s:
                repo.upsert_items(session, ids[s["name"]], run_id, [_item(n, s["name"])])
                session.execute(
                    update(ItemSighting)
                    .where(ItemSighting.source_id == ids[s["name"]])
                    .values(seen_at=NOW - timedelta(hours=s["seen_hours_ago"]))
                )
        repo.finish_run(session, run_id, status="completed", counts={}, now=NOW - timedelta(days=5))
    return url, config


def _alerts(url: str) -> list[Alert]:
    with Session(engine_for(url)) as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


def test_a_source_quiet_past_its_threshold_raises_one_alert_a_day(tmp_path):
    url, config = _history(
        tmp_path,
        [
            {"name": "kabar-sampang", "kind": "rss", "location": "feed.xml", "seen_hours_ago": 52},
            {"name": "kabar-segar", "kind": "rss", "location": "fresh.xml", "seen_hours_ago": 3},
            {
                "name": "kabar-sabar",
                "kind": "rss",
                "location": "slow.xml",
                "seen_hours_ago": 52,
                "silent_after_hours": 72,
            },
            {
                "name": "kabar-mati",
                "kind": "rss",
                "location": "off.xml",
                "seen_hours_ago": 52,
                "silent_after_hours": None,
            },
            {
                "name": "kabar-libur",
                "kind": "rss",
                "location": "x.xml",
                "seen_hours_ago": 99,
                "enabled": False,
            },
        ],
    )
    created = steps.check_silent_sources(url, config, now=NOW)
    (alert,) = _alerts(url)
    assert created == [alert.id]
    assert alert.kind == "silent_source" and alert.severity == "medium" and alert.source_id
    assert alert.reason == "kabar-sampang yielded no new item for 52 h (threshold 48 h)"
    assert alert.dedupe_key == "silent_source:kabar-sampang:2024-11-25"
    assert steps.check_silent_sources(url, config, now=NOW + timedelta(hours=1)) == []  # same day
    assert len(steps.check_silent_sources(url, config, now=NOW + timedelta(days=1))) == 2  # + sabar


def test_a_fresh_source_raises_nothing(tmp_path):
    url, config = _history(
        tmp_path, [{"name": "kabar-segar", "kind": "rss", "location": "fresh.xml", "seen_hours_ago": 47}]
    )
    assert steps.check_silent_sources(url, config, now=NOW) == []
    assert _alerts(url) == []


def test_a_source_that_never_produced_is_silent_after_two_clean_runs(tmp_path):
    url, config = _history(tmp_path, [{"name": "kosong", "kind": "rss", "location": "empty.xml"}])
    assert steps.check_silent_sources(url, config, now=NOW) == []  # not run yet
    with Session(engine_for(url)) as session, session.begin():
        for days_ago in (4, 3):
            run_id = repo.start_run(session, now=NOW - timedelta(days=days_ago))
            repo.finish_run(
                session,
                run_id,
                status="completed",
                now=NOW - timedelta(days=days_ago),
                counts={"per_source": [{"source": "kosong", "fetched": 0, "error": None}]},
            )
    (alert_id,) = steps.check_silent_sources(url, config, now=NOW)
    (alert,) = _alerts(url)
    assert alert.id == alert_id
    assert alert.reason == "kosong yielded no item in 2 runs since its first, 96 h ago (threshold 48 h)"


def test_merge_counts_counts_silent_alerts():
    counts = steps.merge_counts([], [{"alerts": 2, "by_signal": {"hoax": 2}}], [7])
    assert counts["silent_sources"] == 1 and counts["alerts"] == 3
    assert counts["alerts_by_signal"] == {"hoax": 2, "silent_source": 1}
