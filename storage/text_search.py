"""Item search: every stored item (alerted or not) whose title or text matches a query, ranked by relevance,
with a highlighted snippet, under the analyst filters that apply to items.

The filters are :class:`storage.alert_search.AlertFilters`: ``stage``, ``district``, ``source`` and
``actor`` test the item's own tags; ``signal``, ``status`` and ``kind`` keep items with an alert of that
kind; ``since``/``until`` test when the item was published (when it was collected, if its date is
unknown). The text itself is searched by :mod:`storage.fts`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Text, cast, exists, func, select
from sqlalchemy.orm import Session

from storage import fts
from storage.alert_search import AlertFilters, snippet
from storage.columns import as_utc
from storage.models import Alert, Item, Source

_TEXT_READ = 800  # enough of a long text for the plain snippet


@dataclass(frozen=True, slots=True)
class ItemHit:
    """One matching item as the search page and the API show it."""

    id: int
    title: str | None
    url: str | None
    source: str | None
    published_at: datetime | None
    collected_at: datetime
    stage: str | None
    districts: list[str] = field(default_factory=list)
    actors: list[str] = field(default_factory=list)
    #: the title, else the start of the text (plain text, 200 characters)
    item_snippet: str | None = None
    #: the best-matching passage as safe HTML, the matches in <mark> (storage.fts.marked_html)
    snippet_html: str | None = None
    #: the title as safe HTML with its matches in <mark>; None when the title has no match
    title_html: str | None = None


def _json_contains(column: Any, value: str, dialect: str) -> Any:
    return cast(column, Text).contains(
        json.dumps(value, ensure_ascii=dialect != "postgresql"), autoescape=True
    )


def _filtered(stmt: Select[Any], f: AlertFilters, dialect: str) -> Select[Any]:
    if f.stage:
        stmt = stmt.where(Item.stage == f.stage)
    if f.district:
        stmt = stmt.where(_json_contains(Item.districts, f.district, dialect))
    if f.actor:
        stmt = stmt.where(_json_contains(Item.actors, f.actor, dialect))
    if f.source:
        stmt = stmt.where(Item.source_id.in_(select(Source.id).where(Source.name == f.source)))
    when = func.coalesce(Item.published_at, Item.collected_at)
    if f.since:
        stmt = stmt.where(when >= as_utc(f.since))
    if f.until:
        stmt = stmt.where(when < as_utc(f.until))
    alert_tests = [
        column == value
        for column, value in ((Alert.signal, f.signal), (Alert.status, f.status), (Alert.kind, f.kind))
        if value
    ]
    if alert_tests:
        stmt = stmt.where(exists().where(Alert.item_id == Item.id, *alert_tests))
    return stmt


def _hits(session: Session, ids: list[int], query: fts.TextQuery) -> list[ItemHit]:
    """The hits of these item ids, in the order given, with their highlighted snippets."""
    if not ids:
        return []
    stmt = (
        select(Item, Source.name, func.substr(Item.text, 1, _TEXT_READ))
        .outerjoin(Source, Source.id == Item.source_id)
        .where(Item.id.in_(ids))
    )
    rows = {item.id: (item, source, text) for item, source, text in session.execute(stmt)}
    marked = fts.item_snippets(session, query, ids)
    titles = fts.title_highlights(session, query, ids)
    out = []
    for i in ids:
        if i not in rows:
            continue
        item, source, text = rows[i]
        out.append(
            ItemHit(
                id=item.id,
                title=item.title,
                url=item.url,
                source=source,
                published_at=item.published_at,
                collected_at=item.collected_at,
                stage=item.stage,
                districts=list(item.districts or []),
                actors=list(item.actors or []),
                item_snippet=snippet(item.title, text),
                snippet_html=fts.marked_html(marked.get(i)),
                title_html=fts.marked_html(titles.get(i)),
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class ItemPage:
    """One page of an item search: the number of matches, the hits, and whether they are ordered by
    relevance (else newest first: more than ``fts.RANK_LIMIT`` matches)."""

    total: int
    hits: list[ItemHit]
    ranked: bool = True


def search_items(session: Session, filters: AlertFilters, *, limit: int = 20, offset: int = 0) -> ItemPage:
    """Matching items, best match first (then newest), or newest first when there are too many to
    rank (see :func:`storage.fts.rankable`). ``filters.q`` is the text to find; without searchable
    words in it (None, empty, only punctuation) nothing matches."""
    query = fts.parse_query(filters.q)
    if not query:
        return ItemPage(0, [])
    dialect = session.get_bind().dialect.name
    counted, _ = fts.join_items(select(func.count()).select_from(Item), query, dialect, Item.id)
    total = session.execute(_filtered(counted, filters, dialect)).scalar_one()
    ranked = fts.rankable(total)
    stmt, rank = fts.join_items(select(Item.id).select_from(Item), query, dialect, Item.id)
    order = (rank, Item.id.desc()) if ranked else (Item.id.desc(),)
    page = _filtered(stmt, filters, dialect).order_by(*order).limit(limit).offset(offset)
    return ItemPage(total, _hits(session, list(session.scalars(page)), query), ranked)


def items_matching(
    session: Session,
    filters: AlertFilters,
    *,
    after_id: int | None = None,
    limit: int = 1000,
    snippets: bool = True,
) -> list[ItemHit]:
    """Matching items with ids above ``after_id``, oldest (lowest id) first, at most ``limit``: what a
    saved search has not seen yet (pass the highest id it saw). ``snippets=False`` skips the
    highlighting (when only ids are needed)."""
    query = fts.parse_query(filters.q)
    if not query:
        return []
    dialect = session.get_bind().dialect.name
    stmt, _ = fts.join_items(select(Item.id).select_from(Item), query, dialect, Item.id)
    stmt = _filtered(stmt, filters, dialect)
    if after_id is not None:
        stmt = stmt.where(Item.id > after_id)
    ids = list(session.scalars(stmt.order_by(Item.id).limit(limit)))
    return _hits(session, ids, query if snippets else fts.TextQuery())
