"""Alerts are deduplicated and keep a status history; reviews are append-only in the database itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage.alerts import alert_history
from storage.errors import InvalidValueError, RecordNotFoundError
from storage.repository import add_review, query_alerts, raise_alert, set_alert_status, upsert_items

T0 = datetime(2024, 11, 24, 3, 0, tzinfo=UTC)


def test_raise_alert_is_idempotent_on_dedupe_key(session, sources, new_item):
    item_id = upsert_items(session, sources["social"], None, [new_item(1)]).ids[0]
    first = raise_alert(
        session,
        kind="flagged_item",
        severity="high",
        reason="hoax 0.91",
        dedupe_key=f"flagged:{item_id}:hoax",
        signal="hoax",
        item_id=item_id,
        stage="quiet_period",
        district="Omben",
        details={"score": 0.91},
        now=T0,
    )
    again = raise_alert(
        session,
        kind="flagged_item",
        severity="critical",
        reason="hoax 0.95",
        dedupe_key=f"flagged:{item_id}:hoax",
        signal="hoax",
        item_id=item_id,
    )
    session.commit()
    assert first[1] is True and again == (first[0], False)
    [view] = query_alerts(session)
    assert (view.severity, view.reason, view.details, view.created_at) == (
        "high",
        "hoax 0.91",
        {"score": 0.91},
        T0,
    )
    assert [(e.from_status, e.to_status) for e in alert_history(session, first[0])] == [(None, "open")]


def test_status_changes_are_recorded(session):
    alert_id, _ = raise_alert(
        session,
        kind="silent_source",
        severity="low",
        reason="no items for 2 days",
        dedupe_key="silent:kabar-a:2024-11-24",
        now=T0,
    )
    assert set_alert_status(
        session, alert_id, "acknowledged", actor="rina@kabar", now=T0 + timedelta(hours=1)
    )
    assert not set_alert_status(session, alert_id, "acknowledged", actor="rina@kabar")
    assert set_alert_status(
        session,
        alert_id,
        "resolved",
        actor="rina@kabar",
        note="feed back online",
        now=T0 + timedelta(hours=2),
    )
    session.commit()
    history = alert_history(session, alert_id)
    assert [(e.from_status, e.to_status, e.actor) for e in history] == [
        (None, "open", "pantau"),
        ("open", "acknowledged", "rina@kabar"),
        ("acknowledged", "resolved", "rina@kabar"),
    ]
    assert history[-1].note == "feed back online"
    [view] = query_alerts(session)
    assert view.status == "resolved" and view.updated_at == T0 + timedelta(hours=2)
    with pytest.raises(InvalidValueError):
        set_alert_status(session, alert_id, "closed", actor="x")
    with pytest.raises(RecordNotFoundError):
        set_alert_status(session, 9999, "resolved", actor="x")
    with pytest.raises(InvalidValueError):
        raise_alert(session, kind="flagged_item", severity="urgent", reason="r", dedupe_key="k")


def test_query_alerts_filters_and_order(session, sources, new_item):
    items = upsert_items(session, sources["kabar-a"], None, [new_item(1, text="x" * 400), new_item(2)]).ids
    specs = [  # (key, kind, severity, signal, stage, district, item, source, minutes after T0)
        ("a", "flagged_item", "medium", "hoax", "campaign", "Omben", items[0], None, 0),
        ("b", "flagged_item", "critical", "violence_threat", "quiet_period", "Omben", items[1], None, 10),
        ("c", "spike", "high", "hoax", "quiet_period", "Camplong", None, None, 20),
        ("d", "silent_source", "low", None, None, None, None, sources["kabar-b"], 30),
        ("e", "flagged_item", "high", "hoax", "quiet_period", "Omben", items[1], None, 40),
    ]
    ids = {}
    for key, kind, severity, signal, stage, district, item_id, source_id, minutes in specs:
        ids[key], _ = raise_alert(
            session,
            kind=kind,
            severity=severity,
            reason=f"alert {key}",
            dedupe_key=key,
            signal=signal,
            stage=stage,
            district=district,
            item_id=item_id,
            source_id=source_id,
            now=T0 + timedelta(minutes=minutes),
        )
    set_alert_status(session, ids["c"], "dismissed", actor="analyst")
    session.commit()

    def keys(**filters):
        return [v.dedupe_key for v in query_alerts(session, **filters)]

    assert keys() == ["b", "e", "c", "a", "d"]  # most severe first, then newest
    assert keys(signal="hoax") == ["e", "c", "a"]
    assert keys(stage="quiet_period", district="Omben") == ["b", "e"]
    assert keys(since=T0 + timedelta(minutes=20)) == ["e", "c", "d"]
    assert keys(status="open", kind="flagged_item") == ["b", "e", "a"]
    assert keys(status=["open", "acknowledged"], signal="hoax") == ["e", "a"]
    assert keys(kind=["spike", "silent_source"]) == ["c", "d"]
    assert keys(limit=2) == ["b", "e"]

    by_key = {v.dedupe_key: v for v in query_alerts(session)}
    assert by_key["a"].item_title == "Berita 1" and by_key["a"].source_name == "kabar-a"
    assert by_key["a"].item_url == "https://news.example/berita/1"
    assert len(by_key["a"].item_snippet) <= 280 and by_key["a"].item_snippet.endswith("…")
    assert by_key["d"].source_name == "kabar-b" and by_key["d"].item_title is None
    assert by_key["c"].source_name is None


def test_reviews_are_append_only(engine, session, sources, new_item):
    item_id = upsert_items(session, sources["kabar-a"], None, [new_item(1)]).ids[0]
    alert_id, _ = raise_alert(
        session, kind="flagged_item", severity="high", reason="r", dedupe_key="k", item_id=item_id
    )
    review_id = add_review(
        session,
        item_id=item_id,
        alert_id=alert_id,
        user="rina",
        organisation="Kabar",
        action="verdict",
        verdict="hoax",
        note="checked with KPU",
    )
    session.commit()
    assert review_id > 0
    with pytest.raises(InvalidValueError):
        add_review(session, user="rina", action="comment")

    for statement in (
        "UPDATE reviews SET verdict = 'true' WHERE id = :id",
        "DELETE FROM reviews WHERE id = :id",
    ):
        with engine.connect() as conn:
            with pytest.raises(DBAPIError, match="append-only"):
                conn.execute(text(statement), {"id": review_id})
            conn.rollback()
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT user_name, verdict FROM reviews WHERE id = :id"), {"id": review_id}
        ).one()
    assert tuple(row) == ("rina", "hoax")
