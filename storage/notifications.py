"""The notification outbox: which alerts go to which channel, claimed in batches and marked sent or failed.

One ``notification_deliveries`` row per (alert, channel), so queueing is idempotent and safe for
concurrent runs (``INSERT ... ON CONFLICT DO NOTHING``). Only open alerts at or above a severity, of the
allowed kinds and created after ``since`` are queued: the dispatcher passes ``now - max_age``, so a newly
added channel receives at most ``max_age`` of backlog, never the whole alert history. A claim gives a
batch of pending rows one ``batch_id`` and counts an attempt *before* anything is sent (the caller
commits); a batch found pending with a ``batch_id`` was interrupted or failed and is claimed again under
the same id, so a receiver can de-duplicate (delivery is at least once). :func:`channel_lock` keeps one
dispatcher per channel. Functions take a Session; the caller commits.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, func, literal, select, text, update
from sqlalchemy.orm import Session

from storage.columns import as_utc, utcnow
from storage.dialect import upsert_insert
from storage.errors import InvalidValueError
from storage.models import ALERT_KINDS, SEVERITIES, Alert, Item, NotificationDelivery, Source

SNIPPET_CHARS = 280
_MAX_CLAIM_ROUNDS = 20


@dataclass(frozen=True, slots=True)
class PendingNotification:
    """One claimed delivery with the alert data a message needs (item title, URL and text snippet)."""

    delivery_id: int
    batch_id: str
    attempts: int
    alert_id: int
    kind: str
    signal: str | None
    severity: str
    stage: str | None
    district: str | None
    reason: str
    created_at: datetime
    item_id: int | None
    item_title: str | None
    item_url: str | None
    item_snippet: str | None
    source_name: str | None


def severities_at_or_above(min_severity: str) -> tuple[str, ...]:
    """The severities from ``min_severity`` up (SEVERITIES is ascending)."""
    if min_severity not in SEVERITIES:
        raise InvalidValueError("severity", min_severity, SEVERITIES)
    return SEVERITIES[SEVERITIES.index(min_severity) :]


def enqueue(
    session: Session,
    channels: Iterable[str],
    min_severity: str,
    kinds: Sequence[str] | None,
    since: datetime | None = None,
    *,
    now: datetime | None = None,
) -> int:
    """Queue one pending delivery per (open alert >= ``min_severity`` of ``kinds``, channel) not yet queued.

    ``kinds`` None means every kind; ``since`` (inclusive) bounds the alerts' ``created_at``. Returns the
    number of rows inserted (rows already in the outbox, whatever their status, are left alone).
    """
    wanted = severities_at_or_above(min_severity)
    for kind in kinds or ():
        if kind not in ALERT_KINDS:
            raise InvalidValueError("alert kind", kind, ALERT_KINDS)
    now = as_utc(now) if now else utcnow()
    inserted = 0
    for channel in channels:
        query = select(
            Alert.id,
            literal(channel),
            literal("pending"),
            literal(0),
            literal(now, type_=NotificationDelivery.__table__.c.created_at.type),
        ).where(Alert.status == "open", Alert.severity.in_(wanted))
        if kinds is not None:
            query = query.where(Alert.kind.in_(list(kinds)))
        if since is not None:
            query = query.where(Alert.created_at >= as_utc(since))
        stmt = (
            upsert_insert(session, NotificationDelivery.__table__)
            .from_select(
                ["alert_id", "channel", "status", "attempts", "created_at"],
                query,
            )
            .on_conflict_do_nothing(index_elements=["alert_id", "channel"])
        )
        inserted += len(session.execute(stmt.returning(NotificationDelivery.id)).all())
    session.flush()
    return inserted


def claim_batch(
    session: Session,
    channel: str,
    limit: int,
    *,
    max_attempts: int | None = None,
    batch_id: str | None = None,
) -> list[PendingNotification]:
    """The next batch to send on ``channel``: an interrupted batch first (same ``batch_id``), else up to
    ``limit`` of the oldest fresh pending deliveries under a new id. Counts one attempt per row.

    A pending row with a batch id is taken as interrupted, so claim only while holding
    :func:`channel_lock` (one dispatcher per channel); commit the claim before sending.

    Deliveries whose alert is no longer open are marked ``dropped`` and skipped; an interrupted batch
    that already used ``max_attempts`` is marked ``failed``. Empty list: nothing left to send.
    """
    closed_alert = select(Alert.id).where(Alert.id == NotificationDelivery.alert_id, Alert.status != "open")
    session.execute(
        update(NotificationDelivery)
        .where(
            NotificationDelivery.channel == channel,
            NotificationDelivery.status == "pending",
            closed_alert.exists(),
        )
        .values(status="dropped", last_error="alert no longer open")
    )
    for _ in range(_MAX_CLAIM_ROUNDS):
        retry_id = session.execute(
            select(NotificationDelivery.batch_id)
            .where(
                NotificationDelivery.channel == channel,
                NotificationDelivery.status == "pending",
                NotificationDelivery.batch_id.is_not(None),
                NotificationDelivery.alert_id.is_not(None),
            )
            .order_by(NotificationDelivery.id)
            .limit(1)
        ).scalar_one_or_none()
        rows = _candidates(session, channel, limit, retry_id)
        if not rows:
            return []
        live = rows
        if retry_id is not None and max_attempts is not None:
            spent = [r.delivery_id for r in live if r.attempts >= max_attempts]
            if spent:
                _set_status(
                    session,
                    spent,
                    "failed",
                    f"gave up after {max_attempts} attempts (interrupted during send)",
                )
                live = [r for r in live if r.attempts < max_attempts]
        if not live:
            continue
        claim_id = retry_id or batch_id or uuid.uuid4().hex
        stmt = (
            update(NotificationDelivery)
            .where(
                NotificationDelivery.id.in_([r.delivery_id for r in live]),
                NotificationDelivery.status == "pending",
            )
            .values(batch_id=claim_id, attempts=NotificationDelivery.attempts + 1)
            .returning(NotificationDelivery.id)
        )
        stmt = stmt.where(
            NotificationDelivery.batch_id == retry_id
            if retry_id is not None
            else NotificationDelivery.batch_id.is_(None)
        )
        claimed = set(session.execute(stmt).scalars())
        session.flush()
        if claimed:
            return [_view(r, claim_id) for r in live if r.delivery_id in claimed]
    return []


@dataclass(frozen=True, slots=True)
class _Row:
    delivery_id: int
    attempts: int
    alert: Alert
    item_title: str | None
    item_url: str | None
    item_text: str | None
    source_name: str | None


def _candidates(session: Session, channel: str, limit: int, retry_id: str | None) -> list[_Row]:
    item_source = select(Item.id, Item.title, Item.url, Item.text).subquery()
    query = (
        select(
            NotificationDelivery.id,
            NotificationDelivery.attempts,
            Alert,
            item_source.c.title,
            item_source.c.url,
            item_source.c.text,
            Source.name,
        )
        .join(Alert, Alert.id == NotificationDelivery.alert_id)
        .outerjoin(item_source, item_source.c.id == Alert.item_id)
        .outerjoin(Source, Source.id == Alert.source_id)
        .where(
            NotificationDelivery.channel == channel,
            NotificationDelivery.status == "pending",
            Alert.status == "open",
        )
    )
    if retry_id is not None:
        query = query.where(NotificationDelivery.batch_id == retry_id).order_by(Alert.created_at, Alert.id)
    else:
        query = (
            query.where(NotificationDelivery.batch_id.is_(None))
            .order_by(Alert.created_at, Alert.id)
            .limit(limit)
        )
    return [
        _Row(d_id, attempts, alert, title, url, body, source)
        for d_id, attempts, alert, title, url, body, source in session.execute(query)
    ]


def _view(row: _Row, batch_id: str) -> PendingNotification:
    a = row.alert
    snippet = None
    if row.item_text:
        flat = " ".join(row.item_text.split())
        snippet = flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1] + "…"
    return PendingNotification(
        delivery_id=row.delivery_id,
        batch_id=batch_id,
        attempts=row.attempts + 1,
        alert_id=a.id,
        kind=a.kind,
        signal=a.signal,
        severity=a.severity,
        stage=a.stage,
        district=a.district,
        reason=a.reason,
        created_at=as_utc(a.created_at),
        item_id=a.item_id,
        item_title=row.item_title,
        item_url=row.item_url,
        item_snippet=snippet,
        source_name=row.source_name,
    )


def _set_status(session: Session, ids: Sequence[int], status: str, error: str | None) -> int:
    result = session.execute(
        update(NotificationDelivery)
        .where(NotificationDelivery.id.in_(list(ids)), NotificationDelivery.status == "pending")
        .values(status=status, last_error=error)
    )
    return result.rowcount


def mark_sent(session: Session, ids: Sequence[int], batch_id: str, at: datetime) -> int:
    """Mark the claimed deliveries ``ids`` of ``batch_id`` as sent at ``at``; returns how many changed."""
    if not ids:
        return 0
    result = session.execute(
        update(NotificationDelivery)
        .where(NotificationDelivery.id.in_(list(ids)), NotificationDelivery.status == "pending")
        .values(status="sent", sent_at=as_utc(at), batch_id=batch_id, last_error=None)
    )
    session.flush()
    return result.rowcount


def mark_failed(session: Session, ids: Sequence[int], error: str, at: datetime, max_attempts: int) -> int:
    """Record a failed send of ``ids``: back to pending (same batch id) while attempts < ``max_attempts``,
    then ``failed``. ``error`` is kept in ``last_error`` with the time. Returns how many became failed."""
    if not ids:
        return 0
    note = f"{as_utc(at).isoformat(timespec='seconds')}: {error}"
    rows = list(ids)
    session.execute(
        update(NotificationDelivery)
        .where(NotificationDelivery.id.in_(rows), NotificationDelivery.status == "pending")
        .values(last_error=note)
    )
    result = session.execute(
        update(NotificationDelivery)
        .where(
            NotificationDelivery.id.in_(rows),
            NotificationDelivery.status == "pending",
            NotificationDelivery.attempts >= max_attempts,
        )
        .values(status="failed")
    )
    session.flush()
    return result.rowcount


def batches_sent_since(session: Session, channel: str, since: datetime) -> int:
    """How many messages (distinct batches) ``channel`` sent at or after ``since``: the rate limit's debt."""
    return session.execute(
        select(func.count(func.distinct(NotificationDelivery.batch_id))).where(
            NotificationDelivery.channel == channel,
            NotificationDelivery.status == "sent",
            NotificationDelivery.sent_at >= as_utc(since),
        )
    ).scalar_one()


def has_pending(session: Session, channel: str) -> bool:
    """Whether ``channel`` has any pending alert delivery (fresh or interrupted; escalations:
    storage.escalation_outbox)."""
    return (
        session.execute(
            select(NotificationDelivery.id)
            .where(
                NotificationDelivery.channel == channel,
                NotificationDelivery.status == "pending",
                NotificationDelivery.alert_id.is_not(None),
            )
            .limit(1)
        ).first()
        is not None
    )


def oldest_fresh_pending(session: Session, channel: str) -> datetime | None:
    """The creation time of the oldest open alert waiting (unclaimed) on ``channel``, if any."""
    value = session.execute(
        select(func.min(Alert.created_at))
        .join(NotificationDelivery, NotificationDelivery.alert_id == Alert.id)
        .where(
            NotificationDelivery.channel == channel,
            NotificationDelivery.status == "pending",
            NotificationDelivery.batch_id.is_(None),
            Alert.status == "open",
        )
    ).scalar_one_or_none()
    return as_utc(value) if value is not None else None


def delivery_counts(session: Session, channel: str | None = None) -> dict[str, int]:
    """Deliveries by status, for one channel or all."""
    query = select(NotificationDelivery.status, func.count()).group_by(NotificationDelivery.status)
    if channel is not None:
        query = query.where(NotificationDelivery.channel == channel)
    return {status: n for status, n in session.execute(query)}


@contextmanager
def channel_lock(engine: Engine, channel: str) -> Iterator[bool]:
    """Try to become the only dispatcher of ``channel``; yields whether the lock was taken (no waiting).

    PostgreSQL: a session advisory lock on a connection held for the block (keyed by schema and
    channel). SQLite: an ``flock`` on a file beside the database. Both are released by the operating
    system or the server when the process dies, so a killed dispatcher never blocks the next one.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            key = "select hashtext(current_schema() || ':' || :channel)"
            lock_key = conn.execute(text(key), {"channel": channel}).scalar_one()
            taken = conn.execute(text("select pg_try_advisory_lock(:k)"), {"k": lock_key}).scalar_one()
            conn.commit()
            try:
                yield bool(taken)
            finally:
                if taken:
                    conn.execute(text("select pg_advisory_unlock(:k)"), {"k": lock_key})
                    conn.commit()
        return
    database = engine.url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        yield True
        return
    digest = hashlib.sha256(channel.encode()).hexdigest()[:12]
    path = Path(database).expanduser().with_name(f"{Path(database).name}.notify-{digest}.lock")
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
