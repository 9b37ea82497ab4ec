"""Claim de-duplication: the open alerts of one claim's items fold into one alert per kind and signal.

A claim (``items.claim_id``, set by the matching step) repeated by twenty posts would otherwise raise
twenty ``flagged_item`` alerts per signal (and twenty ``known_hoax`` alerts). Per claim, kind and signal,
the oldest OPEN alert (lowest id) stays open as the claim's alert: its ``claim_id`` is set, and its
details get ``claim_items`` (how many member items have an alert of that kind and signal, whatever its
status) and ``item_ids`` (the first 50). Every other open alert of the group is marked folded: its
details get ``folded_into`` = the survivor's id, and it moves to ``resolved`` through
:func:`storage.alerts.set_alert_status` (actor ``pantau``, note "same claim as alert N"), so the trail
records it and notifications, which send open alerts only, never send it. Alerts a reviewer has
acknowledged, resolved or dismissed are never touched, nor chosen as survivors.

Idempotent (a second call changes nothing) and safe with concurrent callers: folders are serialised
(a transaction-scoped advisory lock on PostgreSQL, the write lock taken first on SQLite) and the
group's rows are re-read under ``FOR UPDATE``, so a reviewer's concurrent status change is respected
and the survivor (lowest open id) is the same for everyone. Whether to fold at all
(``alerts.dedupe_claims``) is the caller's decision.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from storage.alerts import SYSTEM_ACTOR, set_alert_status
from storage.models import Alert, Item

FOLDED_KINDS = ("flagged_item", "known_hoax")
MAX_ITEM_IDS = 50
_PG_FOLD_LOCK = (7_461_636, 2)  # pg_advisory_xact_lock(namespace, key) for folders


def _serialise_folders(session: Session) -> None:
    """Make concurrent folders run one after another, each seeing the other's committed folds."""
    backend = session.get_bind().dialect.name
    if backend == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:ns, :key)"), {"ns": _PG_FOLD_LOCK[0], "key": _PG_FOLD_LOCK[1]}
        )
    elif backend == "sqlite":
        # A write that changes nothing opens the write transaction now (waiting for the busy timeout),
        # so every read below sees the latest committed state and no other writer runs meanwhile.
        session.execute(text("UPDATE alerts SET id = id WHERE 0"))


def fold_claim_alerts(
    session: Session, claim_ids: Iterable[int] | None = None, *, now: datetime | None = None
) -> int:
    """Fold the open alerts of each claim (or only of ``claim_ids``); return how many were folded."""
    wanted = None if claim_ids is None else sorted(set(claim_ids))
    if wanted is not None and not wanted:
        return 0
    _serialise_folders(session)
    stmt = (
        select(Alert.id, Item.claim_id, Alert.kind, Alert.signal)
        .join(Item, Item.id == Alert.item_id)
        .where(Alert.kind.in_(FOLDED_KINDS), Alert.status == "open", Item.claim_id.is_not(None))
        .order_by(Alert.id)
    )
    if wanted is not None:
        stmt = stmt.where(Item.claim_id.in_(wanted))
    groups: dict[tuple[int, str, str | None], list[int]] = defaultdict(list)
    for alert_id, claim_id, kind, signal in session.execute(stmt):
        groups[(claim_id, kind, signal)].append(alert_id)
    folded = 0
    for (claim_id, kind, signal), ids in sorted(groups.items(), key=lambda g: g[1][0]):
        folded += _fold_group(session, claim_id, kind, signal, ids, now)
    session.flush()
    return folded


def _fold_group(
    session: Session, claim_id: int, kind: str, signal: str | None, ids: list[int], now: datetime | None
) -> int:
    locked = session.scalars(
        select(Alert)
        .where(Alert.id.in_(ids))
        .order_by(Alert.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    still_open = [a for a in locked if a.status == "open"]
    if not still_open:
        return 0
    survivor, others = still_open[0], still_open[1:]
    members = _alerted_members(session, claim_id, kind, signal)
    details = {**(survivor.details or {}), "claim_items": len(members), "item_ids": members[:MAX_ITEM_IDS]}
    if survivor.claim_id != claim_id:
        survivor.claim_id = claim_id
    if survivor.details != details:
        survivor.details = details
    for alert in others:
        alert.claim_id = claim_id
        alert.details = {**(alert.details or {}), "folded_into": survivor.id}
        set_alert_status(
            session,
            alert.id,
            "resolved",
            actor=SYSTEM_ACTOR,
            note=f"same claim as alert {survivor.id}",
            now=now,
        )
    return len(others)


def _alerted_members(session: Session, claim_id: int, kind: str, signal: str | None) -> list[int]:
    """Ids of the claim's items with an alert of this kind and signal (any status), ascending."""
    stmt = (
        select(Alert.item_id)
        .distinct()
        .join(Item, Item.id == Alert.item_id)
        .where(
            Item.claim_id == claim_id,
            Alert.kind == kind,
            Alert.signal.is_(None) if signal is None else Alert.signal == signal,
        )
        .order_by(Alert.item_id)
    )
    return list(session.scalars(stmt))
