"""The review queue: flagged items by priority, one item's full picture, reviewer actions and locks.

Priority: the item's most severe open alert first, then the hottest election stage (voting day, quiet
period, counting, campaign, ...), then the spread (how many sources carried it), then the newest.
Every action appends a :class:`~storage.models.Review` (the append-only trail). A verdict resolves the
item's alerts and a dismissal dismisses them; both take the item off the queue (verdicts become training
labels in :mod:`storage.review_labels`). An escalation stays in the receiving organisation's escalated
view until it acknowledges or closes it (:mod:`storage.escalations`), whatever verdicts are given.

Locks: viewing an item takes nothing. Acting (verdict, note, link, escalate, dismiss) takes a short
action lock (:data:`LOCK_TTL`, renewed by every action), so two reviewers do not decide the same item at
once; an expired lock never blocks. "Ambil" / "tugaskan ke" assign the item (:mod:`storage.assignments`):
while it is assigned, only its owner and admins may act on it. Admins may act on any item (taking over
an action lock) and release any lock or assignment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import case, delete, exists, func, literal, select
from sqlalchemy.orm import Session, aliased

from pantau.domain.config import ActorConfig
from storage import assignments
from storage import claims as claims_store
from storage import escalations as esc
from storage.alerts import add_review, set_alert_status
from storage.assignments import ItemAssignedError, Owner
from storage.claims import review_link
from storage.columns import as_utc, utcnow
from storage.dialect import upsert_insert
from storage.errors import InvalidValueError, RecordNotFoundError, StorageError
from storage.models import (
    SEVERITIES,
    Alert,
    Claim,
    CounterLink,
    Item,
    ItemAssignment,
    ItemMatch,
    ItemSighting,
    Organisation,
    Review,
    ReviewLock,
    Score,
    Source,
    User,
)

VERDICTS = ("hoax", "misleading", "true", "not_checkable", "tension_no_hoax")
ACTIONS = ("verdict", "note", "counter_narrative", "escalate", "dismiss")
#: Election stages by urgency (higher first in the queue); other stages rank 0.
STAGE_PRIORITY = {
    "voting_day": 6,
    "quiet_period": 5,
    "counting_recapitulation": 4,
    "campaign": 3,
    "disputes": 2,
    "candidate_determination": 1,
    "registration": 1,
}
QUEUE_KINDS = ("flagged_item", "known_hoax")
OPEN_STATUSES = ("open", "acknowledged")
LOCK_TTL = timedelta(minutes=15)
MAX_URL = 2000


__all__ = ["ItemAssignedError", "ItemLockedError", "Owner"]  # re-exported for the web layer


class ItemLockedError(StorageError):
    """Another reviewer holds the item's action lock. ``holder`` names them, ``until`` is when it expires."""

    def __init__(self, item_id: int, holder: str, until: datetime):
        self.item_id = item_id
        self.holder = holder
        self.until = until
        super().__init__(f"item {item_id} is being reviewed by {holder} until {until:%H:%M} UTC")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: the user's id and name, their organisation's name, role and organisation id."""

    user_id: int
    username: str
    organisation: str
    role: str = "reviewer"
    organisation_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """One item waiting for review, with why it is there."""

    item_id: int
    title: str | None
    text: str
    source: str
    published_at: datetime | None
    collected_at: datetime
    stage: str | None
    districts: list[str]
    lang: str | None
    severity: str
    signals: list[str]
    alert_count: int
    spread: int
    locked_by: str | None = None
    escalated: bool = False
    owner: str | None = None
    #: the open escalations to the viewer's organisation (sender, age) when it asked for them
    escalations: list[esc.EscalationView] = field(default_factory=list)


@dataclass
class ItemDetail:
    """Everything a reviewer needs to decide about one item."""

    item: Item
    source: str
    source_url: str | None
    scores: dict[str, float] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    explanations: dict[str, Any] = field(default_factory=dict)
    model_version: str | None = None
    alerts: list[Alert] = field(default_factory=list)
    trail: list[Review] = field(default_factory=list)
    counter_links: list[CounterLink] = field(default_factory=list)
    escalations: list[esc.EscalationView] = field(default_factory=list)
    matches: list[tuple[int, str | None, str | None, float]] = field(default_factory=list)
    claim: Claim | None = None
    spread: int = 0
    lock_holder: str | None = None
    lock_until: datetime | None = None
    owner: Owner | None = None


# --- the queue --------------------------------------------------------------------------------------


def _severity_rank() -> Any:
    return case({name: i for i, name in enumerate(SEVERITIES)}, value=Alert.severity, else_=-1)


def _queue_conditions(
    *,
    signal: str | None,
    stage: str | None,
    district: str | None,
    escalated_to: int | None,
    assigned_to: int | None = None,
    alert: Any = Alert,
) -> list[Any]:
    conditions = [alert.kind.in_(QUEUE_KINDS), alert.item_id.is_not(None)]
    if escalated_to is None:
        conditions.append(alert.status.in_(OPEN_STATUSES))
    else:  # an open escalation keeps the item in the receiver's view, whatever became of its alerts
        conditions.append(alert.item_id.in_(esc.open_item_ids(escalated_to)))
    if assigned_to is not None:
        conditions.append(
            alert.item_id.in_(select(ItemAssignment.item_id).where(ItemAssignment.user_id == assigned_to))
        )
    if signal:
        conditions.append(alert.signal == signal)
    if stage:
        conditions.append(alert.stage == stage)
    if district:
        conditions.append(alert.district == district)
    return conditions


def _bucket_conditions(severity_index: int, filters: dict[str, Any]) -> list[Any]:
    """Queue alerts of one severity on items with no queue alert of a higher severity: the items whose
    queue severity is that one."""
    conditions = [*_queue_conditions(**filters), Alert.severity == SEVERITIES[severity_index]]
    higher = SEVERITIES[severity_index + 1 :]
    if higher:
        other = aliased(Alert)
        conditions.append(
            ~exists().where(
                other.item_id == Alert.item_id,
                other.severity.in_(higher),
                *_queue_conditions(**filters, alert=other),
            )
        )
    return conditions


def queue_size(
    session: Session,
    *,
    signal: str | None = None,
    stage: str | None = None,
    district: str | None = None,
    escalated_to: int | None = None,
    assigned_to: int | None = None,
) -> int:
    """How many items are in the queue (with these filters)."""
    conditions = _queue_conditions(
        signal=signal, stage=stage, district=district, escalated_to=escalated_to, assigned_to=assigned_to
    )
    return session.execute(select(func.count(func.distinct(Alert.item_id))).where(*conditions)).scalar_one()


def _bucket_page(
    session: Session, severity_index: int, filters: dict[str, Any], limit: int, offset: int
) -> list[Any]:
    groups = (
        select(
            Alert.item_id.label("item_id"),
            func.max(case(STAGE_PRIORITY, value=Alert.stage, else_=0)).label("stage_rank"),
            func.count(Alert.id).label("n"),
            func.max(Alert.created_at).label("latest"),
        )
        .where(*_bucket_conditions(severity_index, filters))
        .group_by(Alert.item_id)
    ).subquery()
    spread = (
        select(func.count())
        .select_from(ItemSighting)
        .where(ItemSighting.item_id == groups.c.item_id)
        .scalar_subquery()
    )
    stmt = (
        select(
            groups.c.item_id,
            literal(severity_index),
            groups.c.n,
            spread.label("spread"),
            Item.title,
            Item.text,
            Source.name,
            Item.published_at,
            Item.collected_at,
            Item.stage,
            Item.districts,
            Item.lang,
        )
        .join(Item, Item.id == groups.c.item_id)
        .join(Source, Source.id == Item.source_id)
        .order_by(groups.c.stage_rank.desc(), spread.desc(), groups.c.latest.desc(), groups.c.item_id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.execute(stmt).all())


def review_queue(
    session: Session,
    *,
    signal: str | None = None,
    stage: str | None = None,
    district: str | None = None,
    escalated_to: int | None = None,
    assigned_to: int | None = None,
    organisation_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
    now: datetime | None = None,
) -> list[QueueEntry]:
    """Items with open flagged-item / known-hoax alerts, most urgent first (see the module docstring).

    ``escalated_to`` lists instead the items with an open escalation to that organisation (their alerts
    of any status rank them), each with those escalations; ``organisation_id`` marks the items escalated
    to it. ``assigned_to`` keeps the items assigned to that user. Items are read one queue severity at a
    time, most severe first, so the first pages only group the alerts of the top severities.
    """
    now = as_utc(now) if now else utcnow()
    filters = {
        "signal": signal,
        "stage": stage,
        "district": district,
        "escalated_to": escalated_to,
        "assigned_to": assigned_to,
    }
    rows: list[Any] = []
    skip = offset
    for index in reversed(range(len(SEVERITIES))):
        if len(rows) >= limit:
            break
        if skip:
            size = session.execute(
                select(func.count(func.distinct(Alert.item_id))).where(*_bucket_conditions(index, filters))
            ).scalar_one()
            if skip >= size:
                skip -= size
                continue
        rows += _bucket_page(session, index, filters, limit - len(rows), skip)
        skip = 0
    ids = [row[0] for row in rows]
    signals: dict[int, list[str]] = {}
    statuses = [Alert.status.in_(OPEN_STATUSES)] if escalated_to is None else []
    for item_id, signal in session.execute(
        select(Alert.item_id, Alert.signal)
        .where(Alert.item_id.in_(ids), Alert.signal.is_not(None), *statuses)
        .order_by(_severity_rank().desc(), Alert.signal)
    ):
        if signal not in signals.setdefault(item_id, []):
            signals[item_id].append(signal)
    locks = dict(
        session.execute(
            select(ReviewLock.item_id, User.username)
            .join(User, User.id == ReviewLock.user_id)
            .where(ReviewLock.item_id.in_(ids), ReviewLock.expires_at > now)
        ).all()
    )
    arrived: dict[int, list[esc.EscalationView]] = {}
    if organisation_id is not None:
        arrived = esc.open_to(session, organisation_id, ids)
    owners = assignments.owners(session, ids)
    return [
        QueueEntry(
            item_id=r[0],
            severity=SEVERITIES[max(r[1], 0)],
            alert_count=r[2],
            spread=r[3],
            title=r[4],
            text=r[5],
            source=r[6],
            published_at=r[7],
            collected_at=r[8],
            stage=r[9],
            districts=list(r[10] or []),
            lang=r[11],
            signals=signals.get(r[0], []),
            locked_by=locks.get(r[0]),
            escalated=r[0] in arrived,
            owner=owners[r[0]].username if r[0] in owners else None,
            escalations=arrived.get(r[0], []),
        )
        for r in rows
    ]


def item_detail(session: Session, item_id: int, *, now: datetime | None = None) -> ItemDetail:
    """The item with its newest scores, alerts, trail, links, escalations, matches, cluster and lock."""
    now = as_utc(now) if now else utcnow()
    row = session.execute(
        select(Item, Source.name, Source.location)
        .join(Source, Source.id == Item.source_id)
        .where(Item.id == item_id)
    ).first()
    if row is None:
        raise RecordNotFoundError("item", item_id)
    item, source_name, location = row
    detail = ItemDetail(
        item=item,
        source=source_name,
        source_url=location if location.startswith(("http://", "https://")) else None,
    )
    score = session.scalars(
        select(Score)
        .where(Score.item_id == item_id)
        .order_by(Score.created_at.desc(), Score.id.desc())
        .limit(1)
    ).first()
    if score is not None:
        detail.scores = dict(score.scores or {})
        detail.flags = list(score.flags or [])
        detail.explanations = dict(score.explanations or {})
        detail.model_version = score.model_version
    detail.alerts = list(
        session.scalars(
            select(Alert).where(Alert.item_id == item_id).order_by(_severity_rank().desc(), Alert.id)
        )
    )
    detail.trail = list(
        session.scalars(
            select(Review).where(Review.item_id == item_id).order_by(Review.created_at, Review.id)
        )
    )
    detail.counter_links = list(
        session.scalars(select(CounterLink).where(CounterLink.item_id == item_id).order_by(CounterLink.id))
    )
    detail.escalations = esc.of_item(session, item_id)
    detail.owner = assignments.owner_of(session, item_id)
    detail.matches = [
        tuple(r)
        for r in session.execute(  # type: ignore[misc]
            select(ItemMatch.matched_item_id, Item.title, Item.url, ItemMatch.score)
            .join(Item, Item.id == ItemMatch.matched_item_id)
            .where(ItemMatch.item_id == item_id)
            .order_by(ItemMatch.score.desc())
            .limit(10)
        )
    ]
    if item.claim_id is not None:
        detail.claim = session.get(Claim, item.claim_id)
    detail.spread = session.execute(
        select(func.count()).select_from(ItemSighting).where(ItemSighting.item_id == item_id)
    ).scalar_one()
    lock = session.execute(
        select(User.username, ReviewLock.expires_at)
        .join(User, User.id == ReviewLock.user_id)
        .where(ReviewLock.item_id == item_id, ReviewLock.expires_at > now)
    ).first()
    if lock is not None:
        detail.lock_holder, detail.lock_until = lock
    return detail


# --- locks ------------------------------------------------------------------------------------------


def acquire_lock(session: Session, item_id: int, actor: Actor, *, now: datetime | None = None) -> datetime:
    """Take or renew the item's action lock for ``actor`` (every action does); returns its expiry.

    Raises ItemAssignedError when the item is assigned to someone else (admins excepted), ItemLockedError
    when another reviewer holds a live lock (its owner and admins take it over instead),
    RecordNotFoundError for an unknown item. An expired lock never blocks."""
    now = as_utc(now) if now else utcnow()
    if session.get(Item, item_id) is None:
        raise RecordNotFoundError("item", item_id)
    owner = assignments.check_can_act(session, item_id, actor.user_id, admin=actor.is_admin)
    session.execute(delete(ReviewLock).where(ReviewLock.item_id == item_id, ReviewLock.expires_at <= now))
    if actor.is_admin or (owner is not None and owner.user_id == actor.user_id):
        session.execute(
            delete(ReviewLock).where(ReviewLock.item_id == item_id, ReviewLock.user_id != actor.user_id)
        )
    until = now + LOCK_TTL
    stmt = (
        upsert_insert(session, ReviewLock.__table__)
        .values(
            item_id=item_id,
            user_id=actor.user_id,
            acquired_at=now,
            expires_at=until,
        )
        .on_conflict_do_nothing(index_elements=["item_id"])
    )
    session.execute(stmt)
    holder = session.execute(
        select(ReviewLock.user_id, ReviewLock.expires_at, User.username)
        .join(User, User.id == ReviewLock.user_id)
        .where(ReviewLock.item_id == item_id)
    ).one()
    if holder[0] != actor.user_id:
        raise ItemLockedError(item_id, holder[2], holder[1])
    session.execute(
        ReviewLock.__table__.update().where(ReviewLock.item_id == item_id).values(expires_at=until)
    )
    return until


def release_lock(session: Session, item_id: int, actor: Actor) -> None:
    """Give up ``actor``'s action lock on the item (a lock held by someone else is left alone)."""
    session.execute(
        delete(ReviewLock).where(ReviewLock.item_id == item_id, ReviewLock.user_id == actor.user_id)
    )


def _finish(session: Session, item_id: int, actor: Actor) -> None:
    """The item is decided: its action lock and its assignment end."""
    session.execute(delete(ReviewLock).where(ReviewLock.item_id == item_id))
    assignments.unassign(session, item_id)


def assign(
    session: Session, item_id: int, actor: Actor, user_id: int | None = None, *, now: datetime | None = None
) -> Owner:
    """ "Ambil" (``user_id`` None: the actor) or "tugaskan ke" a colleague (of the actor's organisation;
    admins may pick anyone). The actor must be allowed to act on the item (see :func:`acquire_lock`); the
    assignee gets the item free of other action locks. Appends an ``assign`` review."""
    target = actor.user_id if user_id is None else user_id
    acquire_lock(session, item_id, actor, now=now)
    owner = assignments.assign(
        session,
        item_id,
        to_user_id=target,
        by_username=actor.username,
        by_organisation_id=actor.organisation_id,
        admin=actor.is_admin,
        now=now,
    )
    session.execute(delete(ReviewLock).where(ReviewLock.item_id == item_id, ReviewLock.user_id != target))
    if target != actor.user_id:
        release_lock(session, item_id, actor)
    _review(session, actor, item_id, "assign", note=f"-> {owner.username}", now=now)
    return owner


def release(session: Session, item_id: int, actor: Actor, *, now: datetime | None = None) -> bool:
    """ "Lepaskan": the actor gives up their lock and the item's assignment if it is theirs; an admin
    releases any lock and assignment. Raises ItemAssignedError when a reviewer tries to release a
    colleague's item. Returns whether an assignment ended (then an ``release`` review is appended)."""
    if session.get(Item, item_id) is None:
        raise RecordNotFoundError("item", item_id)
    owner = assignments.check_can_act(session, item_id, actor.user_id, admin=actor.is_admin)
    if actor.is_admin:
        session.execute(delete(ReviewLock).where(ReviewLock.item_id == item_id))
    else:
        release_lock(session, item_id, actor)
    if owner is None:
        return False
    assignments.unassign(session, item_id)
    _review(session, actor, item_id, "release", note=f"{owner.username} dilepaskan", now=now)
    return True


# --- actions ----------------------------------------------------------------------------------------


def _open_alert_ids(session: Session, item_id: int) -> list[int]:
    return list(
        session.scalars(select(Alert.id).where(Alert.item_id == item_id, Alert.status.in_(OPEN_STATUSES)))
    )


def _review(
    session: Session,
    actor: Actor,
    item_id: int,
    action: str,
    *,
    verdict: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> int:
    return add_review(
        session,
        user=actor.username,
        organisation=actor.organisation,
        item_id=item_id,
        action=action,
        verdict=verdict,
        note=(note or "").strip() or None,
        now=now,
    )


def give_verdict(
    session: Session,
    item_id: int,
    actor: Actor,
    verdict: str,
    note: str | None = None,
    *,
    now: datetime | None = None,
) -> int:
    """Record a verdict (one of VERDICTS), resolve the item's open alerts, release the lock.

    A ``hoax`` verdict puts an item outside any claim into a new one; ``true`` or
    ``tension_no_hoax`` takes it out of its claim (:func:`storage.claims.follow_verdict`)."""
    if verdict not in VERDICTS:
        raise InvalidValueError("verdict", verdict, VERDICTS)
    acquire_lock(session, item_id, actor, now=now)
    review_id = _review(session, actor, item_id, "verdict", verdict=verdict, note=note, now=now)
    claims_store.follow_verdict(
        session, item_id, verdict, user=actor.username, organisation=actor.organisation, now=now
    )
    for alert_id in _open_alert_ids(session, item_id):
        set_alert_status(
            session, alert_id, "resolved", actor=actor.username, note=f"verdict: {verdict}", now=now
        )
    _finish(session, item_id, actor)
    return review_id


def dismiss(
    session: Session, item_id: int, actor: Actor, note: str | None = None, *, now: datetime | None = None
) -> int:
    """Dismiss the item (nothing to act on): its open alerts are dismissed, its lock and assignment end."""
    acquire_lock(session, item_id, actor, now=now)
    review_id = _review(session, actor, item_id, "dismiss", note=note, now=now)
    for alert_id in _open_alert_ids(session, item_id):
        set_alert_status(session, alert_id, "dismissed", actor=actor.username, note=note, now=now)
    _finish(session, item_id, actor)
    return review_id


def add_note(session: Session, item_id: int, actor: Actor, note: str, *, now: datetime | None = None) -> int:
    if not note.strip():
        raise InvalidValueError("note", note, ("a non-empty text",))
    acquire_lock(session, item_id, actor, now=now)
    return _review(session, actor, item_id, "note", note=note, now=now)


def link_counter_narrative(
    session: Session,
    item_id: int,
    actor: Actor,
    *,
    url: str | None = None,
    counter_item_id: int | None = None,
    actors: Sequence[ActorConfig] = (),
    now: datetime | None = None,
) -> int:
    """Link a published counter-narrative (an http(s) URL or a stored item) to the item; returns its id.

    ``actors``: the configured actors, to credit a stored answer to its source's actor when it has one."""
    url = (url or "").strip() or None
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > MAX_URL:
            raise InvalidValueError("counter-narrative URL", url, ("an http(s) URL",))
    if counter_item_id is not None and session.get(Item, counter_item_id) is None:
        raise RecordNotFoundError("item", counter_item_id)
    if counter_item_id == item_id:
        raise InvalidValueError("counter-narrative", counter_item_id, ("another item",))
    if url is None and counter_item_id is None:
        raise InvalidValueError("counter-narrative", None, ("url", "counter_item_id"))
    acquire_lock(session, item_id, actor, now=now)
    link = CounterLink(
        item_id=item_id,
        url=url,
        counter_item_id=counter_item_id,
        user_name=actor.username,
        organisation=actor.organisation,
        created_at=as_utc(now) if now else utcnow(),
    )
    session.add(link)
    session.flush()
    _review(session, actor, item_id, "counter_narrative", note=url or f"item {counter_item_id}", now=now)
    # The reviewer says the item has been answered: it is a claim (started now if it was in none), and
    # the answer counts in the outcome measures: a stored item as a confirmed link (credited to the
    # reviewing organisation unless its source's actor published it), a URL as a recorded answer.
    claim_id = claims_store.claim_for_item(
        session, item_id, user=actor.username, organisation=actor.organisation, now=now
    )
    category = _category(session, actor.organisation)
    if counter_item_id is not None:
        credit = claims_store.answer_credit(session, counter_item_id, actor.organisation, category, actors)
        review_link(
            session,
            claim_id=claim_id,
            item_id=counter_item_id,
            decision="confirm",
            user=actor.username,
            organisation=actor.organisation,
            actor=credit[0],
            actor_category=credit[1],
            attribution=credit[2],
            now=now,
        )
    else:
        claims_store.record_url_answer(
            session,
            claim_id=claim_id,
            url=url,
            user=actor.username,
            organisation=actor.organisation,
            category=category,
            item_id=item_id,
            now=now,
        )
    return link.id


def _category(session: Session, organisation: str) -> str:
    """The outcome report's actor category of an organisation, from its kind (newsroom -> media)."""
    kind = (
        session.execute(
            select(Organisation.kind).where(Organisation.name == organisation)
        ).scalar_one_or_none()
        or ""
    ).lower()
    if kind in ("newsroom", "media", "fact_checker", "factchecker"):
        return "media"
    return kind if kind in ("polres", "kodim", "kpu", "bawaslu", "nu") else "other"


def escalate(
    session: Session,
    item_id: int,
    actor: Actor,
    to_organisation_id: int,
    note: str | None = None,
    *,
    channels: Sequence[str] = (),
    now: datetime | None = None,
) -> int:
    """Hand the item to another organisation; returns the escalation's id. It stays open in their
    escalated view until they acknowledge or close it; open alerts become acknowledged; a notification is
    queued for each of ``channels`` (the receiver's, from the notifications config)."""
    target = session.get(Organisation, to_organisation_id)
    if target is None:
        raise RecordNotFoundError("organisation", to_organisation_id)
    acquire_lock(session, item_id, actor, now=now)
    escalation_id = esc.create(
        session,
        item_id=item_id,
        to_organisation_id=target.id,
        user_name=actor.username,
        organisation=actor.organisation,
        note=note,
        channels=channels,
        now=now,
    )
    _review(
        session, actor, item_id, "escalate", note=f"-> {target.name}" + (f": {note}" if note else ""), now=now
    )
    for alert_id in _open_alert_ids(session, item_id):
        set_alert_status(
            session,
            alert_id,
            "acknowledged",
            actor=actor.username,
            note=f"escalated to {target.name}",
            now=now,
        )
    release_lock(session, item_id, actor)
    return escalation_id
