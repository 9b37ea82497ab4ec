"""Outcome measures of the collaboration, computed from plain records (no I/O).

Per claim: when it was first seen, whether and when it was first answered by a counter-narrative,
by whom, how long that took, and whether the claim kept spreading afterwards. Aggregated per
election stage and per actor (and actor category: media, polres, kodim, kpu, bawaslu, nu, other).

Times: an item's time is its ``published_at``, else when Pantau collected it. A counter-narrative
published before the claim's first sighting (a known hoax resurfacing) counts as answered after
0 hours.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median

from pantau.domain.config import ActorConfig

#: The actor categories outcomes are reported by, in report order.
ACTOR_CATEGORIES: tuple[str, ...] = ("media", "polres", "kodim", "kpu", "bawaslu", "nu", "other")

# Configured actor kinds -> report categories. Fact-checkers count with the media partners.
_KIND_TO_CATEGORY = {
    "media": "media",
    "fact_checker": "media",
    "police": "polres",
    "military": "kodim",
    "election_commission": "kpu",
    "election_supervisor": "bawaslu",
    "religious_org": "nu",
}
# Actor kinds that speak for themselves when an item names them (an outlet quoting Polres: Polres answered).
_INSTITUTIONAL = frozenset(
    {"police", "military", "election_commission", "election_supervisor", "religious_org", "government"}
)


def category_of(kind: str | None) -> str:
    """The report category of a configured actor kind (``other`` for unknown or missing kinds)."""
    return _KIND_TO_CATEGORY.get(kind or "", "other")


#: Why an answer is credited to its actor, strongest first (stored in ``counter_narratives.attribution``):
#: the source's configured actor published it; the organisation that confirmed the link; a reviewer's
#: organisation recorded it (a URL); only the text names the actor.
ATTRIBUTION_BASES: tuple[str, ...] = ("source", "confirmed", "reviewer", "mentioned")


@dataclass(frozen=True, slots=True)
class Attribution:
    """Who answered with a counter-narrative, in which report category, and on what basis."""

    actor: str | None
    category: str
    basis: str | None


def attribute(
    source_actor: str | None, mentioned: Sequence[str], actors: Sequence[ActorConfig]
) -> Attribution:
    """Who published a counter-narrative item, by the strongest evidence there is.

    The source's configured actor (whoever publishes on that feed answered: a newsroom's own debunk that
    quotes Panwascam is the newsroom's); else the first institution the item names (a citizen's post
    relaying a Polres clarification; fact-checkers named in a text do not count, "cek fakta" is also a
    column name), basis ``mentioned``; else nobody. A reviewing organisation that confirms the link later
    replaces a ``mentioned`` or missing attribution (``storage.claims.review_link``).
    """
    by_id = {a.id: a for a in actors}
    own = by_id.get(source_actor or "")
    if own is not None:
        return Attribution(own.name, category_of(own.kind), "source")
    for actor_id in mentioned:
        named = by_id.get(actor_id)
        if named is not None and named.kind in _INSTITUTIONAL:
            return Attribution(named.name, category_of(named.kind), "mentioned")
    return Attribution(None, "other", None)


def answering_actor(
    source_actor: str | None, mentioned: Sequence[str], actors: Sequence[ActorConfig]
) -> tuple[str | None, str]:
    """``(actor name, category)`` of :func:`attribute`."""
    found = attribute(source_actor, mentioned, actors)
    return found.actor, found.category


@dataclass(frozen=True, slots=True)
class ClaimRecord:
    """A claim and its member items' times (``item_times``), as stored."""

    claim_id: int
    canonical_text: str
    item_times: tuple[datetime, ...]
    stage: str | None = None  # the stage of its first sighting
    districts: tuple[str, ...] = ()
    source_count: int = 0


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    """One counter-narrative linked to a claim: a stored item, or a URL a reviewer recorded."""

    claim_id: int
    item_id: int | None
    published_at: datetime
    actor: str | None
    category: str = "other"
    confirmed: bool = False
    link_method: str = "auto"
    attribution: str | None = None  # one of ATTRIBUTION_BASES
    confirmed_by: str | None = None  # the organisation that confirmed the link
    url: str | None = None

    @property
    def order_key(self) -> tuple[datetime, int, str]:
        return self.published_at, self.item_id if self.item_id is not None else -1, self.url or ""


@dataclass(frozen=True, slots=True)
class ClaimOutcome:
    """What happened to one claim."""

    claim_id: int
    canonical_text: str
    stage: str | None
    first_seen_at: datetime
    items: int
    sources: int
    districts: tuple[str, ...]
    first_answer_at: datetime | None
    first_answer_actor: str | None
    first_answer_category: str | None
    first_answer_attribution: str | None
    hours_to_first_answer: float | None
    answering_actors: tuple[str, ...]
    answering_categories: tuple[str, ...]
    items_after_answer: int

    @property
    def answered(self) -> bool:
        return self.first_answer_at is not None

    @property
    def kept_spreading(self) -> bool:
        """New items of the claim appeared after its first counter-narrative."""
        return self.items_after_answer > 0


@dataclass(frozen=True, slots=True)
class GroupOutcome:
    """Claims of one group (a stage, or all): how many were answered and how fast."""

    name: str
    claims: int
    answered: int
    kept_spreading: int
    hours_to_first_answer: tuple[float, ...] = field(default=())

    @property
    def answered_share(self) -> float | None:
        return self.answered / self.claims if self.claims else None

    @property
    def median_hours(self) -> float | None:
        return median(self.hours_to_first_answer) if self.hours_to_first_answer else None


@dataclass(frozen=True, slots=True)
class ActorOutcome:
    """One actor's contribution: claims it answered, how many it answered first, its own delays."""

    actor: str
    category: str
    claims_answered: int
    first_answers: int
    hours_to_answer: tuple[float, ...]

    @property
    def median_hours(self) -> float | None:
        return median(self.hours_to_answer) if self.hours_to_answer else None


def _hours(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds() / 3600)


def claim_outcome(claim: ClaimRecord, answers: Iterable[AnswerRecord]) -> ClaimOutcome | None:
    """The outcome of one claim from its answers (those of other claims are ignored); None without items."""
    if not claim.item_times:
        return None
    first_seen = min(claim.item_times)
    mine = sorted((a for a in answers if a.claim_id == claim.claim_id), key=lambda a: a.order_key)
    first = mine[0] if mine else None
    actors = tuple(dict.fromkeys(a.actor for a in mine if a.actor))
    categories = tuple(c for c in ACTOR_CATEGORIES if any(a.category == c for a in mine))
    return ClaimOutcome(
        claim_id=claim.claim_id,
        canonical_text=claim.canonical_text,
        stage=claim.stage,
        first_seen_at=first_seen,
        items=len(claim.item_times),
        sources=claim.source_count,
        districts=claim.districts,
        first_answer_at=first.published_at if first else None,
        first_answer_actor=first.actor if first else None,
        first_answer_category=first.category if first else None,
        first_answer_attribution=first.attribution if first else None,
        hours_to_first_answer=_hours(first_seen, first.published_at) if first else None,
        answering_actors=actors,
        answering_categories=categories,
        items_after_answer=sum(t > first.published_at for t in claim.item_times) if first else 0,
    )


def claim_outcomes(claims: Iterable[ClaimRecord], answers: Iterable[AnswerRecord]) -> list[ClaimOutcome]:
    """Every claim's outcome, oldest first sighting first."""
    by_claim: dict[int, list[AnswerRecord]] = {}
    for answer in answers:
        by_claim.setdefault(answer.claim_id, []).append(answer)
    outcomes = [claim_outcome(c, by_claim.get(c.claim_id, [])) for c in claims]
    return sorted((o for o in outcomes if o is not None), key=lambda o: (o.first_seen_at, o.claim_id))


def group_outcome(name: str, outcomes: Iterable[ClaimOutcome]) -> GroupOutcome:
    """Totals over a group of claim outcomes."""
    rows = list(outcomes)
    return GroupOutcome(
        name=name,
        claims=len(rows),
        answered=sum(o.answered for o in rows),
        kept_spreading=sum(o.kept_spreading for o in rows),
        hours_to_first_answer=tuple(
            o.hours_to_first_answer for o in rows if o.hours_to_first_answer is not None
        ),
    )


def by_stage(outcomes: Iterable[ClaimOutcome], stage_order: Sequence[str] = ()) -> list[GroupOutcome]:
    """One group per election stage of first sighting, in ``stage_order`` (unknown stages last)."""
    groups: dict[str, list[ClaimOutcome]] = {}
    for o in outcomes:
        groups.setdefault(o.stage or "unknown", []).append(o)
    rank = {name: i for i, name in enumerate(stage_order)}
    names = sorted(groups, key=lambda n: (rank.get(n, len(rank)), n))
    return [group_outcome(n, groups[n]) for n in names]


def by_actor(outcomes: Iterable[ClaimOutcome], answers: Iterable[AnswerRecord]) -> list[ActorOutcome]:
    """Per actor (unattributed answers under ``(unattributed)``), most claims answered first.

    Only answers to the given claims count; an actor's delay per claim is from the claim's first
    sighting to that actor's first answer to it.
    """
    claims = {o.claim_id: o for o in outcomes}
    first_per_actor: dict[tuple[str, str], dict[int, datetime]] = {}
    for a in answers:
        if a.claim_id not in claims:
            continue
        key = (a.actor or "(unattributed)", a.category)
        seen = first_per_actor.setdefault(key, {})
        if a.claim_id not in seen or a.published_at < seen[a.claim_id]:
            seen[a.claim_id] = a.published_at
    rows = []
    for (actor, category), firsts in first_per_actor.items():
        rows.append(
            ActorOutcome(
                actor=actor,
                category=category,
                claims_answered=len(firsts),
                first_answers=sum(
                    1
                    for cid in firsts
                    if (claims[cid].first_answer_actor or "(unattributed)") == actor
                    and claims[cid].first_answer_category == category
                ),
                hours_to_answer=tuple(
                    _hours(claims[cid].first_seen_at, at) for cid, at in sorted(firsts.items())
                ),
            )
        )
    return sorted(rows, key=lambda r: (-r.claims_answered, -r.first_answers, r.actor))


def by_category(outcomes: Iterable[ClaimOutcome]) -> dict[str, int]:
    """Claims answered per actor category (a claim answered by media and Polres counts for both)."""
    rows = list(outcomes)
    return {c: sum(c in o.answering_categories for o in rows) for c in ACTOR_CATEGORIES}
