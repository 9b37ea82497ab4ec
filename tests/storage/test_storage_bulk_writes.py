"""The batched writes of the monitoring hot path keep the one-by-one semantics: raise_alerts is
idempotent per dedupe key (within a call and across calls) and records one 'open' event per created
alert; save_scores counts only new scores; upsert_items reports new and duplicate items in input order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from pantau.domain.records import ScoreResult
from storage.alerts import alert_history
from storage.errors import InvalidValueError
from storage.models import Alert, Score
from storage.repository import raise_alert, raise_alerts, save_scores, upsert_items

T0 = datetime(2024, 11, 24, 3, 0, tzinfo=UTC)


def _alert(key: str, **extra):
    return {
        "kind": "flagged_item",
        "severity": "high",
        "reason": f"reason {key}",
        "dedupe_key": key,
        "signal": "hoax",
        **extra,
    }


def test_raise_alerts_matches_raise_alert(session, sources, new_item):
    item_id = upsert_items(session, sources["social"], None, [new_item(1)]).ids[0]
    old_id, _ = raise_alert(session, kind="flagged_item", severity="low", reason="old", dedupe_key="k0")
    out = raise_alerts(
        session,
        [
            _alert("k1", item_id=item_id, details={"score": 0.9}, district="Omben"),
            _alert("k0"),
            _alert("k1"),
            _alert("k2", stage="voting_day"),
        ],
        now=T0,
    )
    session.commit()
    assert [created for _, created in out] == [True, False, False, True]
    assert out[1][0] == old_id and out[2][0] == out[0][0] and len({i for i, _ in out}) == 3
    first = session.get(Alert, out[0][0])
    assert (first.item_id, first.details, first.district, first.status, first.created_at) == (
        item_id,
        {"score": 0.9},
        "Omben",
        "open",
        T0,
    )
    assert session.get(Alert, old_id).reason == "old"  # an existing alert is not changed
    assert [(e.to_status, e.note) for e in alert_history(session, out[0][0])] == [("open", "reason k1")]
    assert alert_history(session, old_id)[0].note == "old"
    assert raise_alerts(session, [_alert("k2")]) == [(out[3][0], False)]
    assert raise_alerts(session, []) == []


def test_raise_alerts_rejects_bad_values_before_writing(session):
    with pytest.raises(InvalidValueError):
        raise_alerts(session, [_alert("a"), _alert("b", severity="apocalyptic")])
    with pytest.raises(InvalidValueError):
        raise_alerts(session, [_alert("c", colour="red")])
    assert session.scalar(select(func.count()).select_from(Alert)) == 0


def test_save_scores_counts_only_new_pairs(session, sources, new_item):
    ids = upsert_items(session, sources["social"], None, [new_item(n) for n in range(3)]).ids
    first = ScoreResult(scores={"hoax": 0.8}, flags=["hoax"], lang="ind")
    assert save_scores(session, "v1", [(ids[0], first), (ids[1], first)]) == 2
    other = ScoreResult(scores={"hoax": 0.1}, flags=[], lang="ind")
    assert save_scores(session, "v1", [(i, other) for i in ids]) == 1
    assert save_scores(session, "v1", []) == 0
    session.commit()
    assert session.scalar(select(Score.scores).where(Score.item_id == ids[0])) == {"hoax": 0.8}


def test_upsert_items_orders_new_and_duplicates_like_the_input(session, sources, new_item):
    before = upsert_items(session, sources["kabar-a"], None, [new_item(2), new_item(4)])
    batch = [new_item(1), new_item(4), new_item(3), new_item(2), new_item(1), new_item(5)]
    result = upsert_items(session, sources["kabar-b"], None, batch)
    session.commit()
    assert result.duplicate_ids == [before.ids[1], before.ids[0]]
    assert len(result.new_ids) == 3 and result.new_ids == sorted(result.new_ids)
    assert result.ids == [
        result.new_ids[0],
        before.ids[1],
        result.new_ids[1],
        before.ids[0],
        result.new_ids[0],
        result.new_ids[2],
    ]
    assert result.batch_repeats == 1
