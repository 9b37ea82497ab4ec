"""The outbox rows of escalations (``notification_deliveries.escalation_id``): claimed in batches per
channel, with what a message needs, and marked with :func:`storage.notifications.mark_sent` /
``mark_failed`` like alert deliveries.

Same guarantee as alerts (at least once): a claim gives the rows a batch id and counts an attempt before
anything is sent; a pending row found with a batch id was interrupted and is claimed again under the same
id. A delivery whose escalation is no longer open (acknowledged or closed in the web app first) is
``dropped``. Claim only under :func:`storage.notifications.channel_lock`; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.columns import as_utc
from storage.escalations import OPEN
from storage.models import Escalation, Item, NotificationDelivery, Organisation
from storage.outbox import claim_rows

SNIPPET_CHARS = 280


@dataclass(frozen=True, slots=True)
class PendingEscalation:
    """One claimed escalation delivery: who sent which item to which organisation, and why."""

    delivery_id: int
    batch_id: str
    attempts: int
    escalation_id: int
    to_organisation: str
    from_user: str
    from_organisation: str | None
    note: str | None
    created_at: datetime
    item_id: int
    item_title: str | None
    item_url: str | None
    item_snippet: str | None


def _base(channel: str) -> list[object]:
    return [
        NotificationDelivery.channel == channel,
        NotificationDelivery.status == "pending",
        NotificationDelivery.escalation_id.is_not(None),
    ]


def has_pending(session: Session, channel: str) -> bool:
    """Whether ``channel`` has an escalation delivery waiting (fresh or interrupted)."""
    found = session.execute(select(NotificationDelivery.id).where(*_base(channel)).limit(1)).first()
    return found is not None


def _snippet(text: str | None) -> str | None:
    if not text:
        return None
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1] + "…"


def _candidates(session: Session, channel: str, limit: int, retry_id: str | None) -> list[tuple]:
    query = (
        select(
            NotificationDelivery.id,
            NotificationDelivery.attempts,
            Escalation,
            Organisation.name,
            Item.title,
            Item.url,
            Item.text,
        )
        .join(Escalation, Escalation.id == NotificationDelivery.escalation_id)
        .join(Organisation, Organisation.id == Escalation.to_organisation_id)
        .join(Item, Item.id == Escalation.item_id)
        .where(*_base(channel), Escalation.status == OPEN)
        .order_by(Escalation.created_at, Escalation.id)
    )
    if retry_id is not None:
        query = query.where(NotificationDelivery.batch_id == retry_id)
    else:
        query = query.where(NotificationDelivery.batch_id.is_(None)).limit(limit)
    return [tuple(row) for row in session.execute(query)]


def claim_batch(
    session: Session, channel: str, limit: int, *, max_attempts: int | None = None
) -> list[PendingEscalation]:
    """The next escalation batch of ``channel`` (an interrupted one first, under its id); counts an attempt
    per row. Empty list: nothing left to send."""
    not_open = select(Escalation.id).where(
        Escalation.id == NotificationDelivery.escalation_id, Escalation.status != OPEN
    )
    session.execute(
        update(NotificationDelivery)
        .where(*_base(channel), not_open.exists())
        .values(status="dropped", last_error="escalation no longer open")
    )
    claim = claim_rows(
        session,
        _base(channel),
        lambda retry_id: _candidates(session, channel, limit, retry_id),
        max_attempts=max_attempts,
    )
    if claim is None:
        return []
    claim_id, rows = claim
    return [
        PendingEscalation(
            delivery_id=d_id,
            batch_id=claim_id,
            attempts=attempts + 1,
            escalation_id=e.id,
            to_organisation=org,
            from_user=e.user_name,
            from_organisation=e.organisation,
            note=e.note,
            created_at=as_utc(e.created_at),
            item_id=e.item_id,
            item_title=title,
            item_url=url,
            item_snippet=_snippet(text),
        )
        for d_id, attempts, e, org, title, url, text in rows
    ]
