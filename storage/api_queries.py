"""The JSON API's keyset pages (no OFFSET): alerts most severe first, then newest; items newest first;
claims most recently first seen first; and a capped count for the first page's total.

A page is read from a position (the last row of the page before) and reads one row more than asked
for, so the caller knows whether a next page exists without counting. A walk sees every row that
existed when it started exactly once: new items and claims sort before the position (they are newer);
new alerts could sort after it (a new low alert while the walk reads high ones), so an alerts position
also holds the highest alert id of the walk's first page and later pages read no alert above it.
Alerts reuse the analyst filters of :mod:`storage.alert_search` unchanged, so the
API and the pages agree; each severity is read newest first through ``ix_alerts_severity_created_at``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, func, literal, select, tuple_
from sqlalchemy.orm import Session

from pantau.domain.outcomes import ClaimOutcome
from storage import alert_search as search
from storage import claim_admin
from storage.claims import item_time
from storage.columns import as_utc
from storage.models import SEVERITIES, Alert, CounterNarrative, Item, ItemSighting, Source

#: Most severe first: the order of the alerts list.
SEVERITY_ORDER: tuple[str, ...] = tuple(reversed(SEVERITIES))
#: The first page's total is exact up to this many matches: counting stops there, so a count costs at
#: most this many index steps (at 100,000 alerts an exact count was most of a first page's time).
TOTAL_CAP = 1_000


@dataclass(frozen=True, slots=True)
class AlertKey:
    """An alert's place in the alerts list: its severity, then (created_at, id), newest first."""

    severity: str
    created_at: datetime
    id: int
    #: the highest alert id when the walk began: later pages leave newer alerts out
    upto: int


def _before(created_at: Any, row_id: Any, key_time: datetime, key_id: int) -> Any:
    """(created_at, id) < (key_time, key_id), as a row-value comparison both SQLite and PostgreSQL
    serve from an index ending in (created_at, id)."""
    return tuple_(created_at, row_id) < tuple_(literal(as_utc(key_time), created_at.type), literal(key_id))


def alerts_after(
    session: Session, filters: search.AlertFilters, after: AlertKey | None, *, limit: int
) -> tuple[list[search.AlertRow], AlertKey | None]:
    """Up to ``limit`` matching alerts after ``after`` (None: from the start), and the key to read the
    next page from (None: this was the last page). With a text search the order stays severity, then
    newest (a relevance rank has no stable key); the rows carry their highlighted ``snippet_html``."""
    dialect = session.get_bind().dialect.name
    start = SEVERITY_ORDER.index(after.severity) if after is not None else 0
    upto = after.upto if after is not None else session.execute(select(func.max(Alert.id))).scalar() or 0
    found: list[AlertKey] = []
    for severity in SEVERITY_ORDER[start:]:
        stmt = search._filtered(search._base([Alert.id, Alert.created_at], filters), filters, dialect).where(
            Alert.severity == severity, Alert.id <= upto
        )
        if after is not None and severity == after.severity:
            stmt = stmt.where(_before(Alert.created_at, Alert.id, after.created_at, after.id))
        stmt = stmt.order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit + 1 - len(found))
        found += [AlertKey(severity, as_utc(when), row_id, upto) for row_id, when in session.execute(stmt)]
        if len(found) > limit:
            break
    more = len(found) > limit
    found = found[:limit]
    rows = search.with_snippets(
        session, search._rows_for(session, [k.id for k in found]), search.text_query(filters)
    )
    return rows, (found[-1] if more and found else None)


def capped_count(session: Session, filters: search.AlertFilters, cap: int | None = None) -> tuple[int, bool]:
    """(matching alerts, exact): the count stops after ``cap`` (default TOTAL_CAP) + 1 rows, so it never
    reads more; past the cap it answers (cap, False)."""
    cap = TOTAL_CAP if cap is None else cap
    dialect = session.get_bind().dialect.name
    inner = search._filtered(search._base([Alert.id], filters), filters, dialect).limit(cap + 1).subquery()
    n = session.execute(select(func.count()).select_from(inner)).scalar_one()
    return min(n, cap), n <= cap


# --- items ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemFilters:
    """The items list's filters; None means no filter. ``since``/``until`` bound ``collected_at``."""

    stage: str | None = None
    district: str | None = None
    source: str | None = None
    signal: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class ItemRow:
    """One item of the items list."""

    id: int
    collected_at: datetime
    published_at: datetime | None
    title: str | None
    snippet: str | None
    url: str | None
    source: str
    lang: str | None
    stage: str | None
    districts: list[str]
    claim_id: int | None


def items_after(
    session: Session, filters: ItemFilters, after: tuple[datetime, int] | None, *, limit: int
) -> tuple[list[ItemRow], tuple[datetime, int] | None]:
    """Up to ``limit`` items, newest collected first, after ``after`` ((collected_at, id)), and the
    key of the next page (None: last page)."""
    dialect = session.get_bind().dialect.name
    stmt = select(
        Item.id,
        Item.collected_at,
        Item.published_at,
        Item.title,
        func.substr(Item.text, 1, search._TEXT_READ),
        Item.url,
        Source.name,
        Item.lang,
        Item.stage,
        Item.districts,
        Item.claim_id,
    ).join(Source, Source.id == Item.source_id)
    if filters.stage:
        stmt = stmt.where(Item.stage == filters.stage)
    if filters.source:
        stmt = stmt.where(Source.name == filters.source)
    if filters.district:
        needle = json.dumps(filters.district, ensure_ascii=dialect != "postgresql")
        stmt = stmt.where(cast(Item.districts, Text).contains(needle, autoescape=True))
    if filters.signal:
        stmt = stmt.where(Item.id.in_(select(Alert.item_id).where(Alert.signal == filters.signal)))
    if filters.since:
        stmt = stmt.where(Item.collected_at >= as_utc(filters.since))
    if filters.until:
        stmt = stmt.where(Item.collected_at < as_utc(filters.until))
    if after is not None:
        stmt = stmt.where(_before(Item.collected_at, Item.id, after[0], after[1]))
    stmt = stmt.order_by(Item.collected_at.desc(), Item.id.desc()).limit(limit + 1)
    rows = [
        ItemRow(
            id=r[0],
            collected_at=as_utc(r[1]),
            published_at=as_utc(r[2]) if r[2] else None,
            title=r[3],
            snippet=search.snippet(r[3], r[4]),
            url=r[5],
            source=r[6],
            lang=r[7],
            stage=r[8],
            districts=list(r[9] or []),
            claim_id=r[10],
        )
        for r in session.execute(stmt)
    ]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, ((rows[-1].collected_at, rows[-1].id) if more and rows else None)


def sightings(session: Session, item_id: int) -> int:
    """How many sources saw the item."""
    stmt = select(func.count()).select_from(ItemSighting).where(ItemSighting.item_id == item_id)
    return session.execute(stmt).scalar_one()


# --- claims ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CounterView:
    """A counter-narrative link of a claim, with its lag after the claim's first sighting."""

    id: int
    item_id: int | None
    url: str | None
    title: str | None
    actor: str | None
    category: str | None
    attribution: str | None
    link_method: str
    confirmed: bool
    rejected: bool
    published_at: datetime | None
    hours_after_first_seen: float | None


@dataclass(frozen=True, slots=True)
class ClaimsPage:
    rows: list[ClaimOutcome]
    counters: dict[int, list[CounterView]]
    total: int
    next_key: tuple[datetime, int] | None


def claims_after(
    session: Session,
    *,
    now: datetime,
    stage: str | None,
    district: str | None,
    answered: str | None,
    age: str | None,
    after: tuple[datetime, int] | None,
    limit: int,
) -> ClaimsPage:
    """The claims page's list (:func:`storage.claim_admin.list_claims`, same filters and numbers), as a
    keyset page after ``after`` ((first_seen_at, claim id)), with each claim's counter-narratives.

    The claims are few (hundreds), so the filtering happens in Python as on the page; the key still
    makes a walk stable while claims are added."""
    listed = claim_admin.list_claims(
        session, now=now, stage=stage, district=district, answered=answered, age=age, limit=10**9
    )
    rows = listed.rows
    if after is not None:
        key = (as_utc(after[0]), after[1])
        rows = [o for o in rows if (o.first_seen_at, o.claim_id) < key]
    more = len(rows) > limit
    rows = rows[:limit]
    first_seen = {o.claim_id: o.first_seen_at for o in rows}
    counters: dict[int, list[CounterView]] = {o.claim_id: [] for o in rows}
    if rows:
        stmt = (
            select(CounterNarrative, Item.title, item_time)
            .outerjoin(Item, Item.id == CounterNarrative.item_id)
            .where(CounterNarrative.claim_id.in_(list(first_seen)))
            .order_by(CounterNarrative.claim_id, CounterNarrative.published_at, CounterNarrative.id)
        )
        for link, title, when in session.execute(stmt):
            at = link.published_at or when or link.created_at
            at = as_utc(at) if at else None
            lag = max(0.0, (at - first_seen[link.claim_id]).total_seconds() / 3600) if at else None
            counters[link.claim_id].append(
                CounterView(
                    id=link.id,
                    item_id=link.item_id,
                    url=link.url,
                    title=title,
                    actor=link.actor,
                    category=link.actor_category,
                    attribution=link.attribution,
                    link_method=link.link_method,
                    confirmed=bool(link.confirmed),
                    rejected=bool(link.rejected),
                    published_at=at,
                    hours_after_first_seen=round(lag, 2) if lag is not None else None,
                )
            )
    next_key = (rows[-1].first_seen_at, rows[-1].claim_id) if more and rows else None
    return ClaimsPage(rows=rows, counters=counters, total=listed.total, next_key=next_key)
