"""The claims page's queries and a reviewer's claim actions: list, detail, merge, split, URL link review.

The list and a claim's outcome come from :func:`storage.outcomes_query.load_outcome_records` and
:func:`pantau.domain.outcomes.claim_outcomes`, so their numbers agree with the outcomes page. Merged
claims (``merged_into_id`` set) have no items left and are never listed.

Merging claim B into A moves B's items and counter-narrative links to A (a link A already has, for
the same item or URL, stays behind with B), marks B merged into A, and repoints claims merged into B.
Splitting moves chosen items into a new claim (origin ``split``); the counter-narrative links stay
with the original claim. Every item moved by a reviewer is marked handled in ``item_match_checks``,
so the matching step (which only clusters items it has not handled) never moves it back. Each action
appends a Review per moved item. Functions take a Session and leave committing to the caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from pantau.domain.outcomes import ClaimOutcome, claim_outcomes
from storage import review_queue
from storage.alerts import add_review
from storage.claims import (
    LINK_DECISIONS,
    assign_items,
    create_claim,
    item_time,
    mark_checked,
    refresh_claim_spread,
)
from storage.columns import as_utc, utcnow
from storage.errors import InvalidValueError, RecordNotFoundError, StorageError
from storage.models import Claim, CounterNarrative, Item, Source
from storage.outcomes_query import load_outcome_records

ANSWERED_FILTERS = ("answered", "unanswered")
AGE_FILTERS = ("24h", "7d", "older")
_AGE_LIMITS = {"24h": timedelta(hours=24), "7d": timedelta(days=7)}
MAX_REDIRECT_HOPS = 10


class ClaimActionError(StorageError, ValueError):
    """A merge or split a reviewer may not do. ``reason`` is one of :data:`ClaimActionError.REASONS`."""

    REASONS = (
        "same_claim",
        "target_merged",
        "source_merged",
        "no_items",
        "all_items",
        "not_member",
        "own_member",
    )

    def __init__(self, reason: str, claim_id: int, detail: object = None):
        self.reason = reason
        self.claim_id = claim_id
        self.detail = detail
        super().__init__(f"claim {claim_id}: {reason}" + (f" ({detail})" if detail is not None else ""))


@dataclass(frozen=True, slots=True)
class ClaimPage:
    """One page of the claims list, with the total of claims matching the filters."""

    rows: list[ClaimOutcome]
    total: int


@dataclass(frozen=True, slots=True)
class ClaimMember:
    """An item of a claim as the claim page shows it."""

    id: int
    title: str | None
    text: str
    time: datetime
    source: str
    stage: str | None
    districts: list[str]


@dataclass(frozen=True, slots=True)
class LinkView:
    """A counter-narrative link and how long after the claim's first sighting it was published."""

    link: CounterNarrative
    title: str | None
    hours_after_first_seen: float | None


@dataclass
class ClaimDetail:
    """Everything the claim page shows."""

    claim: Claim
    members: list[ClaimMember] = field(default_factory=list)
    links: list[LinkView] = field(default_factory=list)
    outcome: ClaimOutcome | None = None


@dataclass(frozen=True, slots=True)
class MergeResult:
    target_id: int
    items_moved: int
    links_moved: int
    links_left: int


def organisation_category(session: Session, organisation: str | None) -> str:
    """The outcome category of a reviewer's organisation (the review queue's mapping: newsroom -> media)."""
    return review_queue._category(session, organisation or "")  # one mapping, shared with the queue


# --- the list and the page ------------------------------------------------------------------------


def list_claims(
    session: Session,
    *,
    now: datetime,
    stage: str | None = None,
    district: str | None = None,
    answered: str | None = None,
    age: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> ClaimPage:
    """Claims with items matching the filters, most recently first seen first. A merged claim has no
    items left (they all moved, and the matching step only adds items to claims that have members)."""
    if answered is not None and answered not in ANSWERED_FILTERS:
        raise InvalidValueError("answered filter", answered, ANSWERED_FILTERS)
    if age is not None and age not in AGE_FILTERS:
        raise InvalidValueError("age filter", age, AGE_FILTERS)
    claims, answers = load_outcome_records(session, stage=stage)  # skips claims without items: merged ones
    rows = claim_outcomes(claims, answers)
    if district:
        rows = [o for o in rows if district in o.districts]
    if answered is not None:
        rows = [o for o in rows if o.answered == (answered == "answered")]
    if age is not None:
        now = as_utc(now)
        if age == "older":
            rows = [o for o in rows if o.first_seen_at < now - _AGE_LIMITS["7d"]]
        else:
            rows = [o for o in rows if o.first_seen_at >= now - _AGE_LIMITS[age]]
    rows.sort(key=lambda o: (o.first_seen_at, o.claim_id), reverse=True)
    return ClaimPage(rows=rows[offset : offset + limit], total=len(rows))


def resolve_claim(session: Session, claim_id: int) -> int:
    """The claim a URL should show: ``claim_id`` itself, or the claim it was (transitively) merged into."""
    current = session.get(Claim, claim_id)
    if current is None:
        raise RecordNotFoundError("claim", claim_id)
    for _ in range(MAX_REDIRECT_HOPS):
        if current.merged_into_id is None:
            break
        current = session.get(Claim, current.merged_into_id)
        if current is None:
            raise RecordNotFoundError("claim", claim_id)
    return current.id


def claim_detail(session: Session, claim_id: int) -> ClaimDetail:
    """A claim with its members (oldest first), its links (rejected ones included) and its outcome."""
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise RecordNotFoundError("claim", claim_id)
    detail = ClaimDetail(claim=claim)
    detail.members = [
        ClaimMember(
            id=r[0],
            title=r[1],
            text=r[2],
            time=as_utc(r[3]),
            source=r[4],
            stage=r[5],
            districts=list(r[6] or []),
        )
        for r in session.execute(
            select(Item.id, Item.title, Item.text, item_time, Source.name, Item.stage, Item.districts)
            .join(Source, Source.id == Item.source_id)
            .where(Item.claim_id == claim_id)
            .order_by(item_time, Item.id)
        )
    ]
    claims, answers = load_outcome_records(session)
    mine = [c for c in claims if c.claim_id == claim_id]
    outcomes = claim_outcomes(mine, [a for a in answers if a.claim_id == claim_id])
    detail.outcome = outcomes[0] if outcomes else None
    first_seen = detail.members[0].time if detail.members else None
    rows = session.execute(
        select(CounterNarrative, Item.title, item_time)
        .outerjoin(Item, Item.id == CounterNarrative.item_id)
        .where(CounterNarrative.claim_id == claim_id)
        .order_by(CounterNarrative.id)
    ).all()
    views = []
    for link, title, when in rows:
        published = link.published_at or when or link.created_at
        lag = None
        if first_seen is not None and published is not None:
            lag = max(0.0, (as_utc(published) - first_seen).total_seconds() / 3600)
        views.append(
            (
                as_utc(published) if published else None,
                LinkView(link=link, title=title, hours_after_first_seen=lag),
            )
        )
    views.sort(key=lambda v: (v[0] is None, v[0] or first_seen or claim.created_at, v[1].link.id))
    detail.links = [v for _, v in views]
    return detail


# --- merge and split ------------------------------------------------------------------------------


def _member_ids(session: Session, claim_id: int) -> list[int]:
    stmt = select(Item.id).where(Item.claim_id == claim_id).order_by(item_time, Item.id)
    return list(session.scalars(stmt))


def _live_claim(session: Session, claim_id: int) -> Claim:
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise RecordNotFoundError("claim", claim_id)
    return claim


def _review_each(
    session: Session,
    item_ids: Iterable[int],
    *,
    user: str,
    organisation: str | None,
    action: str,
    claim_id: int,
    note: str,
    now: datetime,
) -> None:
    for item_id in item_ids:
        add_review(
            session,
            user=user,
            organisation=organisation,
            item_id=item_id,
            action=action,
            verdict=f"claim:{claim_id}",
            note=note,
            now=now,
        )


def merge_claims(
    session: Session,
    *,
    source_id: int,
    target_id: int,
    user: str,
    organisation: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> MergeResult:
    """Merge claim ``source_id`` into ``target_id`` (see the module docstring); one Review per moved item."""
    now = as_utc(now) if now else utcnow()
    if source_id == target_id:
        raise ClaimActionError("same_claim", source_id)
    source, target = _live_claim(session, source_id), _live_claim(session, target_id)
    if target.merged_into_id is not None:
        raise ClaimActionError("target_merged", target_id, target.merged_into_id)
    if source.merged_into_id is not None:
        raise ClaimActionError("source_merged", source_id, source.merged_into_id)
    items = _member_ids(session, source_id)
    if not items:
        raise ClaimActionError("no_items", source_id)
    assign_items(session, target_id, items)
    mark_checked(session, dict.fromkeys(items, "claim"), now=now)
    existing = session.execute(
        select(CounterNarrative.item_id, CounterNarrative.url).where(CounterNarrative.claim_id == target_id)
    ).all()
    have_items = {i for i, _ in existing if i is not None}
    have_urls = {u for _, u in existing if u is not None}
    moved = left = 0
    for link in session.scalars(
        select(CounterNarrative).where(CounterNarrative.claim_id == source_id).order_by(CounterNarrative.id)
    ):
        if (link.item_id is not None and link.item_id in have_items) or (
            link.url is not None and link.url in have_urls
        ):
            left += 1
            continue
        link.claim_id = target_id
        if link.item_id is not None:
            have_items.add(link.item_id)
        if link.url is not None:
            have_urls.add(link.url)
        moved += 1
    source.merged_into_id = target_id
    source.updated_at = now
    for earlier in session.scalars(select(Claim).where(Claim.merged_into_id == source_id)):
        earlier.merged_into_id = target_id
    session.flush()
    text = f"klaim #{source_id} digabung ke #{target_id}" + (f": {note}" if note else "")
    _review_each(
        session,
        items,
        user=user,
        organisation=organisation,
        action="claim_merge",
        claim_id=target_id,
        note=text,
        now=now,
    )
    refresh_claim_spread(session, [source_id, target_id], now=now)
    return MergeResult(target_id=target_id, items_moved=len(items), links_moved=moved, links_left=left)


def split_claim(
    session: Session,
    *,
    claim_id: int,
    item_ids: Sequence[int],
    user: str,
    organisation: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> int:
    """Move ``item_ids`` (some, not all, members of the claim) into a new claim; returns its id."""
    now = as_utc(now) if now else utcnow()
    claim = _live_claim(session, claim_id)
    if claim.merged_into_id is not None:
        raise ClaimActionError("source_merged", claim_id, claim.merged_into_id)
    chosen = set(item_ids)
    if not chosen:
        raise ClaimActionError("no_items", claim_id)
    members = _member_ids(session, claim_id)
    strangers = sorted(chosen.difference(members))
    if strangers:
        raise ClaimActionError("not_member", claim_id, strangers)
    if len(chosen) == len(members):
        raise ClaimActionError("all_items", claim_id)
    moving = [i for i in members if i in chosen]  # oldest first: the first gives the canonical text
    first = session.get(Item, moving[0])
    assert first is not None
    full_text = f"{first.title}\n{first.text}" if first.title else first.text
    new_id = create_claim(
        session, full_text, first_seen_at=first.published_at or first.collected_at, origin="split", now=now
    )
    assign_items(session, new_id, moving)
    mark_checked(session, dict.fromkeys(moving, "claim"), now=now)
    session.flush()
    text = f"dipisah dari klaim #{claim_id} ke #{new_id}" + (f": {note}" if note else "")
    _review_each(
        session,
        moving,
        user=user,
        organisation=organisation,
        action="claim_split",
        claim_id=new_id,
        note=text,
        now=now,
    )
    refresh_claim_spread(session, [claim_id, new_id], now=now)
    return new_id


def check_answer_item(session: Session, claim_id: int, item_id: int) -> None:
    """Refuse linking one of the claim's own items as its counter-narrative."""
    item = session.get(Item, item_id)
    if item is None:
        raise RecordNotFoundError("item", item_id)
    if item.claim_id == claim_id:
        raise ClaimActionError("own_member", claim_id, item_id)


def review_url_link(
    session: Session,
    *,
    claim_id: int,
    link_id: int,
    decision: str,
    user: str,
    organisation: str | None = None,
    now: datetime | None = None,
) -> CounterNarrative:
    """Confirm or reject a URL counter-narrative (one without an item); the Review goes on the claim's
    earliest item. Item links go through :func:`storage.claims.review_link` instead."""
    if decision not in LINK_DECISIONS:
        raise InvalidValueError("link decision", decision, LINK_DECISIONS)
    now = as_utc(now) if now else utcnow()
    link = session.get(CounterNarrative, link_id)
    if link is None or link.claim_id != claim_id:
        raise RecordNotFoundError("counter-narrative link", link_id)
    link.confirmed = decision == "confirm"
    link.rejected = decision == "reject"
    if link.confirmed:
        link.confirmed_by = organisation
        link.confirmed_at = now
    members = _member_ids(session, claim_id)
    if members:
        add_review(
            session,
            user=user,
            organisation=organisation,
            item_id=members[0],
            action=f"link_{decision}",
            verdict=f"claim:{claim_id}",
            note=link.url,
            now=now,
        )
    session.flush()
    refresh_claim_spread(session, [claim_id], now=now)
    return link
