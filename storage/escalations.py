"""Escalations that arrive: an item handed to another organisation stays open (in that organisation's
escalated view and in its count on every page) until a member of the receiving organisation
acknowledges ("terima") or closes ("tutup") it. Verdicts, dismissals and resolved alerts leave it open.

Status: ``open`` -> ``acknowledged`` -> ``closed`` (or ``open`` -> ``closed``); each step records
``resolved_by`` / ``resolved_at`` and appends a Review to the item's trail. Creating one can queue a
notification per channel (:func:`queue_notifications`; delivery in :mod:`storage.escalation_outbox`).
Functions take a Session; the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, literal, select, update
from sqlalchemy.orm import Session

from storage.alerts import add_review
from storage.columns import as_utc, utcnow
from storage.dialect import upsert_insert
from storage.errors import RecordNotFoundError, StorageError
from storage.models import Escalation, Item, NotificationDelivery, Organisation

OPEN = "open"
#: What a receiving organisation may do, and the statuses it may do it from.
TRANSITIONS = {"acknowledged": ("open",), "closed": ("open", "acknowledged")}
REVIEW_ACTIONS = {"acknowledged": "escalation_acknowledged", "closed": "escalation_closed"}
MAX_NOTE = 4000


class NotReceiverError(StorageError):
    """Only members of the receiving organisation may acknowledge or close an escalation."""

    def __init__(self, escalation_id: int, organisation: str):
        self.escalation_id = escalation_id
        self.organisation = organisation
        super().__init__(f"escalation {escalation_id} was not sent to {organisation}")


class EscalationStateError(StorageError):
    """The escalation's status does not allow the step (e.g. acknowledging a closed one)."""

    def __init__(self, escalation_id: int, status: str, wanted: str):
        self.escalation_id = escalation_id
        self.status = status
        self.wanted = wanted
        super().__init__(f"escalation {escalation_id} is {status}; cannot become {wanted}")


@dataclass(frozen=True, slots=True)
class EscalationView:
    """One escalation with the receiving organisation's name."""

    id: int
    item_id: int
    to_organisation_id: int
    to_organisation: str
    user_name: str
    organisation: str | None
    note: str | None
    created_at: datetime
    status: str
    resolved_by: str | None
    resolved_at: datetime | None
    resolution_note: str | None

    @property
    def is_open(self) -> bool:
        return self.status == OPEN


def create(
    session: Session,
    *,
    item_id: int,
    to_organisation_id: int,
    user_name: str,
    organisation: str | None,
    note: str | None = None,
    channels: Iterable[str] = (),
    now: datetime | None = None,
) -> int:
    """A new open escalation (and a pending notification per channel in ``channels``); returns its id."""
    at = as_utc(now) if now else utcnow()
    escalation = Escalation(
        item_id=item_id,
        to_organisation_id=to_organisation_id,
        user_name=user_name,
        organisation=organisation,
        note=(note or "").strip()[:MAX_NOTE] or None,
        created_at=at,
        status=OPEN,
    )
    session.add(escalation)
    session.flush()
    queue_notifications(session, escalation.id, channels, now=at)
    return escalation.id


def queue_notifications(
    session: Session, escalation_id: int, channels: Iterable[str], *, now: datetime | None = None
) -> int:
    """One pending delivery of the escalation per channel (idempotent); returns how many were added."""
    at = as_utc(now) if now else utcnow()
    inserted = 0
    for channel in dict.fromkeys(channels):
        stmt = (
            upsert_insert(session, NotificationDelivery.__table__)
            .values(
                escalation_id=escalation_id,
                channel=channel,
                status="pending",
                attempts=0,
                created_at=at,
            )
            .on_conflict_do_nothing(index_elements=["escalation_id", "channel"])
        )
        inserted += len(session.execute(stmt.returning(NotificationDelivery.id)).all())
    return inserted


def _views(session: Session, *conditions: object) -> list[EscalationView]:
    stmt = (
        select(Escalation, Organisation.name)
        .join(Organisation, Organisation.id == Escalation.to_organisation_id)
        .where(*conditions)
        .order_by(Escalation.created_at, Escalation.id)
    )
    return [
        EscalationView(
            id=e.id,
            item_id=e.item_id,
            to_organisation_id=e.to_organisation_id,
            to_organisation=name,
            user_name=e.user_name,
            organisation=e.organisation,
            note=e.note,
            created_at=as_utc(e.created_at),
            status=e.status,
            resolved_by=e.resolved_by,
            resolved_at=as_utc(e.resolved_at) if e.resolved_at else None,
            resolution_note=e.resolution_note,
        )
        for e, name in session.execute(stmt)
    ]


def of_item(session: Session, item_id: int) -> list[EscalationView]:
    """Every escalation of the item, oldest first."""
    return _views(session, Escalation.item_id == item_id)


def open_to(
    session: Session, organisation_id: int, item_ids: Sequence[int]
) -> dict[int, list[EscalationView]]:
    """The open escalations to ``organisation_id`` of those items, by item (oldest first)."""
    if not item_ids:
        return {}
    found: dict[int, list[EscalationView]] = {}
    for view in _views(
        session,
        Escalation.item_id.in_(list(item_ids)),
        Escalation.status == OPEN,
        Escalation.to_organisation_id == organisation_id,
    ):
        found.setdefault(view.item_id, []).append(view)
    return found


def open_count(session: Session, organisation_id: int) -> int:
    """How many escalations to the organisation are open (the count on every page)."""
    return session.execute(
        select(func.count(Escalation.id)).where(
            Escalation.to_organisation_id == organisation_id, Escalation.status == OPEN
        )
    ).scalar_one()


def open_item_ids(organisation_id: int):  # noqa: ANN201 - a select usable in IN (...)
    """A select of the items with an open escalation to the organisation."""
    return select(Escalation.item_id).where(
        Escalation.to_organisation_id == organisation_id, Escalation.status == OPEN
    )


def resolve(
    session: Session,
    escalation_id: int,
    status: str,
    *,
    user: str,
    organisation_id: int,
    organisation: str,
    note: str | None = None,
    now: datetime | None = None,
) -> EscalationView:
    """Acknowledge (``status`` 'acknowledged') or close ('closed') an escalation as a member of the
    receiving organisation; appends a Review. Raises RecordNotFoundError, NotReceiverError or
    EscalationStateError (a step its status does not allow, e.g. closing it twice)."""
    if status not in TRANSITIONS:
        raise EscalationStateError(escalation_id, "?", status)
    escalation = session.get(Escalation, escalation_id)
    if escalation is None:
        raise RecordNotFoundError("escalation", escalation_id)
    if escalation.to_organisation_id != organisation_id:
        raise NotReceiverError(escalation_id, organisation)
    at = as_utc(now) if now else utcnow()
    text = (note or "").strip()[:MAX_NOTE] or None
    changed = session.execute(
        update(Escalation)
        .where(Escalation.id == escalation_id, Escalation.status.in_(TRANSITIONS[status]))
        .values(
            status=status,
            resolved_by=user,
            resolved_at=at,
            resolution_note=text if text is not None else Escalation.resolution_note,
        )
    ).rowcount
    if not changed:  # checked in the UPDATE, so two members pressing at once cannot both succeed
        session.refresh(escalation)
        raise EscalationStateError(escalation_id, escalation.status, status)
    add_review(
        session,
        user=user,
        organisation=organisation,
        item_id=escalation.item_id,
        action=REVIEW_ACTIONS[status],
        note=text,
        now=at,
    )
    session.expire(escalation)
    return next(v for v in of_item(session, escalation.item_id) if v.id == escalation_id)


def enqueue_open(
    session: Session,
    channel: str,
    organisations: Sequence[str] | None,
    *,
    since: datetime,
    now: datetime | None = None,
) -> int:
    """Queue the channel's deliveries of open escalations created at or after ``since`` to one of
    ``organisations`` (None: to any organisation), those not queued yet; returns how many were added.
    The dispatcher calls this, so an escalation made without a configured web app is still sent."""
    at = as_utc(now) if now else utcnow()
    query = (
        select(
            Escalation.id,
            literal(channel),
            literal("pending"),
            literal(0),
            literal(at, type_=NotificationDelivery.__table__.c.created_at.type),
        )
        .join(Item, Item.id == Escalation.item_id)
        .where(Escalation.status == OPEN, Escalation.created_at >= as_utc(since))
    )
    if organisations is not None:
        query = query.join(Organisation, Organisation.id == Escalation.to_organisation_id).where(
            Organisation.name.in_(list(organisations))
        )
    stmt = (
        upsert_insert(session, NotificationDelivery.__table__)
        .from_select(
            ["escalation_id", "channel", "status", "attempts", "created_at"],
            query,
        )
        .on_conflict_do_nothing(index_elements=["escalation_id", "channel"])
    )
    return len(session.execute(stmt.returning(NotificationDelivery.id)).all())
