"""The spike step end to end (flows.spike_step.detect_spikes) on SQLite and PostgreSQL, with the
database filled through the repository functions the monitoring cycle uses: a burst in one kecamatan
raises one spike alert, a busy but steady kecamatan raises none, reruns raise nothing new, and a burst
that persists raises its next alert one window later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from flows.resources import engine_for
from flows.spike_step import detect_spikes, fold_claims
from pantau.domain.config import SourceConfig
from pantau.domain.records import CollectedItem
from storage import claims as claim_store
from storage import repository as repo
from storage.alerts import alert_history, raise_alert
from storage.db import session_factory
from storage.models import Alert

NOW = datetime(2024, 11, 27, 10, 20, tzinfo=UTC)
CONFIG = {
    "sources": [{"name": "social", "kind": "social_export", "location": "export.jsonl"}],
    "districts": [{"name": "Omben"}, {"name": "Torjun"}],
    "stages": [
        {"name": "quiet_period", "start": "2024-11-24", "end": "2024-11-26"},
        {"name": "voting_day", "start": "2024-11-27", "end": "2024-11-27"},
    ],
    "alerts": {"spikes": {"window": "1h", "baseline": "2d"}},
}


@pytest.fixture
def flagged(db_url, fresh_resources):
    """A function storing hoax-flagged items of a district at given times, as the cycle does."""
    Session = session_factory(engine_for(db_url))
    with Session() as session:
        source_id = repo.sync_sources(
            session, [SourceConfig(name="social", kind="social_export", location="export.jsonl")]
        )["social"]
        session.commit()
    counter = iter(range(1, 100_000))

    def store(district: str, times: list[datetime]) -> list[int]:
        with Session() as session:
            items = []
            for t in times:
                n = next(counter)
                items.append(
                    CollectedItem(
                        source="social",
                        title=None,
                        url=None,
                        published_at=t,
                        text=f"Kabar {n}: surat suara di {district} sudah dicoblos",
                    )
                )
            collected = min(times) + timedelta(minutes=5)
            ids = repo.upsert_items(session, source_id, None, items, now=collected).ids
            repo.set_tags(session, [{"id": i, "districts": [district]} for i in ids])
            for i in ids:
                raise_alert(
                    session,
                    kind="flagged_item",
                    severity="medium",
                    reason="hoax flagged",
                    dedupe_key=f"flagged_item:{i}:hoax",
                    signal="hoax",
                    item_id=i,
                    district=district,
                )
            session.commit()
            return ids

    return store


def _spikes(db_url):
    with session_factory(engine_for(db_url))() as session:
        return list(session.scalars(select(Alert).where(Alert.kind == "spike").order_by(Alert.id)))


def test_a_burst_raises_one_spike_and_a_steady_district_none(db_url, flagged):
    steady = [NOW - timedelta(minutes=10 * k + 5) for k in range(2 * 24 * 6 + 6)]  # 6 an hour, 2 days
    flagged("Torjun", steady)
    flagged("Omben", [NOW - timedelta(days=1, hours=k) for k in range(2)])  # a quiet history
    burst = flagged("Omben", [NOW - timedelta(minutes=3 * k + 1) for k in range(12)])

    counts = detect_spikes(db_url, CONFIG, now=NOW)
    assert counts == {"checked": 2, "spikes": 1, "raised": 1, "warming_up": 0}
    (alert,) = _spikes(db_url)
    assert (alert.district, alert.signal, alert.status) == ("Omben", "hoax", "open")
    assert alert.stage == "voting_day"
    assert alert.severity == "high" and alert.item_id is None
    assert alert.created_at == NOW
    assert alert.dedupe_key == "spike:Omben:hoax:2024-11-27T10:00:00+00:00"
    assert alert.details["count"] == 12 and alert.details["baseline_count"] == 2
    assert alert.details["expected"] == 2.0 and alert.details["ratio"] == 6.0
    assert sorted(alert.details["item_ids"]) == sorted(burst)
    assert alert.reason.startswith("12 hoax items about Omben in the last 1h, expected 2.0")

    assert detect_spikes(db_url, CONFIG, now=NOW) == {"checked": 2, "spikes": 0, "raised": 0, "warming_up": 0}
    later = NOW + timedelta(minutes=45)  # next bucket, but the window still overlaps the alert's
    assert detect_spikes(db_url, CONFIG, now=later)["raised"] == 0
    with session_factory(engine_for(db_url))() as session:
        assert [e.to_status for e in alert_history(session, alert.id)] == ["open"]


def test_a_persisting_burst_alerts_again_one_window_later(db_url, flagged):
    flagged("Torjun", [NOW - timedelta(days=3)])  # monitoring began three days ago
    flagged("Omben", [NOW - timedelta(minutes=4 * k + 1) for k in range(10)])
    assert detect_spikes(db_url, CONFIG, now=NOW)["raised"] == 1
    flagged("Omben", [NOW + timedelta(minutes=4 * k + 1) for k in range(14)])
    assert detect_spikes(db_url, CONFIG, now=NOW + timedelta(minutes=59))["raised"] == 0
    assert detect_spikes(db_url, CONFIG, now=NOW + timedelta(hours=1))["raised"] == 1
    first, second = _spikes(db_url)
    assert second.details["window_start"] == first.details["window_end"]
    assert second.details["count"] == 14 and second.details["baseline_count"] == 10


def test_disabled_or_empty(db_url, flagged):
    off = {**CONFIG, "alerts": {"spikes": {"enabled": False}}}
    flagged("Omben", [NOW - timedelta(minutes=k + 1) for k in range(30)])
    assert detect_spikes(db_url, off, now=NOW) == {"checked": 0, "spikes": 0, "raised": 0, "warming_up": 0}
    assert _spikes(db_url) == []
    # before anything was collected: no history at all
    assert detect_spikes(db_url, CONFIG, now=NOW - timedelta(days=30)) == {
        "checked": 0,
        "spikes": 0,
        "raised": 0,
        "warming_up": 1,
    }


def test_fold_claims_follows_the_config(db_url, flagged):
    ids = flagged("Omben", [NOW - timedelta(minutes=k + 1) for k in range(3)])
    with session_factory(engine_for(db_url))() as session:
        claim_id = claim_store.create_claim(session, "surat suara sudah dicoblos")
        claim_store.assign_items(session, claim_id, ids)
        session.commit()
    off = {**CONFIG, "alerts": {"dedupe_claims": False}}
    assert fold_claims(db_url, off) == {"folded": 0}
    assert fold_claims(db_url, CONFIG, claim_ids=[claim_id]) == {"folded": 2}
    assert fold_claims(db_url, CONFIG) == {"folded": 0}
    with session_factory(engine_for(db_url))() as session:
        statuses = session.scalars(
            select(Alert.status).where(Alert.kind == "flagged_item").order_by(Alert.id)
        ).all()
    assert statuses == ["open", "resolved", "resolved"]


def test_no_spike_before_the_baseline_covers_min_history(db_url, flagged):
    """A first ingestion (all items collected minutes ago) has no normal rate to compare with."""
    flagged("Omben", [NOW - timedelta(minutes=3 * k + 1) for k in range(12)])
    assert detect_spikes(db_url, CONFIG, now=NOW) == {"checked": 0, "spikes": 0, "raised": 0, "warming_up": 1}
    young = {**CONFIG, "alerts": {"spikes": {"window": "1h", "baseline": "2d", "min_history": "30s"}}}
    assert detect_spikes(db_url, young, now=NOW + timedelta(hours=1))["warming_up"] == 0
    assert _spikes(db_url) == []  # the burst is now an hour old: no longer in the window
