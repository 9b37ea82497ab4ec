"""The notification outbox on SQLite and PostgreSQL: filtering, the backlog bound, claims, retries, locks."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from storage.db import make_engine, session_factory
from storage.errors import InvalidValueError
from storage.models import NotificationDelivery
from storage.notifications import (
    batches_sent_since,
    channel_lock,
    claim_batch,
    delivery_counts,
    enqueue,
    mark_failed,
    mark_sent,
    oldest_fresh_pending,
)
from storage.repository import raise_alert, set_alert_status, upsert_items

T0 = datetime(2024, 11, 24, 3, 0, tzinfo=UTC)
TG = "telegram:-1001"


def _alert(session, n, *, severity="high", kind="flagged_item", item_id=None, at=T0):
    alert_id, _ = raise_alert(
        session,
        kind=kind,
        severity=severity,
        reason=f"hoax 0.9{n % 10}",
        dedupe_key=f"k{n}",
        signal="hoax",
        item_id=item_id,
        district="Omben",
        now=at + timedelta(seconds=n),
    )
    return alert_id


def _rows(session):
    return {(d.alert_id, d.channel): d for d in session.scalars(select(NotificationDelivery))}


def test_enqueue_filters_by_severity_kind_status_and_age(session):
    high = _alert(session, 1)
    _alert(session, 2, severity="medium")
    critical_spike = _alert(session, 3, severity="critical", kind="spike")
    resolved = _alert(session, 4)
    old = _alert(session, 5, at=T0 - timedelta(days=30))
    set_alert_status(session, resolved, "resolved", actor="rina")
    assert enqueue(session, [TG, "webhook:ab"], "high", None, since=T0 - timedelta(hours=6), now=T0) == 4
    session.commit()
    assert set(_rows(session)) == {
        (high, TG),
        (critical_spike, TG),
        (high, "webhook:ab"),
        (critical_spike, "webhook:ab"),
    }
    assert old not in {a for a, _ in _rows(session)}
    # queueing again adds nothing; a kind filter restricts a new channel
    assert enqueue(session, [TG, "webhook:ab"], "high", None, now=T0) == 2  # the old alert: no `since`
    assert enqueue(session, ["webhook:cd"], "low", ["spike"], now=T0) == 1
    with pytest.raises(InvalidValueError):
        enqueue(session, [TG], "urgent", None)
    with pytest.raises(InvalidValueError):
        enqueue(session, [TG], "high", ["flagged"])


def test_claim_gives_oldest_first_with_item_data_and_drops_closed_alerts(session, sources, new_item):
    item = upsert_items(
        session, sources["social"], None, [new_item(1, title="Hoaks <b>surat suara</b>", text="kata " * 200)]
    ).ids[0]
    ids = [_alert(session, n, item_id=item if n == 0 else None) for n in range(5)]
    enqueue(session, [TG], "high", None)
    set_alert_status(session, ids[1], "dismissed", actor="rina")
    session.commit()
    assert oldest_fresh_pending(session, TG) == T0

    batch = claim_batch(session, TG, 3)
    session.commit()
    assert [p.alert_id for p in batch] == [ids[0], ids[2], ids[3]]
    assert len({p.batch_id for p in batch}) == 1 and all(p.attempts == 1 for p in batch)
    first = batch[0]
    assert (
        first.item_title == "Hoaks <b>surat suara</b>" and first.item_url == "https://news.example/berita/1"
    )
    assert len(first.item_snippet) == 280 and first.district == "Omben" and first.created_at == T0
    rows = _rows(session)
    assert rows[(ids[1], TG)].status == "dropped"
    # the claimed batch is not handed out as fresh again: after it is sent, the rest follows
    mark_sent(session, [p.delivery_id for p in batch], batch[0].batch_id, T0 + timedelta(minutes=1))
    rest = claim_batch(session, TG, 3)
    assert [p.alert_id for p in rest] == [ids[4]] and rest[0].batch_id != batch[0].batch_id
    assert claim_batch(session, "webhook:none", 3) == []
    assert batches_sent_since(session, TG, T0) == 1
    assert batches_sent_since(session, TG, T0 + timedelta(minutes=2)) == 0


def test_failed_batch_is_retried_under_the_same_id_until_max_attempts(session):
    ids = [_alert(session, n) for n in range(3)]
    enqueue(session, [TG], "high", None)
    batch = claim_batch(session, TG, 2)
    delivery_ids = [p.delivery_id for p in batch]
    assert mark_failed(session, delivery_ids, "HTTP 502 from Telegram", T0, max_attempts=2) == 0
    session.commit()
    assert oldest_fresh_pending(session, TG) == T0 + timedelta(seconds=2)  # only the unclaimed one

    again = claim_batch(session, TG, 2)  # the interrupted batch comes first, with its id
    assert [p.alert_id for p in again] == ids[:2]
    assert {p.batch_id for p in again} == {batch[0].batch_id} and again[0].attempts == 2
    assert mark_failed(session, delivery_ids, "HTTP 502 from Telegram", T0, max_attempts=2) == 2
    session.commit()
    rows = _rows(session)
    assert rows[(ids[0], TG)].status == "failed"
    assert rows[(ids[0], TG)].last_error == "2024-11-24T03:00:00+00:00: HTTP 502 from Telegram"
    assert [p.alert_id for p in claim_batch(session, TG, 2)] == [ids[2]]
    assert delivery_counts(session, TG) == {"failed": 2, "pending": 1}


def test_interrupted_batch_gives_up_after_max_attempts(session):
    _alert(session, 1)
    enqueue(session, [TG], "high", None)
    for _ in range(2):  # claimed, then the process died before marking: stays pending with its id
        assert len(claim_batch(session, TG, 5, max_attempts=2)) == 1
    assert claim_batch(session, TG, 5, max_attempts=2) == []
    session.commit()
    [row] = _rows(session).values()
    assert row.status == "failed" and "gave up after 2 attempts" in row.last_error


def test_concurrent_enqueue_makes_no_duplicates(engine, session):
    for n in range(60):
        _alert(session, n)
    session.commit()
    make = session_factory(engine)
    errors: list[BaseException] = []
    inserted: list[int] = []
    barrier = threading.Barrier(4)

    def work():
        try:
            with make() as s:
                barrier.wait()
                inserted.append(enqueue(s, [TG, "webhook:ab"], "high", None))
                s.commit()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    session.expire_all()
    assert delivery_counts(session) == {"pending": 120} and sum(inserted) == 120
    assert len(_rows(session)) == 120


def test_channel_lock_admits_one_dispatcher(engine, db_url):
    other = make_engine(db_url)
    try:
        with channel_lock(engine, TG) as first:
            with channel_lock(other, TG) as second, channel_lock(other, "webhook:ab") as third:
                assert (first, second, third) == (True, False, True)
        with channel_lock(other, TG) as again:
            assert again
    finally:
        other.dispose()
