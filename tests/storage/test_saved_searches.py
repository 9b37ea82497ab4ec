"""Saved searches on SQLite and PostgreSQL: what is new to a search (the watermarks), each match
recorded and notified once (a second scan, a late commit, two scans at once), owners only, paused
searches, and the outbox rows of notices."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import accounts, saved_search_outbox
from storage import saved_searches as ss
from storage.alerts import raise_alert
from storage.db import session_factory
from storage.errors import InvalidValueError, RecordNotFoundError
from storage.models import Alert, NotificationDelivery, SavedSearch, SavedSearchMatch, SavedSearchNotice
from storage.notifications import mark_sent
from storage.repository import upsert_items

T0 = datetime(2024, 11, 26, 3, 0, tzinfo=UTC)
TZ = "Asia/Jakarta"
HOAX_OMBEN = {"signal": "hoax", "district": "Omben"}


def route(organisation: str) -> list[str]:
    return {"Bawaslu Sampang": ["webhook:bawaslu"], "Polres Sampang": ["telegram:polres"]}.get(
        organisation, []
    )


@pytest.fixture
def world(session: Session, sources, new_item):
    """Two organisations with one analyst each, and a function raising an alert on a new item."""
    orgs = {n: accounts.ensure_organisation(session, n) for n in ("Bawaslu Sampang", "Polres Sampang")}
    users = {
        "rina": accounts.create_user(session, "rina", "x" * 20, "analyst", orgs["Bawaslu Sampang"]),
        "budi": accounts.create_user(session, "budi", "x" * 20, "analyst", orgs["Bawaslu Sampang"]),
        "agus": accounts.create_user(session, "agus", "x" * 20, "analyst", orgs["Polres Sampang"]),
    }
    session.commit()
    counter = iter(range(1, 10_000))

    def alert(signal: str = "hoax", district: str = "Omben", text: str | None = None, **extra) -> int:
        n = next(counter)
        item_id = upsert_items(session, sources["kabar-a"], None, [new_item(n, text=text)]).ids[0]
        alert_id, _ = raise_alert(
            session,
            kind="flagged_item",
            severity="high",
            reason=f"{signal} 0.90: uji",
            dedupe_key=f"flagged_item:{item_id}:{signal}",
            signal=signal,
            item_id=item_id,
            district=district,
            now=T0 + timedelta(minutes=n),
            **extra,
        )
        session.commit()
        return alert_id

    return users, alert


def _scan(session: Session, saved_id: int) -> ss.ScanResult:
    result = ss.scan(session, saved_id, TZ, route, now=T0 + timedelta(hours=1))
    session.commit()
    return result


def test_only_alerts_after_saving_are_new_and_a_second_scan_finds_nothing(session, world):
    users, alert = world
    before = alert()
    saved = ss.create(session, users["rina"], "  Hoaks   di Omben ", HOAX_OMBEN, now=T0)
    session.commit()
    fresh = alert()
    alert(signal="vote_buying")  # another signal
    alert(district="Torjun")  # another district
    first = _scan(session, saved)
    assert (first.matched, first.new_ids, first.queued) == (1, [fresh], 1)
    notice = session.get(SavedSearchNotice, first.notice_id)
    assert (notice.organisation, notice.match_count) == ("Bawaslu Sampang", 1)
    [delivery] = session.scalars(
        select(NotificationDelivery).where(NotificationDelivery.notice_id == notice.id)
    )
    assert (delivery.channel, delivery.status, delivery.alert_id) == ("webhook:bawaslu", "pending", None)
    assert before not in first.new_ids

    again = _scan(session, saved)  # reads the last scan's alerts once more (the lag), records nothing
    assert (again.matched, again.notice_id) == (0, None) and again.read >= 1
    third = _scan(session, saved)
    assert (third.matched, third.read) == (0, 0)  # the floor has passed every alert now
    row = session.get(SavedSearch, saved)
    session.refresh(row)
    assert row.name == "Hoaks di Omben" and row.watermark == row.high_water == ss.top_alert_id(session)
    assert session.scalar(select(func.count()).select_from(SavedSearchNotice)) == 1


def test_an_alert_committed_late_below_the_high_water_is_found_by_the_next_scan(session, world):
    """PostgreSQL hands out ids before commit: alert 5001 may become visible after 5002 was scanned."""
    users, alert = world
    saved = ss.create(session, users["rina"], "Hoaks", {"signal": "hoax"}, now=T0)
    session.commit()

    def at(alert_id: int) -> None:
        session.add(
            Alert(
                id=alert_id,
                kind="flagged_item",
                signal="hoax",
                severity="high",
                status="open",
                reason="hoax",
                details={},
                dedupe_key=f"late:{alert_id}",
                created_at=T0,
                updated_at=T0,
            )
        )
        session.commit()

    at(5002)
    assert _scan(session, saved).new_ids == [5002]
    at(5001)  # committed late
    assert _scan(session, saved).new_ids == [5001]
    assert _scan(session, saved).matched == 0
    pairs = session.scalars(
        select(SavedSearchMatch.alert_id).where(SavedSearchMatch.saved_search_id == saved)
    )
    assert sorted(pairs) == [5001, 5002]


def test_two_scans_at_once_notify_each_alert_once(engine, session, world):
    users, alert = world
    saved = ss.create(session, users["rina"], "Hoaks", {"signal": "hoax"}, now=T0)
    session.commit()
    wanted = sorted(alert() for _ in range(5))
    make = session_factory(engine)
    start = threading.Barrier(3)
    results: list[ss.ScanResult] = []
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            with make() as own:
                start.wait()
                results.append(ss.scan(own, saved, TZ, route, now=T0))
                own.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not failures
    assert sorted(a for r in results for a in r.new_ids) == wanted
    assert [r.matched for r in results if r.matched] == [5]  # one scan found all five, the others none
    assert session.scalar(select(func.count()).select_from(SavedSearchNotice)) == 1
    assert session.scalar(select(func.count()).select_from(NotificationDelivery)) == 1


def test_text_query_and_dates_use_the_alerts_page_filters(session, world):
    users, alert = world
    saved = ss.create(session, users["rina"], "Amplop", {"q": "amplop", "since": "2024-11-26"}, now=T0)
    session.commit()
    hit = alert(signal="vote_buying", text="Ada bagi-bagi amplop di Omben malam ini.")
    alert(signal="vote_buying", text="Kampanye damai di Omben.")
    assert _scan(session, saved).new_ids == [hit]
    with pytest.raises(InvalidValueError):
        ss.alert_filters({"since": "26-11-2024"}, TZ)
    assert ss.alert_filters({"until": "2024-11-26"}, TZ).until == datetime(2024, 11, 26, 17, 0, tzinfo=UTC)


def test_only_the_owner_changes_a_search_and_only_the_owner_sees_it_as_seen(session, world):
    users, alert = world
    saved = ss.create(session, users["rina"], "Hoaks", {"signal": "hoax"}, now=T0)
    session.commit()
    alert()
    alert()
    _scan(session, saved)
    assert ss.unseen_count(session, users["rina"]) == 2 and ss.unseen_count(session, users["budi"]) == 0
    for change in (
        lambda: ss.rename(session, saved, users["budi"], "punya budi"),
        lambda: ss.set_notify(session, saved, users["agus"], False),
        lambda: ss.delete(session, saved, users["budi"]),
    ):
        with pytest.raises(ss.NotOwnerError):
            change()
    assert ss.mark_seen(session, saved, users["budi"]) == 0  # a colleague opening it changes nothing
    assert ss.unseen_count(session, users["rina"]) == 2
    shared = ss.visible_to(session, users["budi"], ss.get(session, saved).organisation_id)
    assert [(v.id, v.username, v.unseen) for v in shared] == [(saved, "rina", 2)]
    assert ss.visible_to(session, users["agus"], ss.get(session, saved).organisation_id + 1) == []
    assert ss.mark_seen(session, saved, users["rina"]) == 2
    assert ss.unseen_count(session, users["rina"]) == 0
    with pytest.raises(InvalidValueError):
        ss.rename(session, saved, users["rina"], "   ")
    ss.delete(session, saved, users["rina"])
    session.commit()
    with pytest.raises(RecordNotFoundError):
        ss.get(session, saved)
    assert session.scalar(select(func.count()).select_from(SavedSearchMatch)) == 0
    assert session.scalar(select(func.count()).select_from(NotificationDelivery)) == 0


def test_a_paused_search_counts_matches_without_a_notice_and_drops_a_queued_one(session, world):
    users, alert = world
    saved = ss.create(session, users["agus"], "Ancaman", {"signal": "violence_threat"}, now=T0)
    session.commit()
    alert(signal="violence_threat")
    queued = _scan(session, saved)
    assert queued.queued == 1
    ss.set_notify(session, saved, users["agus"], False)
    session.commit()
    alert(signal="violence_threat")
    paused = _scan(session, saved)
    assert (paused.matched, paused.notice_id) == (1, None)
    assert ss.unseen_count(session, users["agus"]) == 2
    assert saved_search_outbox.claim_batch(session, "telegram:polres", 10) == []
    session.commit()
    status = session.scalar(
        select(NotificationDelivery.status).where(NotificationDelivery.notice_id.is_not(None))
    )
    assert status == "dropped"


def test_the_outbox_claims_a_notice_with_its_first_matches_once(session, world, monkeypatch):
    monkeypatch.setattr(ss, "FIRST_PAGE", 2)  # the five new alerts are read over three pages
    monkeypatch.setattr(ss, "SCAN_PAGE", 3)
    users, alert = world
    saved = ss.create(session, users["rina"], "<b>Hoaks</b> Omben", HOAX_OMBEN, now=T0)
    session.commit()
    ids = [alert() for _ in range(5)]
    _scan(session, saved)
    assert saved_search_outbox.has_pending(session, "webhook:bawaslu")
    assert not saved_search_outbox.has_pending(session, "telegram:polres")
    [pending] = saved_search_outbox.claim_batch(session, "webhook:bawaslu", 10, max_attempts=3)
    assert (pending.name, pending.owner, pending.organisation) == (
        "<b>Hoaks</b> Omben",
        "rina",
        "Bawaslu Sampang",
    )
    assert pending.match_count == 5 and pending.query == HOAX_OMBEN and pending.attempts == 1
    assert [m.alert_id for m in pending.matches] == sorted(ids, reverse=True)[
        : saved_search_outbox.PREVIEW_MATCHES
    ]
    assert pending.matches[0].snippet.startswith("Berita")
    mark_sent(session, [pending.delivery_id], pending.batch_id, T0)
    session.commit()
    assert saved_search_outbox.claim_batch(session, "webhook:bawaslu", 10) == []


def test_a_search_saved_from_the_item_search_matches_new_items_alerted_or_not(
    session, world, sources, new_item
):
    users, alert = world
    with pytest.raises(InvalidValueError):  # the item search needs words
        ss.create(session, users["rina"], "Tanpa kata", {"district": "Omben"}, view="search")
    old = upsert_items(session, sources["kabar-a"], None, [new_item(900, text="Amplop lama di Omben.")]).ids[
        0
    ]
    saved = ss.create(session, users["rina"], "Amplop", {"q": "amplop"}, view="search", now=T0)
    session.commit()
    assert session.get(SavedSearch, saved).watermark == old
    fresh = upsert_items(
        session, sources["kabar-a"], None, [new_item(901, text="Bagi-bagi amplop di Torjun.")]
    ).ids
    upsert_items(session, sources["kabar-a"], None, [new_item(902, text="Kampanye damai.")])
    session.commit()
    first = _scan(session, saved)
    assert first.new_ids == fresh and first.queued == 1  # item ids
    [pending] = saved_search_outbox.claim_batch(session, "webhook:bawaslu", 10)
    assert [(m.alert_id, m.item_id) for m in pending.matches] == [(None, fresh[0])]
    assert pending.matches[0].snippet == "Berita 901" and pending.view == "search"
    assert _scan(session, saved).matched == 0
