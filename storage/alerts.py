"""Alerts (idempotent on a dedupe key, with status history), reviews (append-only) and alert queries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, insert, select
from sqlalchemy.orm import Session, aliased

from storage.columns import as_utc, utcnow
from storage.dialect import upsert_insert
from storage.errors import InvalidValueError, RecordNotFoundError
from storage.models import ALERT_KINDS, ALERT_STATUSES, SEVERITIES, Alert, AlertEvent, Item, Review, Source

SNIPPET_CHARS = 280
SYSTEM_ACTOR = "pantau"
_ALERT_FIELDS = frozenset(
    {
        "kind",
        "severity",
        "reason",
        "dedupe_key",
        "signal",
        "item_id",
        "claim_id",
        "source_id",
        "stage",
        "district",
        "details",
    }
)
_LOOKUP_CHUNK = 400  # dedupe keys per IN (...) lookup


@dataclass(frozen=True, slots=True)
class AlertView:
    """An alert with what a reviewer needs to judge it: the item's title, URL and a text snippet, and
    the source's name (the alert's own source, else the item's first source)."""

    id: int
    kind: str
    signal: str | None
    severity: str
    status: str
    reason: str
    stage: str | None
    district: str | None
    item_id: int | None
    claim_id: int | None
    source_id: int | None
    details: dict[str, Any]
    dedupe_key: str
    created_at: datetime
    updated_at: datetime
    item_title: str | None
    item_url: str | None
    item_snippet: str | None
    source_name: str | None


def _check(field: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InvalidValueError(field, value, allowed)


def raise_alert(
    session: Session,
    *,
    kind: str,
    severity: str,
    reason: str,
    dedupe_key: str,
    signal: str | None = None,
    item_id: int | None = None,
    claim_id: int | None = None,
    source_id: int | None = None,
    stage: str | None = None,
    district: str | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> tuple[int, bool]:
    """Open an alert unless one with ``dedupe_key`` exists; returns (alert id, created?).

    An existing alert is returned unchanged whatever its status (a resolved alert is not reopened:
    put a time window or version in the key to raise a new one). Creation is recorded as an AlertEvent.
    """
    _check("alert kind", kind, ALERT_KINDS)
    _check("severity", severity, SEVERITIES)
    now = as_utc(now) if now else utcnow()
    stmt = (
        upsert_insert(session, Alert.__table__)
        .values(
            kind=kind,
            signal=signal,
            item_id=item_id,
            claim_id=claim_id,
            source_id=source_id,
            severity=severity,
            stage=stage,
            district=district,
            status="open",
            reason=reason,
            details=details or {},
            dedupe_key=dedupe_key,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    alert_id = session.execute(stmt.returning(Alert.id)).scalar_one_or_none()
    if alert_id is None:
        existing = session.execute(select(Alert.id).where(Alert.dedupe_key == dedupe_key)).scalar_one()
        return existing, False
    session.add(
        AlertEvent(
            alert_id=alert_id, at=now, from_status=None, to_status="open", actor=SYSTEM_ACTOR, note=reason
        )
    )
    session.flush()
    return alert_id, True


def raise_alerts(
    session: Session, alerts: Sequence[Mapping[str, Any]], *, now: datetime | None = None
) -> list[tuple[int, bool]]:
    """:func:`raise_alert` for many alerts in a few statements; returns (alert id, created?) per input.

    Each mapping holds :func:`raise_alert`'s keyword arguments (``kind``, ``severity``, ``reason``,
    ``dedupe_key`` and optionally ``signal``, ``item_id``, ``claim_id``, ``source_id``, ``stage``,
    ``district``, ``details``). A dedupe key repeated in the input is created at most once (its first
    occurrence); an existing alert is returned unchanged, as by :func:`raise_alert`.
    """
    now = as_utc(now) if now else utcnow()
    rows: dict[str, dict[str, Any]] = {}
    for alert in alerts:
        unknown = set(alert) - _ALERT_FIELDS
        if unknown:
            raise InvalidValueError("alert field", sorted(unknown), tuple(sorted(_ALERT_FIELDS)))
        _check("alert kind", alert["kind"], ALERT_KINDS)
        _check("severity", alert["severity"], SEVERITIES)
        rows.setdefault(
            alert["dedupe_key"],
            {
                "signal": None,
                "item_id": None,
                "claim_id": None,
                "source_id": None,
                "stage": None,
                "district": None,
                **alert,
                "details": alert.get("details") or {},
                "status": "open",
                "created_at": now,
                "updated_at": now,
            },
        )
    created: dict[str, int] = {}
    values = list(rows.values())
    if values:
        stmt = upsert_insert(session, Alert.__table__).on_conflict_do_nothing(index_elements=["dedupe_key"])
        created.update(
            (key, alert_id)
            for alert_id, key in session.execute(stmt.returning(Alert.id, Alert.dedupe_key), values)
        )
    existing: dict[str, int] = {}
    others = [key for key in rows if key not in created]
    for start in range(0, len(others), _LOOKUP_CHUNK):
        chunk = others[start : start + _LOOKUP_CHUNK]
        existing.update(
            (key, alert_id)
            for alert_id, key in session.execute(
                select(Alert.id, Alert.dedupe_key).where(Alert.dedupe_key.in_(chunk))
            )
        )
    if created:
        events = [
            {
                "alert_id": alert_id,
                "at": now,
                "from_status": None,
                "to_status": "open",
                "actor": SYSTEM_ACTOR,
                "note": rows[key]["reason"],
            }
            for key, alert_id in created.items()
        ]
        session.execute(insert(AlertEvent), events)
    out: list[tuple[int, bool]] = []
    first: set[str] = set()
    for alert in alerts:
        key = alert["dedupe_key"]
        is_new = key in created and key not in first
        first.add(key)
        out.append((created[key] if key in created else existing[key], is_new))
    return out


def set_alert_status(
    session: Session,
    alert_id: int,
    status: str,
    *,
    actor: str,
    note: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Move an alert to ``status`` and record an AlertEvent; returns False if it already had it."""
    _check("alert status", status, ALERT_STATUSES)
    alert = session.get(Alert, alert_id, with_for_update=True)
    if alert is None:
        raise RecordNotFoundError("alert", alert_id)
    if alert.status == status:
        return False
    now = as_utc(now) if now else utcnow()
    session.add(
        AlertEvent(
            alert_id=alert_id, at=now, from_status=alert.status, to_status=status, actor=actor, note=note
        )
    )
    alert.status = status
    alert.updated_at = now
    session.flush()
    return True


def add_review(
    session: Session,
    *,
    user: str,
    action: str,
    item_id: int | None = None,
    alert_id: int | None = None,
    organisation: str | None = None,
    verdict: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> int:
    """Append a review of an item and/or an alert; returns its id. Reviews are never changed."""
    if item_id is None and alert_id is None:
        raise InvalidValueError("review target", None, ("item_id", "alert_id"))
    review = Review(
        item_id=item_id,
        alert_id=alert_id,
        user=user,
        organisation=organisation,
        action=action,
        verdict=verdict,
        note=note,
        created_at=as_utc(now) if now else utcnow(),
    )
    session.add(review)
    session.flush()
    return review.id


def alert_history(session: Session, alert_id: int) -> list[AlertEvent]:
    """The status changes of an alert, oldest first."""
    stmt = select(AlertEvent).where(AlertEvent.alert_id == alert_id).order_by(AlertEvent.at, AlertEvent.id)
    return list(session.scalars(stmt))


def _as_tuple(value: str | Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def query_alerts(
    session: Session,
    *,
    signal: str | None = None,
    stage: str | None = None,
    district: str | None = None,
    since: datetime | None = None,
    status: str | Iterable[str] | None = None,
    kind: str | Iterable[str] | None = None,
    limit: int = 100,
) -> list[AlertView]:
    """Alerts matching every filter given, most severe first, then newest first.

    ``since`` keeps alerts created at or after it; ``status`` and ``kind`` accept one value or several.
    """
    rank = case({name: i for i, name in enumerate(SEVERITIES)}, value=Alert.severity, else_=-1)
    alert_source = aliased(Source)
    item_source = aliased(Source)
    stmt = (
        select(Alert, Item.title, Item.url, Item.text, alert_source.name, item_source.name)
        .outerjoin(Item, Item.id == Alert.item_id)
        .outerjoin(alert_source, alert_source.id == Alert.source_id)
        .outerjoin(item_source, item_source.id == Item.source_id)
        .order_by(rank.desc(), Alert.created_at.desc(), Alert.id.desc())
        .limit(limit)
    )
    if signal is not None:
        stmt = stmt.where(Alert.signal == signal)
    if stage is not None:
        stmt = stmt.where(Alert.stage == stage)
    if district is not None:
        stmt = stmt.where(Alert.district == district)
    if since is not None:
        stmt = stmt.where(Alert.created_at >= as_utc(since))
    if status is not None:
        stmt = stmt.where(Alert.status.in_(_as_tuple(status)))
    if kind is not None:
        stmt = stmt.where(Alert.kind.in_(_as_tuple(kind)))
    return [_view(*row) for row in session.execute(stmt)]


def _view(
    alert: Alert,
    title: str | None,
    url: str | None,
    text: str | None,
    alert_source_name: str | None,
    item_source_name: str | None,
) -> AlertView:
    snippet = None
    if text is not None:
        snippet = text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 1].rstrip() + "…"
    return AlertView(
        id=alert.id,
        kind=alert.kind,
        signal=alert.signal,
        severity=alert.severity,
        status=alert.status,
        reason=alert.reason,
        stage=alert.stage,
        district=alert.district,
        item_id=alert.item_id,
        claim_id=alert.claim_id,
        source_id=alert.source_id,
        details=dict(alert.details or {}),
        dedupe_key=alert.dedupe_key,
        created_at=alert.created_at,
        updated_at=alert.updated_at,
        item_title=title,
        item_url=url,
        item_snippet=snippet,
        source_name=alert_source_name or item_source_name,
    )
