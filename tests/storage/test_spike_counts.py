"""Spike counts (storage.spike_counts) on SQLite and PostgreSQL: which flagged items count, in which
district, in the window or the baseline, and the earlier spike windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pantau.domain.config import SpikeConfig
from pantau.domain.spikes import EarlierSpike, PairCount, SpikePeriod
from storage import repository as repo
from storage.alerts import raise_alert, set_alert_status
from storage.spike_counts import coverage_start, earlier_spikes, flagged_counts

NOW = datetime(2024, 11, 27, 10, 0, tzinfo=UTC)
COLLECTED = NOW - timedelta(days=3)
PERIOD = SpikePeriod.ending_at(NOW, SpikeConfig(window="1h", baseline="1d"))


def _store(session, sources, new_item, n, *, published, districts, signals, collected=COLLECTED):
    item_id = repo.upsert_items(
        session, sources["social"], None, [new_item(n, published_at=published)], now=collected
    ).ids[0]
    repo.set_tags(session, [{"id": item_id, "districts": districts}])
    alert_ids = [
        raise_alert(
            session,
            kind="flagged_item",
            severity="medium",
            reason=f"{s} flagged",
            dedupe_key=f"flagged_item:{item_id}:{s}",
            signal=s,
            item_id=item_id,
            district=districts[0] if districts else None,
            now=collected,
        )[0]
        for s in signals
    ]
    return item_id, alert_ids


def test_counts_by_district_signal_and_period(session, sources, new_item):
    mins = lambda m: NOW - timedelta(minutes=m)  # noqa: E731
    a, _ = _store(
        session,
        sources,
        new_item,
        1,
        published=mins(10),
        districts=["Omben", "Torjun"],
        signals=["hoax", "sara"],
    )
    b, _ = _store(session, sources, new_item, 2, published=mins(59), districts=["Omben"], signals=["hoax"])
    _store(session, sources, new_item, 3, published=mins(61), districts=["Omben"], signals=["hoax"])
    _store(session, sources, new_item, 4, published=mins(60 * 24 + 59), districts=["Omben"], signals=["hoax"])
    _store(
        session, sources, new_item, 5, published=mins(60 * 25 + 1), districts=["Omben"], signals=["hoax"]
    )  # before the baseline
    _store(session, sources, new_item, 6, published=NOW, districts=["Omben"], signals=["hoax"])  # at the end
    c, _ = _store(
        session, sources, new_item, 7, published=None, districts=[], signals=["hoax"], collected=mins(5)
    )  # no date: collected_at counts; no district
    dismissed_item, (dismissed,) = _store(
        session, sources, new_item, 8, published=mins(20), districts=["Omben"], signals=["hoax"]
    )
    resolved_item, (resolved,) = _store(
        session, sources, new_item, 9, published=mins(30), districts=["Omben"], signals=["hoax"]
    )
    set_alert_status(session, dismissed, "dismissed", actor="rina")
    set_alert_status(session, resolved, "resolved", actor="rina")
    unflagged = repo.upsert_items(
        session, sources["social"], None, [new_item(10, published_at=mins(1))], now=COLLECTED
    ).ids[0]
    repo.set_tags(session, [{"id": unflagged, "districts": ["Omben"]}])
    session.commit()
    counts = {(p.district, p.signal): p for p in flagged_counts(session, PERIOD)}
    assert list(counts) == [
        (None, "hoax"),
        ("Omben", "hoax"),
        ("Omben", "sara"),
        ("Torjun", "hoax"),
        ("Torjun", "sara"),
    ]
    assert counts[(None, "hoax")] == PairCount(None, "hoax", 1, 0, (c,))
    omben = counts[("Omben", "hoax")]
    assert (omben.count, omben.baseline_count) == (3, 2)  # a, b and the resolved one; items 3 and 4
    assert omben.item_ids == (b, resolved_item, a)  # by item time; the dismissed one is left out
    assert dismissed_item not in omben.item_ids
    assert counts[("Torjun", "hoax")] == PairCount("Torjun", "hoax", 1, 0, (a,))
    assert counts[("Omben", "sara")].count == 1
    assert [
        p.item_ids
        for p in flagged_counts(session, PERIOD, max_item_ids=1)
        if p.district == "Omben" and p.signal == "hoax"
    ] == [(b,)]


def test_coverage_start(session, sources, new_item):
    assert coverage_start(session) is None
    _store(session, sources, new_item, 1, published=None, districts=[], signals=[])
    _store(session, sources, new_item, 2, published=None, districts=[], signals=[], collected=NOW)
    session.commit()
    assert coverage_start(session) == COLLECTED


def test_earlier_spikes(session):
    def spike(district, signal, end, details=None):
        start = end - timedelta(hours=1)
        raise_alert(
            session,
            kind="spike",
            severity="medium",
            reason="spike",
            signal=signal,
            district=district,
            dedupe_key=f"spike:{district}:{signal}:{end.isoformat()}",
            details=details
            if details is not None
            else {"window_start": start.isoformat(), "window_end": end.isoformat()},
            now=end,
        )

    spike("Omben", "hoax", NOW - timedelta(minutes=20))
    spike(None, "sara", NOW - timedelta(minutes=50))
    spike("Omben", "hoax", NOW - timedelta(hours=2))  # created before this window began: not read
    spike("Torjun", "hoax", NOW - timedelta(minutes=5), details={})  # no readable window
    session.commit()
    found = earlier_spikes(session, PERIOD)
    assert found == {
        ("Omben", "hoax"): [EarlierSpike(NOW - timedelta(minutes=80), NOW - timedelta(minutes=20))],
        (None, "sara"): [EarlierSpike(NOW - timedelta(minutes=110), NOW - timedelta(minutes=50))],
    }
