"""Claim de-duplication of alerts (storage.alert_dedupe) on SQLite and PostgreSQL: one open alert per
claim, kind and signal; folds recorded in the trail; idempotent; reviewers' alerts untouched;
concurrent folders leave one survivor."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from storage import claims as claim_store
from storage import repository as repo
from storage.alert_dedupe import fold_claim_alerts
from storage.alerts import alert_history, raise_alert, set_alert_status
from storage.db import session_factory
from storage.models import Alert, AlertEvent

T0 = datetime(2024, 11, 27, 3, 0, tzinfo=UTC)


def _flag(session, item_id, signal, minutes):
    return raise_alert(
        session,
        kind="flagged_item",
        severity="medium",
        reason=f"{signal} flagged",
        dedupe_key=f"flagged_item:{item_id}:{signal}",
        signal=signal,
        item_id=item_id,
        details={"probability": 0.9},
        now=T0 + timedelta(minutes=minutes),
    )[0]


def _claim_with_alerts(session, sources, new_item, first: int, n: int, signals=("hoax",)):
    """A claim of ``n`` items (numbered from ``first``), each with an alert per signal; returns
    (claim id, item ids, {signal: alert ids in raising order})."""
    items = [new_item(first + k, text=f"TPS {first + k} di Omben dibakar") for k in range(n)]
    ids = repo.upsert_items(session, sources["social"], None, items).ids
    claim_id = claim_store.create_claim(session, "TPS di Omben dibakar")
    claim_store.assign_items(session, claim_id, ids)
    alerts = {s: [_flag(session, i, s, k) for k, i in enumerate(ids)] for s in signals}
    session.commit()
    return claim_id, ids, alerts


def _rows(session):
    session.expire_all()
    return [
        (a.id, a.status, a.claim_id, a.details, a.updated_at)
        for a in session.scalars(select(Alert).order_by(Alert.id))
    ]


def test_fold_keeps_the_oldest_open_alert_per_signal(session, sources, new_item):
    claim_id, ids, alerts = _claim_with_alerts(session, sources, new_item, 1, 4, signals=("hoax", "sara"))
    known = raise_alert(
        session,
        kind="known_hoax",
        severity="medium",
        reason="known hoax",
        dedupe_key=f"known_hoax:{ids[2]}",
        item_id=ids[2],
        claim_id=claim_id,
    )[0]
    outside = repo.upsert_items(session, sources["social"], None, [new_item(99)]).ids[0]
    loner = _flag(session, outside, "hoax", 0)
    session.commit()

    assert fold_claim_alerts(session, now=T0 + timedelta(hours=1)) == 6  # 3 hoax + 3 sara
    session.commit()
    for signal in ("hoax", "sara"):
        survivor, *folded = (session.get(Alert, i) for i in alerts[signal])
        assert survivor.status == "open" and survivor.claim_id == claim_id
        assert survivor.details == {"probability": 0.9, "claim_items": 4, "item_ids": ids}
        for alert in folded:
            assert alert.status == "resolved" and alert.claim_id == claim_id
            assert alert.details == {"probability": 0.9, "folded_into": survivor.id}
            last = alert_history(session, alert.id)[-1]
            assert (last.from_status, last.to_status, last.actor, last.note) == (
                "open",
                "resolved",
                "pantau",
                f"same claim as alert {survivor.id}",
            )
            assert last.at == T0 + timedelta(hours=1)
    assert session.get(Alert, known).status == "open"  # the only known_hoax alert of its claim
    assert session.get(Alert, known).details == {"claim_items": 1, "item_ids": [ids[2]]}
    assert session.get(Alert, loner).status == "open" and session.get(Alert, loner).claim_id is None


def test_folding_twice_changes_nothing(session, sources, new_item):
    _claim_with_alerts(session, sources, new_item, 1, 3)
    assert fold_claim_alerts(session) == 2
    session.commit()
    before = _rows(session)
    events = session.scalar(select(func.count()).select_from(AlertEvent))
    assert fold_claim_alerts(session) == 0
    session.commit()
    assert _rows(session) == before
    assert session.scalar(select(func.count()).select_from(AlertEvent)) == events


def test_a_new_member_folds_into_the_existing_survivor(session, sources, new_item):
    claim_id, ids, alerts = _claim_with_alerts(session, sources, new_item, 1, 2)
    fold_claim_alerts(session)
    later = repo.upsert_items(session, sources["social"], None, [new_item(50)]).ids[0]
    claim_store.assign_items(session, claim_id, [later])
    new_alert = _flag(session, later, "hoax", 30)
    assert fold_claim_alerts(session) == 1
    session.commit()
    survivor = session.get(Alert, alerts["hoax"][0])
    assert survivor.details["claim_items"] == 3 and survivor.details["item_ids"] == [*ids, later]
    assert session.get(Alert, new_alert).details["folded_into"] == survivor.id


def test_reviewed_alerts_are_never_folded(session, sources, new_item):
    _, _, alerts = _claim_with_alerts(session, sources, new_item, 1, 5)
    acked, dismissed, resolved, first_open, second_open = alerts["hoax"]
    set_alert_status(session, acked, "acknowledged", actor="rina")
    set_alert_status(session, dismissed, "dismissed", actor="rina")
    set_alert_status(session, resolved, "resolved", actor="rina")
    session.commit()
    reviewed = [r for r in _rows(session) if r[0] in (acked, dismissed, resolved)]
    assert fold_claim_alerts(session) == 1
    session.commit()
    assert [r for r in _rows(session) if r[0] in (acked, dismissed, resolved)] == reviewed
    assert session.get(Alert, first_open).status == "open"  # the oldest OPEN one survives
    assert session.get(Alert, first_open).details["claim_items"] == 5
    assert session.get(Alert, second_open).details["folded_into"] == first_open


def test_only_the_given_claims(session, sources, new_item):
    first, _, first_alerts = _claim_with_alerts(session, sources, new_item, 1, 2)
    _, _, second_alerts = _claim_with_alerts(session, sources, new_item, 10, 2)
    assert fold_claim_alerts(session, claim_ids=[]) == 0
    assert fold_claim_alerts(session, claim_ids=[first]) == 1
    session.commit()
    assert session.get(Alert, first_alerts["hoax"][1]).status == "resolved"
    assert session.get(Alert, second_alerts["hoax"][1]).status == "open"


def test_concurrent_folders_leave_one_survivor(engine, session, sources, new_item):
    claims = [
        _claim_with_alerts(session, sources, new_item, 100 * c, 6, signals=("hoax", "sara"))
        for c in range(1, 4)
    ]
    Session = session_factory(engine)
    folders = 4
    barrier = threading.Barrier(folders)
    folded: list[int] = []
    errors: list[BaseException] = []

    def fold() -> None:
        try:
            barrier.wait()
            with Session() as s:
                n = fold_claim_alerts(s)
                s.commit()
            folded.append(n)
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=fold) for _ in range(folders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sum(folded) == 3 * 2 * 5  # every fold done once, by whichever folder got there first
    session.expire_all()
    for _, _, alerts in claims:
        for ids in alerts.values():
            rows = [session.get(Alert, i) for i in ids]
            assert [a.status for a in rows] == ["open"] + ["resolved"] * 5
            assert all(a.details["folded_into"] == ids[0] for a in rows[1:])
            for a in rows[1:]:
                assert [e.to_status for e in alert_history(session, a.id)] == ["open", "resolved"]
