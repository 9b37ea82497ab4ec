"""Load the plain records the outcome measures are computed from (``pantau.domain.outcomes``).

A claim's stage is the stage of its earliest member item; ``since``/``until`` filter claims by their
first sighting. Links a reviewer rejected never count; ``confirmed_only`` keeps only confirmed ones.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pantau.domain.outcomes import AnswerRecord, ClaimRecord
from storage.claims import item_time
from storage.columns import as_utc
from storage.models import Claim, CounterNarrative, Item


def load_outcome_records(
    session: Session,
    *,
    stage: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    confirmed_only: bool = False,
) -> tuple[list[ClaimRecord], list[AnswerRecord]]:
    """The claims (with their members' times) and the counter-narrative links to them."""
    rows = session.execute(
        select(Item.claim_id, item_time, Item.stage)
        .where(Item.claim_id.is_not(None))
        .order_by(Item.claim_id, item_time, Item.id)
    ).all()
    times: dict[int, list[datetime]] = {}
    first_stage: dict[int, str | None] = {}
    for claim_id, when, item_stage in rows:
        if claim_id not in times:
            first_stage[claim_id] = item_stage
        times.setdefault(claim_id, []).append(as_utc(when))
    claims: list[ClaimRecord] = []
    for claim in session.scalars(select(Claim).order_by(Claim.id)):
        member_times = times.get(claim.id)
        if not member_times:
            continue
        first = member_times[0]
        if stage is not None and first_stage[claim.id] != stage:
            continue
        if (since is not None and first < as_utc(since)) or (until is not None and first > as_utc(until)):
            continue
        claims.append(
            ClaimRecord(
                claim_id=claim.id,
                canonical_text=claim.canonical_text,
                item_times=tuple(member_times),
                stage=first_stage[claim.id],
                districts=tuple(claim.districts or ()),
                source_count=claim.source_count,
            )
        )
    wanted = {c.claim_id for c in claims}
    # outer join: a URL a reviewer recorded has no item (its time is when it was recorded)
    stmt = (
        select(CounterNarrative, item_time)
        .outerjoin(Item, Item.id == CounterNarrative.item_id)
        .where(CounterNarrative.rejected.is_(False))
        .order_by(CounterNarrative.id)
    )
    if confirmed_only:
        stmt = stmt.where(CounterNarrative.confirmed.is_(True))
    answers = [
        AnswerRecord(
            claim_id=link.claim_id,
            item_id=link.item_id,
            published_at=as_utc(link.published_at or when or link.created_at),
            actor=link.actor,
            category=link.actor_category or "other",
            confirmed=link.confirmed,
            link_method=link.link_method,
            attribution=link.attribution,
            confirmed_by=link.confirmed_by,
            url=link.url,
        )
        for link, when in session.execute(stmt)
        if link.claim_id in wanted
    ]
    return claims, answers
