"""The review queue: flagged items by priority, one item's full picture, reviewer actions and locks.

Priority: the item's most severe open alert first, then the hottest election stage (voting day, quiet
period, counting, campaign, ...), then the spread (how many sources carried it), then the newest.
Every action appends a :class:`~storage.models.Review` (the append-only trail). A verdict resolves the
item's alerts and a dismissal dismisses them; both take the item off the queue (verdicts become training
labels in :mod:`storage.review_labels`). Reviewers work an item under a lock (:data:`LOCK_TTL`), so two
reviewers do not decide the same item at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import case, delete, exists, func, literal, select
from sqlalchemy.orm import Session, aliased

from storage.alerts import add_review, set_alert_status
from storage.claims import review_link
from storage.columns import as_utc, utcnow
from storage.dialect import upsert_insert
from storage.errors import InvalidValueError, RecordNotFoundError, StorageError
from storage.models import (
    SEVERITIES,
    Alert,
    Claim,
    CounterLink,
    Escalation,
    Item,
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
STAGE_PRIORITY = {"voting_day": 6, "quiet_period": 5, "counting_recapitulation": 4, "campaign": 3,
                  "disputes": 2, "candidate_determination": 1, "registration": 1}
QUEUE_KINDS = ("flagged_item", "known_hoax")
OPEN_STATUSES = ("open", "acknowledged")
LOCK_TTL = timedelta(minutes=15)
MAX_URL = 2000


class ItemLockedError(StorageError):
    """Another reviewer holds the item's lock. ``holder`` names them, ``until`` is when it expires."""

    def __init__(self, item_id: int, holder: str, until: datetime):
        self.item_id = item_id
        self.holder = holder
        self.until = until
        super().__init__(f"item {item_id} is being reviewed by {holder} until {until:%H:%M} UTC")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: the user's id and name and their organisation's name."""

    user_id: int
    username: str
    organisation: str


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
    escalations: list[tuple[Escalation, str]] = field(default_factory=list)
    matches: list[tuple[int, str | None, str | None, float]] = field(default_factory=list)
    claim: Claim | None = None
    spread: int = 0
    lock_holder: str | None = None
    lock_until: datetime | None = None


# --- the queue --------------------------------------------------------------------------------------

def _severity_rank() -> Any:
    return case({name: i for i, name in enumerate(SEVERITIES)}, value=Alert.severity, else_=-1)


def _queue_conditions(*, signal: str | None, stage: str | None, district: str | None,
                      escalated_to: int | None, alert: Any = Alert) -> list[Any]:
    conditions = [alert.status.in_(OPEN_STATUSES), alert.kind.in_(QUEUE_KINDS), alert.item_id.is_not(None)]
    if signal:
        conditions.append(alert.signal == signal)
    if stage:
        conditions.append(alert.stage == stage)
    if district:
        conditions.append(alert.district == district)
    if escalated_to is not None:
        conditions.append(alert.item_id.in_(select(Escalation.item_id)
                                            .where(Escalation.to_organisation_id == escalated_to)))
    return conditions


def _bucket_conditions(severity_index: int, filters: dict[str, Any]) -> list[Any]:
    """Queue alerts of one severity on items with no queue alert of a higher severity: the items whose
    queue severity is that one."""
    conditions = [*_queue_conditions(**filters), Alert.severity == SEVERITIES[severity_index]]
    higher = SEVERITIES[severity_index + 1:]
    if higher:
        other = aliased(Alert)
        conditions.append(~exists().where(other.item_id == Alert.item_id, other.severity.in_(higher),
                                          *_queue_conditions(**filters, alert=other)))
    return conditions


def queue_size(session: Session, *, signal: str | None = None, stage: str | None = None,
               district: str | None = None, escalated_to: int | None = None) -> int:
    """How many items are in the queue (with these filters)."""
    conditions = _queue_conditions(signal=signal, stage=stage, district=district, escalated_to=escalated_to)
    return session.execute(select(func.count(func.distinct(Alert.item_id))).where(*conditions)).scalar_one()


def _bucket_page(session: Session, severity_index: int, filters: dict[str, Any], limit: int,
                 offset: int) -> list[Any]:
    groups = (
        select(Alert.item_id.label("item_id"),
               func.max(case(STAGE_PRIORITY, value=Alert.stage, else_=0)).label("stage_rank"),
               func.count(Alert.id).label("n"), func.max(Alert.created_at).label("latest"))
        .where(*_bucket_conditions(severity_index, filters))
        .group_by(Alert.item_id)
    ).subquery()
    spread = (select(func.count()).select_from(ItemSighting)
              .where(ItemSighting.item_id == groups.c.item_id).scalar_subquery())
    stmt = (
        select(groups.c.item_id, literal(severity_index), groups.c.n, spread.label("spread"), Item.title,
               Item.text, Source.name, Item.published_at, Item.collected_at, Item.stage, Item.districts,
               Item.lang)
        .join(Item, Item.id == groups.c.item_id)
        .join(Source, Source.id == Item.source_id)
        .order_by(groups.c.stage_rank.desc(), spread.desc(), groups.c.latest.desc(), groups.c.item_id.desc())
        .limit(limit).offset(offset)
    )
    return list(session.execute(stmt).all())


def review_queue(session: Session, *, signal: str | None = None, stage: str | None = None,
                 district: str | None = None, escalated_to: int | None = None,
                 organisation_id: int | None = None, limit: int = 50, offset: int = 0,
                 now: datetime | None = None) -> list[QueueEntry]:
    """Items with open flagged-item / known-hoax alerts, most urgent first (see the module docstring).

    ``escalated_to`` keeps only items escalated to that organisation; ``organisation_id`` marks them.
    Items are read one queue severity at a time, most severe first, so the first pages only group the
    alerts of the top severities.
    """
    now = as_utc(now) if now else utcnow()
    filters = {"signal": signal, "stage": stage, "district": district, "escalated_to": escalated_to}
    rows: list[Any] = []
    skip = offset
    for index in reversed(range(len(SEVERITIES))):
        if len(rows) >= limit:
            break
        if skip:
            size = session.execute(select(func.count(func.distinct(Alert.item_id)))
                                   .where(*_bucket_conditions(index, filters))).scalar_one()
            if skip >= size:
                skip -= size
                continue
        rows += _bucket_page(session, index, filters, limit - len(rows), skip)
        skip = 0
    ids = [row[0] for row in rows]
    signals: dict[int, list[str]] = {}
    for item_id, signal in session.execute(
            select(Alert.item_id, Alert.signal).where(Alert.item_id.in_(ids), Alert.status.in_(OPEN_STATUSES),
                                                      Alert.signal.is_not(None))
            .order_by(_severity_rank().desc(), Alert.signal)):
        if signal not in signals.setdefault(item_id, []):
            signals[item_id].append(signal)
    locks = dict(session.execute(select(ReviewLock.item_id, User.username)
                                 .join(User, User.id == ReviewLock.user_id)
                                 .where(ReviewLock.item_id.in_(ids), ReviewLock.expires_at > now)).all())
    escalated: set[int] = set()
    if organisation_id is not None:
        escalated = set(session.scalars(select(Escalation.item_id).where(
            Escalation.item_id.in_(ids), Escalation.to_organisation_id == organisation_id)))
    return [
        QueueEntry(item_id=r[0], severity=SEVERITIES[max(r[1], 0)], alert_count=r[2], spread=r[3], title=r[4],
                   text=r[5], source=r[6], published_at=r[7], collected_at=r[8], stage=r[9],
                   districts=list(r[10] or []), lang=r[11], signals=signals.get(r[0], []),
                   locked_by=locks.get(r[0]), escalated=r[0] in escalated)
        for r in rows
    ]


def item_detail(session: Session, item_id: int, *, now: datetime | None = None) -> ItemDetail:
    """The item with its newest scores, alerts, trail, links, escalations, matches, cluster and lock."""
    now = as_utc(now) if now else utcnow()
    row = session.execute(select(Item, Source.name, Source.location).join(Source, Source.id == Item.source_id)
                          .where(Item.id == item_id)).first()
    if row is None:
        raise RecordNotFoundError("item", item_id)
    item, source_name, location = row
    detail = ItemDetail(item=item, source=source_name,
                        source_url=location if location.startswith(("http://", "https://")) else None)
    score = session.scalars(select(Score).where(Score.item_id == item_id)
                            .order_by(Score.created_at.desc(), Score.id.desc()).limit(1)).first()
    if score is not None:
        detail.scores = dict(score.scores or {})
        detail.flags = list(score.flags or [])
        detail.explanations = dict(score.explanations or {})
        detail.model_version = score.model_version
    detail.alerts = list(session.scalars(select(Alert).where(Alert.item_id == item_id)
                                         .order_by(_severity_rank().desc(), Alert.id)))
    detail.trail = list(session.scalars(select(Review).where(Review.item_id == item_id)
                                        .order_by(Review.created_at, Review.id)))
    detail.counter_links = list(session.scalars(select(CounterLink).where(CounterLink.item_id == item_id)
                                                .order_by(CounterLink.id)))
    detail.escalations = [(e, name) for e, name in session.execute(
        select(Escalation, Organisation.name)
        .join(Organisation, Organisation.id == Escalation.to_organisation_id)
        .where(Escalation.item_id == item_id).order_by(Escalation.id))]
    detail.matches = [tuple(r) for r in session.execute(  # type: ignore[misc]
        select(ItemMatch.matched_item_id, Item.title, Item.url, ItemMatch.score)
        .join(Item, Item.id == ItemMatch.matched_item_id)
        .where(ItemMatch.item_id == item_id).order_by(ItemMatch.score.desc()).limit(10))]
    if item.claim_id is not None:
        detail.claim = session.get(Claim, item.claim_id)
    detail.spread = session.execute(select(func.count()).select_from(ItemSighting)
                                    .where(ItemSighting.item_id == item_id)).scalar_one()
    lock = session.execute(select(User.username, ReviewLock.expires_at)
                           .join(User, User.id == ReviewLock.user_id)
                           .where(ReviewLock.item_id == item_id, ReviewLock.expires_at > now)).first()
    if lock is not None:
        detail.lock_holder, detail.lock_until = lock
    return detail


# --- locks ------------------------------------------------------------------------------------------

def acquire_lock(session: Session, item_id: int, actor: Actor, *, now: datetime | None = None) -> datetime:
    """Take or renew the item's lock for ``actor``; returns its expiry. Raises ItemLockedError when another
    reviewer holds a live lock, RecordNotFoundError for an unknown item."""
    now = as_utc(now) if now else utcnow()
    if session.get(Item, item_id) is None:
        raise RecordNotFoundError("item", item_id)
    session.execute(delete(ReviewLock).where(ReviewLock.item_id == item_id, ReviewLock.expires_at <= now))
    until = now + LOCK_TTL
    stmt = upsert_insert(session, ReviewLock.__table__).values(
        item_id=item_id, user_id=actor.user_id, acquired_at=now, expires_at=until,
    ).on_conflict_do_nothing(index_elements=["item_id"])
    session.execute(stmt)
    holder = session.execute(select(ReviewLock.user_id, ReviewLock.expires_at, User.username)
                             .join(User, User.id == ReviewLock.user_id)
                             .where(ReviewLock.item_id == item_id)).one()
    if holder[0] != actor.user_id:
        raise ItemLockedError(item_id, holder[2], holder[1])
    session.execute(ReviewLock.__table__.update().where(ReviewLock.item_id == item_id)
                    .values(expires_at=until))
    return until


def release_lock(session: Session, item_id: int, actor: Actor) -> None:
    """Give up ``actor``'s lock on the item (a lock held by someone else is left alone)."""
    session.execute(delete(ReviewLock).where(ReviewLock.item_id == item_id,
                                             ReviewLock.user_id == actor.user_id))


# --- actions ----------------------------------------------------------------------------------------

def _open_alert_ids(session: Session, item_id: int) -> list[int]:
    return list(session.scalars(select(Alert.id).where(Alert.item_id == item_id,
                                                       Alert.status.in_(OPEN_STATUSES))))


def _review(session: Session, actor: Actor, item_id: int, action: str, *, verdict: str | None = None,
            note: str | None = None, now: datetime | None = None) -> int:
    return add_review(session, user=actor.username, organisation=actor.organisation, item_id=item_id,
                      action=action, verdict=verdict, note=(note or "").strip() or None, now=now)


def give_verdict(session: Session, item_id: int, actor: Actor, verdict: str, note: str | None = None, *,
                 now: datetime | None = None) -> int:
    """Record a verdict (one of VERDICTS), resolve the item's open alerts, release the lock."""
    if verdict not in VERDICTS:
        raise InvalidValueError("verdict", verdict, VERDICTS)
    acquire_lock(session, item_id, actor, now=now)
    review_id = _review(session, actor, item_id, "verdict", verdict=verdict, note=note, now=now)
    for alert_id in _open_alert_ids(session, item_id):
        set_alert_status(session, alert_id, "resolved", actor=actor.username, note=f"verdict: {verdict}",
                         now=now)
    release_lock(session, item_id, actor)
    return review_id


def dismiss(session: Session, item_id: int, actor: Actor, note: str | None = None, *,
            now: datetime | None = None) -> int:
    """Dismiss the item (nothing to act on): its open alerts are dismissed and the lock released."""
    acquire_lock(session, item_id, actor, now=now)
    review_id = _review(session, actor, item_id, "dismiss", note=note, now=now)
    for alert_id in _open_alert_ids(session, item_id):
        set_alert_status(session, alert_id, "dismissed", actor=actor.username, note=note, now=now)
    release_lock(session, item_id, actor)
    return review_id


def add_note(session: Session, item_id: int, actor: Actor, note: str, *, now: datetime | None = None) -> int:
    if not note.strip():
        raise InvalidValueError("note", note, ("a non-empty text",))
    acquire_lock(session, item_id, actor, now=now)
    return _review(session, actor, item_id, "note", note=note, now=now)


def link_counter_narrative(session: Session, item_id: int, actor: Actor, *, url: str | None = None,
                           counter_item_id: int | None = None, now: datetime | None = None) -> int:
    """Link a published counter-narrative (an http(s) URL or a stored item) to the item; returns its id."""
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
    link = CounterLink(item_id=item_id, url=url, counter_item_id=counter_item_id, user_name=actor.username,
                       organisation=actor.organisation, created_at=as_utc(now) if now else utcnow())
    session.add(link)
    session.flush()
    _review(session, actor, item_id, "counter_narrative",
            note=url or f"item {counter_item_id}", now=now)
    claim_id = session.get(Item, item_id).claim_id  # type: ignore[union-attr]
    if counter_item_id is not None and claim_id is not None:
        # a stored answer to a clustered claim: a confirmed counter-narrative link for the outcome measures
        review_link(session, claim_id=claim_id, item_id=counter_item_id, decision="confirm",
                    user=actor.username, organisation=actor.organisation, actor=actor.organisation,
                    actor_category=_category(session, actor.organisation), now=now)
    return link.id


def _category(session: Session, organisation: str) -> str:
    """The outcome report's actor category of an organisation, from its kind (newsroom -> media)."""
    kind = (session.execute(select(Organisation.kind).where(Organisation.name == organisation))
            .scalar_one_or_none() or "").lower()
    if kind in ("newsroom", "media", "fact_checker", "factchecker"):
        return "media"
    return kind if kind in ("polres", "kodim", "kpu", "bawaslu", "nu") else "other"


def escalate(session: Session, item_id: int, actor: Actor, to_organisation_id: int, note: str | None = None,
             *, now: datetime | None = None) -> int:
    """Hand the item to another organisation: it shows in their queue; open alerts become acknowledged."""
    target = session.get(Organisation, to_organisation_id)
    if target is None:
        raise RecordNotFoundError("organisation", to_organisation_id)
    acquire_lock(session, item_id, actor, now=now)
    session.add(Escalation(item_id=item_id, to_organisation_id=target.id, user_name=actor.username,
                           organisation=actor.organisation, note=(note or "").strip() or None,
                           created_at=as_utc(now) if now else utcnow()))
    _review(session, actor, item_id, "escalate", note=f"-> {target.name}" + (f": {note}" if note else ""),
            now=now)
    for alert_id in _open_alert_ids(session, item_id):
        set_alert_status(session, alert_id, "acknowledged", actor=actor.username,
                         note=f"escalated to {target.name}", now=now)
    release_lock(session, item_id, actor)
    return target.id
