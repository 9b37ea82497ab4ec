"""The claim step shared by the outboxes of escalations and saved-search notices
(``notification_deliveries`` rows with ``escalation_id`` or ``notice_id``).

A claim gives the rows a batch id and counts an attempt before anything is sent; a pending row found
with a batch id was interrupted and is claimed again under the same id first; an interrupted row that
already used ``max_attempts`` is marked ``failed``. Claim only under
:func:`storage.notifications.channel_lock`; the caller commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import NotificationDelivery

_MAX_CLAIM_ROUNDS = 20


def claim_rows(
    session: Session,
    base: Sequence[Any],
    candidates: Callable[[str | None], list[tuple]],
    *,
    max_attempts: int | None = None,
) -> tuple[str, list[tuple]] | None:
    """Claim the next batch among the deliveries matching ``base`` (the outbox's pending rows of one
    channel). ``candidates(retry_id)`` reads the batch's rows, each starting with (delivery id,
    attempts): the interrupted batch ``retry_id``, else fresh rows (``None``). Returns the batch id
    and the rows claimed, or None when nothing is left to send."""
    for _ in range(_MAX_CLAIM_ROUNDS):
        retry_id = session.execute(
            select(NotificationDelivery.batch_id)
            .where(*base, NotificationDelivery.batch_id.is_not(None))
            .order_by(NotificationDelivery.id)
            .limit(1)
        ).scalar_one_or_none()
        rows = candidates(retry_id)
        if not rows:
            return None
        if retry_id is not None and max_attempts is not None:
            spent = [r[0] for r in rows if r[1] >= max_attempts]
            if spent:
                reason = f"gave up after {max_attempts} attempts (interrupted during send)"
                session.execute(
                    update(NotificationDelivery)
                    .where(NotificationDelivery.id.in_(spent))
                    .values(status="failed", last_error=reason)
                )
                rows = [r for r in rows if r[1] < max_attempts]
        if not rows:
            continue
        claim_id = retry_id or uuid.uuid4().hex
        stmt = (
            update(NotificationDelivery)
            .where(
                NotificationDelivery.id.in_([r[0] for r in rows]),
                NotificationDelivery.status == "pending",
                NotificationDelivery.batch_id == retry_id
                if retry_id is not None
                else NotificationDelivery.batch_id.is_(None),
            )
            .values(batch_id=claim_id, attempts=NotificationDelivery.attempts + 1)
            .returning(NotificationDelivery.id)
        )
        claimed = set(session.execute(stmt).scalars())
        session.flush()
        if claimed:
            return claim_id, [r for r in rows if r[0] in claimed]
    return None
