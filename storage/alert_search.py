"""Analyst queries: alerts filtered by signal, stage, district, source, actor, status, period and text;
counts per election stage and signal (the timeline) and per district (the tension table).

Text search (``q``) uses the database's full-text index (:mod:`storage.fts`: FTS5 on SQLite, ``tsvector``
on PostgreSQL) over the alert's reason and the item's title and text: whole words (``word*`` for a
prefix), accents and case folded, "quoted phrases" in order. With ``q``, :func:`search_page` ranks by
relevance (bm25 / ts_rank; alerts whose item matches before those matching only by their reason)
instead of severity, and every row carries ``snippet_html``: the matching passage, escaped, with the
matches in ``<mark>``.

Each row carries the item's snippet (its title, else the start of its text, whitespace collapsed), so an
untitled post shows what it says rather than the model's reason (which keeps its own field).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Text, case, cast, exists, false, func, literal_column, or_, select
from sqlalchemy.orm import Session

from storage import fts
from storage.columns import as_utc
from storage.models import SEVERITIES, Alert, Item, Source

# A literal, not a bound parameter: PostgreSQL must see GROUP BY and SELECT expressions as equal.
_DASH = literal_column("'-'")
SNIPPET_CHARS = 200
_TEXT_READ = 4 * SNIPPET_CHARS  # enough of a long text for the snippet, even with much whitespace


@dataclass(frozen=True, slots=True)
class AlertFilters:
    """Every filter of the analyst views and the API; None means no filter."""

    signal: str | None = None
    stage: str | None = None
    district: str | None = None
    source: str | None = None
    actor: str | None = None
    status: str | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    q: str | None = None


@dataclass(frozen=True, slots=True)
class AlertRow:
    """One alert as the analyst table, the CSV export and the API show it."""

    id: int
    created_at: datetime
    kind: str
    signal: str | None
    severity: str
    status: str
    stage: str | None
    district: str | None
    source: str | None
    item_id: int | None
    item_title: str | None
    item_url: str | None
    reason: str
    actors: list[str]
    item_snippet: str | None = None
    #: with a text search: the matching passage of the item (else of the reason) as safe HTML, the
    #: matches in <mark> (see storage.fts.marked_html); None without a search or a match to show
    snippet_html: str | None = None


def snippet(title: str | None, text: str | None, limit: int = SNIPPET_CHARS) -> str | None:
    """The item's title, else its text: whitespace collapsed, at most ``limit`` characters (a cut ends
    with '…'); None when both are empty."""
    flat = " ".join((title or "").split()) or " ".join((text or "").split())
    if not flat:
        return None
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _filtered(stmt: Select[Any], f: AlertFilters, dialect: str) -> Select[Any]:
    if f.signal:
        stmt = stmt.where(Alert.signal == f.signal)
    if f.stage:
        stmt = stmt.where(Alert.stage == f.stage)
    if f.district:
        stmt = stmt.where(Alert.district == f.district)
    if f.status:
        stmt = stmt.where(Alert.status == f.status)
    if f.kind:
        stmt = stmt.where(Alert.kind == f.kind)
    if f.since:
        stmt = stmt.where(Alert.created_at >= as_utc(f.since))
    if f.until:
        stmt = stmt.where(Alert.created_at < as_utc(f.until))
    if f.source:
        source_ids = select(Source.id).where(Source.name == f.source)
        stmt = stmt.where(
            or_(
                Alert.source_id.in_(source_ids),
                Alert.item_id.in_(select(Item.id).where(Item.source_id.in_(source_ids))),
            )
        )
    if f.actor:
        needle = json.dumps(f.actor, ensure_ascii=dialect != "postgresql")
        stmt = stmt.where(
            exists().where(
                Item.id == Alert.item_id, cast(Item.actors, Text).contains(needle, autoescape=True)
            )
        )
    if f.q and f.q.strip():
        query = fts.parse_query(f.q)
        if not query:  # nothing searchable (only punctuation): nothing matches
            return stmt.where(false())
        stmt = stmt.where(
            or_(Alert.item_id.in_(fts.item_ids(query, dialect)), Alert.id.in_(fts.reason_ids(query, dialect)))
        )
    return stmt


def text_query(f: AlertFilters) -> fts.TextQuery | None:
    """The parsed ``q`` of the filters, or None when there is no text search."""
    return fts.parse_query(f.q) if f.q and f.q.strip() else None


def _ranked_ids(
    session: Session, f: AlertFilters, query: fts.TextQuery, *, limit: int, offset: int
) -> list[int]:
    """One page of the matching alerts' ids: alerts whose item matches first, by relevance, then those
    that match only by their reason (by relevance too), newest first among equals. Merged from the top
    ``offset + limit`` of each (bm25 scores of two FTS tables are not comparable, so they are tiers)."""
    dialect = _dialect(session)
    rest = replace(f, q=None)
    wanted = offset + limit
    best: dict[int, tuple[int, float, float, int]] = {}
    by_item = fts.join_items(select(Alert.id, Alert.created_at), query, dialect, Alert.item_id)
    by_reason = fts.join_reasons(select(Alert.id, Alert.created_at), query, dialect)
    for tier, (stmt, rank) in enumerate((by_item, by_reason)):
        stmt = _filtered(stmt.add_columns(rank), rest, dialect)
        stmt = stmt.order_by(rank, Alert.created_at.desc(), Alert.id.desc()).limit(wanted)
        for alert_id, created_at, score in session.execute(stmt):
            key = (tier, float(score), -created_at.timestamp(), -alert_id)
            best[alert_id] = min(best.get(alert_id, key), key)
    ordered = sorted(best, key=best.__getitem__)
    return ordered[offset:wanted]


def with_snippets(session: Session, rows: list[AlertRow], query: fts.TextQuery | None) -> list[AlertRow]:
    """``rows`` with ``snippet_html`` set: the item's matching passage, else the reason's."""
    if not query or not rows:
        return rows
    by_item = fts.item_snippets(session, query, [r.item_id for r in rows if r.item_id is not None])
    need_reason = [r.id for r in rows if r.item_id not in by_item]
    by_reason = fts.reason_snippets(session, query, need_reason)
    out = []
    for r in rows:
        marked = by_item.get(r.item_id) if r.item_id is not None else None
        out.append(replace(r, snippet_html=fts.marked_html(marked or by_reason.get(r.id))))
    return out


def _base(columns: list[Any], f: AlertFilters | None = None) -> Select[Any]:
    """``select(columns)`` from alerts; filters on the item or source are subqueries (see _filtered), so
    counts and groupings need no join. With no ``f`` (reading rows), the item and source are joined."""
    stmt = select(*columns)
    if f is None:
        stmt = (
            stmt.select_from(Alert)
            .outerjoin(Item, Item.id == Alert.item_id)
            .outerjoin(Source, Source.id == func.coalesce(Alert.source_id, Item.source_id))
        )
    return stmt


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _rows_for(session: Session, ids: list[int]) -> list[AlertRow]:
    """The rows of these alert ids, in the order given."""
    if not ids:
        return []
    stmt = _base(
        [Alert, Source.name, Item.title, Item.url, Item.actors, func.substr(Item.text, 1, _TEXT_READ)]
    ).where(Alert.id.in_(ids))
    by_id = {r[0].id: _row(*r) for r in session.execute(stmt)}
    return [by_id[i] for i in ids if i in by_id]


def severity_counts(session: Session, filters: AlertFilters) -> dict[str, int]:
    """Matching alerts per severity."""
    stmt = _filtered(_base([Alert.severity, func.count(Alert.id)], filters), filters, _dialect(session))
    return dict(session.execute(stmt.group_by(Alert.severity)).all())


def search_page(
    session: Session, filters: AlertFilters, *, limit: int = 100, offset: int = 0
) -> tuple[int, list[AlertRow]]:
    """(number of matching alerts, one page of them), most severe first, then newest; with a text
    search (``q``), best match first (then newest), each row with its highlighted ``snippet_html``, or
    newest first when more than ``fts.RANK_LIMIT`` alerts match (see :func:`storage.fts.rankable`).

    Without ``q``, reads one severity at a time (``ix_alerts_severity_created_at`` serves each in
    order), so a page near the top costs a few index steps instead of sorting every matching alert.
    """
    query = text_query(filters)
    if query is not None:
        if not query:  # a search with nothing searchable in it
            return 0, []
        total = count_alerts(session, filters)
        if fts.rankable(total):
            ids = _ranked_ids(session, filters, query, limit=limit, offset=offset)
        else:  # too many matches to rank quickly: newest first (the page says so)
            stmt = _filtered(_base([Alert.id], filters), filters, _dialect(session))
            stmt = stmt.order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit).offset(offset)
            ids = list(session.scalars(stmt))
        return total, with_snippets(session, _rows_for(session, ids), query)
    counts = severity_counts(session, filters)
    total = sum(counts.values())
    ids: list[int] = []
    skip = offset
    ordered = [s for s in reversed(SEVERITIES) if counts.get(s)] + sorted(set(counts) - set(SEVERITIES))
    for severity in ordered:
        n = counts[severity]
        if skip >= n:
            skip -= n
            continue
        stmt = (
            _filtered(_base([Alert.id], filters), filters, _dialect(session))
            .where(Alert.severity == severity)
            .order_by(Alert.created_at.desc(), Alert.id.desc())
        )
        ids += session.scalars(stmt.limit(limit - len(ids)).offset(skip)).all()
        skip = 0
        if len(ids) >= limit:
            break
    return total, _rows_for(session, ids)


def search_alerts(
    session: Session, filters: AlertFilters, *, limit: int = 100, offset: int = 0
) -> list[AlertRow]:
    """Matching alerts, most severe first, then newest (best match first with ``q``); the clean entry
    point for callers that only need the rows (saved searches)."""
    return search_page(session, filters, limit=limit, offset=offset)[1]


def alerts_after(
    session: Session, filters: AlertFilters, after_id: int | None, *, limit: int = 1000
) -> list[AlertRow]:
    """One page of matching alerts, newest (highest id) first, with ids below ``after_id`` (keyset paging
    for exports: each page can use its own session)."""
    stmt = _filtered(_base([Alert.id], filters), filters, _dialect(session)).order_by(Alert.id.desc())
    if after_id is not None:
        stmt = stmt.where(Alert.id < after_id)
    return _rows_for(session, list(session.scalars(stmt.limit(limit))))


def iter_alerts(session: Session, filters: AlertFilters, *, batch: int = 1000) -> Iterator[AlertRow]:
    """Every matching alert, newest first, fetched in batches."""
    last: int | None = None
    while True:
        rows = alerts_after(session, filters, last, limit=batch)
        yield from rows
        if len(rows) < batch:
            return
        last = rows[-1].id


def count_alerts(session: Session, filters: AlertFilters) -> int:
    stmt = _filtered(_base([func.count(Alert.id)], filters), filters, _dialect(session))
    return session.execute(stmt).scalar_one()


def _row(
    alert: Alert,
    source: str | None,
    title: str | None,
    url: str | None,
    actors: list[str] | None,
    text: str | None,
) -> AlertRow:
    return AlertRow(
        id=alert.id,
        created_at=alert.created_at,
        kind=alert.kind,
        signal=alert.signal,
        severity=alert.severity,
        status=alert.status,
        stage=alert.stage,
        district=alert.district,
        source=source,
        item_id=alert.item_id,
        item_title=title,
        item_url=url,
        reason=alert.reason,
        actors=list(actors or []),
        item_snippet=snippet(title, text),
    )


def stage_signal_counts(session: Session, filters: AlertFilters) -> dict[tuple[str, str], int]:
    """(stage, signal or kind) -> number of matching alerts."""
    label = func.coalesce(Alert.signal, Alert.kind)
    stmt = _filtered(
        _base([func.coalesce(Alert.stage, _DASH), label, func.count(Alert.id)], filters),
        filters,
        _dialect(session),
    ).group_by(func.coalesce(Alert.stage, _DASH), label)
    return {(stage, signal): n for stage, signal, n in session.execute(stmt)}


def items_per_stage(session: Session) -> dict[str, int]:
    """Stored items per election stage ('-' for untagged)."""
    stage = func.coalesce(Item.stage, _DASH)
    return dict(session.execute(select(stage, func.count(Item.id)).group_by(stage)).all())


@dataclass(frozen=True, slots=True)
class DistrictRow:
    """Tension in one district: alerts in total, still open, high or critical, and per signal."""

    district: str
    total: int
    open: int
    severe: int
    by_signal: dict[str, int]


def district_table(session: Session, filters: AlertFilters) -> list[DistrictRow]:
    """One row per district with matching alerts, the most severe-heavy first."""
    district = func.coalesce(Alert.district, _DASH)
    label = func.coalesce(Alert.signal, Alert.kind)
    stmt = _filtered(
        _base(
            [
                district,
                label,
                func.count(Alert.id),
                func.sum(case((Alert.status.in_(("open", "acknowledged")), 1), else_=0)),
                func.sum(case((Alert.severity.in_(("high", "critical")), 1), else_=0)),
            ],
            filters,
        ),
        filters,
        _dialect(session),
    ).group_by(district, label)
    acc: dict[str, dict[str, Any]] = {}
    for name, signal, n, n_open, n_severe in session.execute(stmt):
        row = acc.setdefault(name, {"total": 0, "open": 0, "severe": 0, "by_signal": {}})
        row["total"] += n
        row["open"] += int(n_open or 0)
        row["severe"] += int(n_severe or 0)
        row["by_signal"][signal] = n
    rows = [DistrictRow(district=name, **values) for name, values in acc.items()]
    return sorted(rows, key=lambda r: (-r.severe, -r.open, -r.total, r.district))


def filter_choices(session: Session) -> dict[str, list[str]]:
    """The values present in stored alerts, for the filter menus (sources by name)."""

    def distinct(column: Any) -> list[str]:
        return sorted(v for v in session.scalars(select(column).distinct()) if v)

    return {
        "stage": distinct(Alert.stage),
        "district": distinct(Alert.district),
        "signal": distinct(Alert.signal),
        "source": distinct(Source.name),
    }
