"""Repository functions for claims, counter-narrative links, item matches and the matching step's state.

Every function takes a :class:`~sqlalchemy.orm.Session` and leaves committing to the caller. Links and
matches are written with ``INSERT ... ON CONFLICT`` so reruns and concurrent runs never duplicate them.
An item's time is its ``published_at``, else when it was collected.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import distinct, exists, func, select, update
from sqlalchemy.orm import Session

from pantau.domain.config import ActorConfig
from pantau.domain.outcomes import attribute
from storage.alerts import add_review
from storage.columns import as_utc, utcnow
from storage.dialect import upsert_insert
from storage.errors import InvalidValueError, RecordNotFoundError
from storage.models import (
    MATCH_ROLES,
    Alert,
    Claim,
    CounterNarrative,
    Item,
    ItemMatch,
    ItemMatchCheck,
    ItemSighting,
    Review,
    Score,
    Source,
)

CANONICAL_CHARS = 500
LINK_DECISIONS = ("confirm", "reject")

item_time = func.coalesce(Item.published_at, Item.collected_at)


@dataclass(frozen=True, slots=True)
class MatchCandidate:
    """A scored item the matching step has not handled yet, with what it needs to decide its role."""

    id: int
    title: str | None
    text: str
    url: str | None
    time: datetime
    stage: str | None
    districts: list[str]
    actors: list[str]
    claim_id: int | None
    source_kind: str
    source_actor: str | None
    scores: dict[str, Any]
    lang: str | None = None

    @property
    def full_text(self) -> str:
        return f"{self.title}\n{self.text}" if self.title else self.text


@dataclass(frozen=True, slots=True)
class StoredText:
    """An already handled item (a claim member or a counter-narrative) as matching needs it."""

    id: int
    text: str
    time: datetime
    claim_id: int | None = None
    title: str | None = None
    url: str | None = None


def _full_text(title: str | None, text: str) -> str:
    return f"{title}\n{text}" if title else text


def _inserted(session: Session, stmt: Any) -> bool:
    """Run an ``INSERT ... ON CONFLICT DO NOTHING RETURNING``; True if it inserted a row."""
    return session.execute(stmt).scalar_one_or_none() is not None


# --- the matching step's state --------------------------------------------------------------------


def items_to_match(
    session: Session, model_version: str, item_ids: Sequence[int] | None = None
) -> list[MatchCandidate]:
    """Items scored by ``model_version`` that the matching step has not handled, oldest first."""
    checked = exists().where(ItemMatchCheck.item_id == Item.id)
    stmt = (
        select(
            Item.id,
            Item.title,
            Item.text,
            Item.url,
            item_time,
            Item.stage,
            Item.districts,
            Item.actors,
            Item.claim_id,
            Source.kind,
            Source.actor,
            Score.scores,
            Item.lang,
        )
        .join(Source, Source.id == Item.source_id)
        .join(Score, (Score.item_id == Item.id) & (Score.model_version == model_version))
        .where(~checked)
        .order_by(item_time, Item.id)
    )
    if item_ids is not None:
        stmt = stmt.where(Item.id.in_(list(item_ids)))
    return [
        MatchCandidate(
            row[0],
            row[1],
            row[2],
            row[3],
            as_utc(row[4]),
            row[5],
            list(row[6] or []),
            list(row[7] or []),
            row[8],
            row[9],
            row[10],
            dict(row[11] or {}),
            row[12],
        )
        for row in session.execute(stmt)
    ]


#: Severities of a hoax alert that make its item a claim: a ``low`` one is a report about a hoax on a
#: trusted outlet, or a likely counter-narrative (``pantau.domain.alert_rules``).
ALERT_LEVEL_SEVERITIES = ("medium", "high", "critical")


def alert_level_items(session: Session, item_ids: Iterable[int]) -> set[int]:
    """Those of ``item_ids`` with a hoax alert a reviewer would see as one: a ``flagged_item`` hoax
    alert of at least medium severity that nobody dismissed, or a ``known_hoax`` alert."""
    ids = list(item_ids)
    found: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        flagged = (
            (Alert.kind == "flagged_item")
            & (Alert.signal == "hoax")
            & Alert.severity.in_(ALERT_LEVEL_SEVERITIES)
        )
        stmt = (
            select(Alert.item_id)
            .distinct()
            .where(Alert.item_id.in_(chunk), Alert.status != "dismissed")
            .where(flagged | (Alert.kind == "known_hoax"))
        )
        found.update(session.scalars(stmt))
    return found


def reviewer_hoax_items(session: Session, item_ids: Iterable[int]) -> set[int]:
    """Those of ``item_ids`` a reviewer gave the verdict ``hoax``."""
    ids = list(item_ids)
    found: set[int] = set()
    for start in range(0, len(ids), 500):
        stmt = (
            select(Review.item_id)
            .distinct()
            .where(
                Review.item_id.in_(ids[start : start + 500]),
                Review.action == "verdict",
                Review.verdict == "hoax",
            )
        )
        found.update(session.scalars(stmt))
    return found


def mark_checked(session: Session, roles: Mapping[int, str], *, now: datetime | None = None) -> int:
    """Record that the matching step handled these items (item id -> role); returns how many were new."""
    now = as_utc(now) if now else utcnow()
    rows = []
    for item_id, role in roles.items():
        if role not in MATCH_ROLES:
            raise InvalidValueError("match role", role, MATCH_ROLES)
        rows.append({"item_id": item_id, "role": role, "checked_at": now})
    if not rows:
        return 0
    stmt = upsert_insert(session, ItemMatchCheck.__table__).on_conflict_do_nothing(index_elements=["item_id"])
    return len(session.execute(stmt.returning(ItemMatchCheck.item_id), rows).all())


def claim_members(session: Session, *, since: datetime | None = None) -> list[StoredText]:
    """Items that belong to a claim (seen at or after ``since``), oldest first."""
    stmt = (
        select(Item.id, Item.title, Item.text, item_time, Item.claim_id, Item.url)
        .where(Item.claim_id.is_not(None))
        .order_by(item_time, Item.id)
    )
    if since is not None:
        stmt = stmt.where(item_time >= as_utc(since))
    return [
        StoredText(r[0], _full_text(r[1], r[2]), as_utc(r[3]), claim_id=r[4], title=r[1], url=r[5])
        for r in session.execute(stmt)
    ]


def answer_items(session: Session, *, since: datetime | None = None) -> list[StoredText]:
    """Items handled as counter-narratives (fact-checks, clarifications), oldest first."""
    stmt = (
        select(Item.id, Item.title, Item.text, item_time, Item.url)
        .join(ItemMatchCheck, ItemMatchCheck.item_id == Item.id)
        .where(ItemMatchCheck.role == "answer")
        .order_by(item_time, Item.id)
    )
    if since is not None:
        stmt = stmt.where(item_time >= as_utc(since))
    return [
        StoredText(r[0], _full_text(r[1], r[2]), as_utc(r[3]), title=r[1], url=r[4])
        for r in session.execute(stmt)
    ]


def stored_texts(session: Session, item_ids: Iterable[int]) -> list[StoredText]:
    """The given items (any role) as matching needs them, oldest first."""
    stmt = (
        select(Item.id, Item.title, Item.text, item_time, Item.claim_id, Item.url)
        .where(Item.id.in_(list(item_ids)))
        .order_by(item_time, Item.id)
    )
    return [
        StoredText(r[0], _full_text(r[1], r[2]), as_utc(r[3]), claim_id=r[4], title=r[1], url=r[5])
        for r in session.execute(stmt)
    ]


# --- claims ---------------------------------------------------------------------------------------


def create_claim(
    session: Session,
    canonical_text: str,
    *,
    first_seen_at: datetime | None = None,
    origin: str = "auto",
    now: datetime | None = None,
) -> int:
    """A new claim (``origin``: auto, reviewer or split); its spread is filled in by
    :func:`refresh_claim_spread`."""
    now = as_utc(now) if now else utcnow()
    claim = Claim(
        canonical_text=canonical_text[:CANONICAL_CHARS],
        first_seen_at=as_utc(first_seen_at) if first_seen_at else None,
        origin=origin,
        created_at=now,
        updated_at=now,
    )
    session.add(claim)
    session.flush()
    return claim.id


def claim_for_item(
    session: Session, item_id: int, *, user: str, organisation: str | None = None, now: datetime | None = None
) -> int:
    """The item's claim; a reviewer's hoax verdict on an item outside any claim starts one (origin
    ``reviewer``), so the claim's answers and spread are followed like those the matching step found."""
    item = session.get(Item, item_id)
    if item is None:
        raise RecordNotFoundError("item", item_id)
    if item.claim_id is not None:
        return item.claim_id
    claim_id = create_claim(
        session,
        _full_text(item.title, item.text),
        first_seen_at=item.published_at or item.collected_at,
        origin="reviewer",
        now=now,
    )
    assign_items(session, claim_id, [item_id])
    session.expire(item, ["claim_id"])
    add_review(
        session,
        user=user,
        organisation=organisation,
        item_id=item_id,
        action="claim_start",
        verdict=f"claim:{claim_id}",
        now=now,
    )
    refresh_claim_spread(session, [claim_id], now=now)
    return claim_id


#: Verdicts saying an item is no hoax: it leaves its claim (a claim left without items drops out of
#: the claims lists and the outcome measures, which only count claims with items).
NOT_A_CLAIM_VERDICTS = ("true", "tension_no_hoax")


def follow_verdict(
    session: Session,
    item_id: int,
    verdict: str,
    *,
    user: str,
    organisation: str | None = None,
    now: datetime | None = None,
) -> int | None:
    """Keep the item's claim membership in line with a reviewer's verdict; returns its claim id after.

    ``hoax``: the item's claim, started now if it had none (:func:`claim_for_item`); a
    :data:`NOT_A_CLAIM_VERDICTS` verdict: the item leaves its claim; other verdicts change nothing."""
    item = session.get(Item, item_id)
    if item is None:
        raise RecordNotFoundError("item", item_id)
    if verdict == "hoax":
        return claim_for_item(session, item_id, user=user, organisation=organisation, now=now)
    if verdict in NOT_A_CLAIM_VERDICTS and item.claim_id is not None:
        claim_id = item.claim_id
        item.claim_id = None
        session.flush()
        add_review(
            session,
            user=user,
            organisation=organisation,
            item_id=item_id,
            action="claim_leave",
            verdict=f"claim:{claim_id}",
            now=now,
        )
        refresh_claim_spread(session, [claim_id], now=now)
        return None
    return item.claim_id


def assign_items(session: Session, claim_id: int, item_ids: Iterable[int]) -> int:
    """Make the items members of the claim; returns how many rows changed."""
    ids = list(item_ids)
    if not ids:
        return 0
    result = session.execute(
        update(Item)
        .where(Item.id.in_(ids))
        .values(claim_id=claim_id)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def refresh_claim_spread(session: Session, claim_ids: Iterable[int], *, now: datetime | None = None) -> None:
    """Recompute each claim's first/last sighting, items, sources, districts, canonical text and status.

    The canonical text is the earliest member's; the status is ``answered`` while a counter-narrative
    link that no reviewer rejected exists, else ``unverified``.
    """
    now = as_utc(now) if now else utcnow()
    for claim_id in sorted(set(claim_ids)):
        claim = session.get(Claim, claim_id)
        if claim is None:
            raise RecordNotFoundError("claim", claim_id)
        members = session.execute(
            select(Item.id, Item.title, Item.text, item_time, Item.districts)
            .where(Item.claim_id == claim_id)
            .order_by(item_time, Item.id)
        ).all()
        sources = session.execute(
            select(func.count(distinct(ItemSighting.source_id)))
            .join(Item, Item.id == ItemSighting.item_id)
            .where(Item.claim_id == claim_id)
        ).scalar_one()
        answered = session.execute(
            select(
                exists().where(CounterNarrative.claim_id == claim_id, CounterNarrative.rejected.is_(False))
            )
        ).scalar()
        if members:
            claim.canonical_text = _full_text(members[0][1], members[0][2])[:CANONICAL_CHARS]
            claim.first_seen_at = as_utc(members[0][3])
            claim.last_seen_at = as_utc(members[-1][3])
        claim.item_count = len(members)
        claim.source_count = sources
        claim.districts = sorted({d for m in members for d in (m[4] or [])})
        claim.status = "answered" if answered else "unverified"
        claim.updated_at = now
    session.flush()


# --- counter-narrative links and matches ----------------------------------------------------------


def link_counter_narrative(
    session: Session,
    *,
    claim_id: int,
    item_id: int,
    actor: str | None,
    actor_category: str,
    published_at: datetime | None,
    confidence: float | None,
    link_method: str = "auto",
    attribution: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Link a counter-narrative item to the claim it answers; returns False if the link existed.

    ``attribution``: why ``actor`` is credited (``pantau.domain.outcomes.attribute``). An existing link
    (confirmed, rejected or automatic) is left exactly as it is.
    """
    now = as_utc(now) if now else utcnow()
    stmt = (
        upsert_insert(session, CounterNarrative.__table__)
        .values(
            item_id=item_id,
            claim_id=claim_id,
            actor=actor,
            actor_category=actor_category,
            attribution=attribution,
            published_at=as_utc(published_at) if published_at else None,
            link_method=link_method,
            confidence=confidence,
            confirmed=False,
            rejected=False,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["item_id", "claim_id"])
    )
    return _inserted(session, stmt.returning(CounterNarrative.id))


def record_match(
    session: Session,
    *,
    item_id: int,
    matched_item_id: int,
    score: float,
    backend: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Record that ``item_id`` matched the stored counter-narrative ``matched_item_id``; False if known."""
    return record_matches(session, [(item_id, matched_item_id, score)], backend=backend, now=now) == 1


MATCH_ROWS_PER_INSERT = 500  # rows of one multi-row INSERT (6 parameters each, far below SQLite's limit)


def record_matches(
    session: Session,
    matches: Sequence[tuple[int, int, float]],
    *,
    backend: str | None = None,
    now: datetime | None = None,
) -> int:
    """:func:`record_match` for many ``(item_id, matched_item_id, score)`` at once, as multi-row
    inserts (one statement per :data:`MATCH_ROWS_PER_INSERT` rows); returns how many were new."""
    now = as_utc(now) if now else utcnow()
    first: dict[tuple[int, int], float] = {}
    for item_id, matched_id, score in matches:
        first.setdefault((item_id, matched_id), score)  # a repeated pair keeps its first score
    rows = [
        {"item_id": i, "matched_item_id": m, "score": score, "backend": backend, "created_at": now}
        for (i, m), score in first.items()
    ]
    inserted = 0
    for start in range(0, len(rows), MATCH_ROWS_PER_INSERT):
        stmt = upsert_insert(session, ItemMatch.__table__).values(rows[start : start + MATCH_ROWS_PER_INSERT])
        stmt = stmt.on_conflict_do_nothing(index_elements=["item_id", "matched_item_id"])
        inserted += len(session.execute(stmt.returning(ItemMatch.id)).all())
    return inserted


def link_of(session: Session, claim_id: int, item_id: int) -> CounterNarrative | None:
    """The link between a claim and a counter-narrative item, if any."""
    return session.execute(
        select(CounterNarrative).where(
            CounterNarrative.claim_id == claim_id, CounterNarrative.item_id == item_id
        )
    ).scalar_one_or_none()


def links_of_claim(session: Session, claim_id: int) -> list[CounterNarrative]:
    """The counter-narrative links of a claim (rejected ones included), oldest answer first."""
    stmt = (
        select(CounterNarrative)
        .where(CounterNarrative.claim_id == claim_id)
        .order_by(CounterNarrative.published_at, CounterNarrative.id)
    )
    return list(session.scalars(stmt))


def review_link(
    session: Session,
    *,
    claim_id: int,
    item_id: int,
    decision: str,
    user: str,
    organisation: str | None = None,
    note: str | None = None,
    actor: str | None = None,
    actor_category: str = "other",
    attribution: str | None = None,
    now: datetime | None = None,
) -> CounterNarrative:
    """A reviewer confirms or rejects that ``item_id`` answers ``claim_id``; appends a Review.

    Confirming a link that does not exist creates it (``link_method`` ``reviewer``, with ``actor``
    credited on ``attribution``, by default ``confirmed``: the reviewing organisation that links it).
    Confirming records ``confirmed_by`` (``organisation``) and, when the link had no better basis than a
    mention in the text (or none), gives the credit to ``actor``, basis ``confirmed``; an answer whose
    source's configured actor published it keeps that actor. Rejecting keeps the link marked rejected,
    so automatic linking never brings it back.
    """
    if decision not in LINK_DECISIONS:
        raise InvalidValueError("link decision", decision, LINK_DECISIONS)
    if session.get(Claim, claim_id) is None:
        raise RecordNotFoundError("claim", claim_id)
    item = session.get(Item, item_id)
    if item is None:
        raise RecordNotFoundError("item", item_id)
    now = as_utc(now) if now else utcnow()
    link = link_of(session, claim_id, item_id)
    if link is None:
        link = CounterNarrative(
            claim_id=claim_id,
            item_id=item_id,
            actor=actor,
            actor_category=actor_category,
            link_method="reviewer",
            attribution=attribution or ("confirmed" if actor else None),
            published_at=item.published_at or item.collected_at,
            created_at=now,
        )
        session.add(link)
    elif decision == "confirm" and actor and link.attribution in (None, "mentioned"):
        link.actor, link.actor_category, link.attribution = actor, actor_category, "confirmed"
    link.confirmed = decision == "confirm"
    link.rejected = decision == "reject"
    if link.confirmed:
        link.confirmed_by, link.confirmed_at = organisation, now
    add_review(
        session,
        user=user,
        organisation=organisation,
        item_id=item_id,
        action=f"link_{decision}",
        verdict=f"claim:{claim_id}",
        note=note,
        now=now,
    )
    session.flush()
    refresh_claim_spread(session, [claim_id], now=now)
    return link


def record_url_answer(
    session: Session,
    *,
    claim_id: int,
    url: str,
    user: str,
    organisation: str | None,
    category: str = "other",
    note: str | None = None,
    item_id: int | None = None,
    now: datetime | None = None,
) -> CounterNarrative:
    """A counter-narrative a reviewer gives as a URL (published elsewhere, not collected yet; the next
    monitoring run fetches its page, :mod:`flows.url_answers`): recorded with
    the reviewer's organisation as its actor (basis ``reviewer``), the time it was recorded as its time,
    confirmed; it counts in the outcome measures like a linked item. Recording the same URL again for
    the claim returns the existing link (un-rejected). ``item_id``: the item the reviewer recorded it on
    (the review trail's entry; default the claim's earliest member)."""
    if session.get(Claim, claim_id) is None:
        raise RecordNotFoundError("claim", claim_id)
    now = as_utc(now) if now else utcnow()
    link = session.execute(
        select(CounterNarrative).where(CounterNarrative.claim_id == claim_id, CounterNarrative.url == url)
    ).scalar_one_or_none()
    if link is None:
        link = CounterNarrative(
            claim_id=claim_id,
            url=url,
            actor=organisation,
            actor_category=category,
            link_method="reviewer",
            attribution="reviewer",
            published_at=now,
            created_at=now,
        )
        session.add(link)
    link.confirmed, link.rejected = True, False
    link.confirmed_by, link.confirmed_at = organisation, now
    if item_id is None:  # the review trail hangs on an item: the claim's earliest member
        item_id = session.execute(
            select(Item.id).where(Item.claim_id == claim_id).order_by(item_time, Item.id).limit(1)
        ).scalar_one_or_none()
    if item_id is None:
        raise InvalidValueError("claim", claim_id, ("a claim with items",))
    add_review(
        session,
        user=user,
        organisation=organisation,
        item_id=item_id,
        action="link_url",
        verdict=f"claim:{claim_id}",
        note=(note or url)[:2000],
        now=now,
    )
    session.flush()
    refresh_claim_spread(session, [claim_id], now=now)
    return link


def answer_credit(
    session: Session,
    answer_item_id: int,
    organisation: str | None,
    category: str,
    actors: Sequence[ActorConfig] = (),
) -> tuple[str | None, str, str]:
    """Who gets the credit when a reviewer links or confirms a stored answer: (actor, category, basis).

    The answer's source's configured actor when it has one (basis ``source``), else the reviewing
    organisation (``confirmed``); a mention in the text never beats the organisation that vouches for it.
    """
    source_actor, _ = source_actor_of_item(session, answer_item_id)
    published = attribute(source_actor, (), actors)
    if published is not None and published.basis == "source":
        return published.actor, published.category, "source"
    return organisation, category, "confirmed"


@dataclass(frozen=True, slots=True)
class UrlAnswer:
    """A counter-narrative a reviewer gave as a URL whose page is not stored yet."""

    id: int
    claim_id: int
    url: str
    attempts: int


def url_answers_to_fetch(
    session: Session, *, now: datetime, retry_after: timedelta, max_attempts: int, limit: int = 50
) -> list[UrlAnswer]:
    """URL answers (not rejected) without a stored page, never tried or last tried ``retry_after`` ago,
    tried fewer than ``max_attempts`` times; oldest first."""
    due = as_utc(now) - retry_after
    stmt = (
        select(
            CounterNarrative.id,
            CounterNarrative.claim_id,
            CounterNarrative.url,
            CounterNarrative.fetch_attempts,
        )
        .where(
            CounterNarrative.item_id.is_(None),
            CounterNarrative.url.is_not(None),
            CounterNarrative.rejected.is_(False),
            CounterNarrative.fetch_attempts < max_attempts,
            CounterNarrative.fetched_at.is_(None) | (CounterNarrative.fetched_at <= due),
        )
        .order_by(CounterNarrative.created_at, CounterNarrative.id)
        .limit(limit)
    )
    return [UrlAnswer(*row) for row in session.execute(stmt)]


def record_fetched_answer(
    session: Session,
    link_id: int,
    item_id: int | None,
    *,
    error: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Record one fetch of a URL answer's page: ``item_id`` (the stored page) or ``error``. The link then
    points at the page and takes its publication time when that is earlier than the time the reviewer
    recorded it (the lag is measured to when the answer was published); actor and basis stay the
    reviewer's organisation's. Returns whether the link now has its page (False when the claim already
    has a link to that item: the URL answer then stays as recorded)."""
    at = as_utc(now) if now else utcnow()
    link = session.get(CounterNarrative, link_id)
    if link is None:
        raise RecordNotFoundError("counter-narrative", link_id)
    link.fetch_attempts = (link.fetch_attempts or 0) + 1
    link.fetched_at = at
    link.fetch_error = None if item_id is not None else (error or "no page")[:2000]
    if item_id is None or link_of(session, link.claim_id, item_id) is not None:
        return False
    item = session.get(Item, item_id)
    if item is None:
        raise RecordNotFoundError("item", item_id)
    link.item_id = item_id
    published = as_utc(item.published_at) if item.published_at else None
    if published is not None and (link.published_at is None or published < as_utc(link.published_at)):
        link.published_at = published
    session.flush()
    refresh_claim_spread(session, [link.claim_id], now=at)
    return True


def source_actor_of_item(session: Session, item_id: int) -> tuple[str | None, list[str]]:
    """The owning actor id of an item's source and the actor ids the item mentions."""
    row = session.execute(
        select(Source.actor, Item.actors).join(Item, Item.source_id == Source.id).where(Item.id == item_id)
    ).one_or_none()
    if row is None:
        raise RecordNotFoundError("item", item_id)
    return row[0], list(row[1] or [])
