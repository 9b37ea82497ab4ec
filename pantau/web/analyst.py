"""The analysts' pages: alerts with filters and search, CSV export of any filtered view, the timeline per
signal across election stages, and the district table of tension.

Filters (query parameters, shared with the JSON API): ``signal``, ``stage``, ``district``, ``source``,
``actor``, ``status``, ``kind``, ``since`` and ``until`` (dates, YYYY-MM-DD, in the election's local
time zone; ``until`` is inclusive) and ``q`` (text search).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from pantau.domain.csvsafe import SafeWriter, safe_cell
from pantau.domain.signals import SIGNALS
from pantau.web import params
from pantau.web.auth import protected
from pantau.web.context import WebContext, ctx_of
from pantau.web.params import ParamError
from storage import alert_search as search
from storage.models import ALERT_KINDS, ALERT_STATUSES

ANALYST_ROLES = ("admin", "analyst")
PAGE_SIZE = 100
FILTER_KEYS = ("signal", "stage", "district", "source", "actor", "status", "kind", "since", "until", "q")
CSV_COLUMNS = (
    "id",
    "created_at",
    "kind",
    "signal",
    "severity",
    "status",
    "stage",
    "district",
    "source",
    "item_id",
    "item_title",
    "item_snippet",
    "item_url",
    "actors",
    "reason",
)


def _start(day: date | None, tz: ZoneInfo, *, end: bool) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=1) if end else day, time(0), tz)


def parse_filters(query: Mapping[str, str], timezone: str) -> search.AlertFilters:
    """AlertFilters from query parameters; raises ParamError on an unknown signal/status/kind, a bad or
    out-of-range date, or text with NUL or lone surrogates (see :mod:`pantau.web.params`)."""
    tz = ZoneInfo(timezone)
    values: dict[str, str | None] = {
        key: params.text(query.get(key), key) for key in ("stage", "district", "source", "actor", "q")
    }
    for key, allowed in (("signal", SIGNALS), ("status", ALERT_STATUSES), ("kind", ALERT_KINDS)):
        values[key] = params.choice(query.get(key), key, allowed)
    return search.AlertFilters(
        **values,
        since=_start(params.day(query.get("since"), "since"), tz, end=False),
        until=_start(params.day(query.get("until"), "until"), tz, end=True),
    )


def filter_query(query: Mapping[str, str]) -> dict[str, str]:
    """The non-empty filter parameters, to carry into links (pages, export)."""
    return {k: query[k].strip() for k in FILTER_KEYS if (query.get(k) or "").strip()}


def _filters_or_error(request: Request) -> search.AlertFilters | Response:
    ctx = ctx_of(request)
    try:
        return parse_filters(request.query_params, ctx.timezone)
    except ParamError as exc:
        return ctx.render(
            request,
            "error.html",
            {"status": 400, "message": f"Filter tidak sah: {exc.field}: {exc.pesan}"},
            status_code=400,
        )


async def alerts_page(request: Request) -> Response:
    ctx = ctx_of(request)
    filters = _filters_or_error(request)
    if isinstance(filters, Response):
        return filters
    page = params.page_number(request.query_params)

    def work(session: Session) -> tuple[tuple[int, list[search.AlertRow]], dict[str, list[str]]]:
        return (
            search.search_page(session, filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE),
            search.filter_choices(session),
        )

    (total, rows), choices = await ctx.run(work)
    shown = filter_query(request.query_params)
    return ctx.render(
        request,
        "alerts.html",
        {
            "rows": rows,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "filters": shown,
            "query": urlencode(shown),
            "choices": choices,
            "signals": SIGNALS,
            "statuses": ALERT_STATUSES,
            "kinds": ALERT_KINDS,
        },
    )


csv_cell = safe_cell  # the shared CSV helper (pantau.domain.csvsafe): formula cells get a leading '


def _csv_lines(ctx: WebContext, filters: search.AlertFilters, batch: int = 2000) -> Iterator[str]:
    """The CSV text in chunks (UTF-8 with BOM, formula cells neutralised); each chunk reads one keyset page
    in its own session (the chunks may be produced on different worker threads)."""
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    writer.writerow(CSV_COLUMNS)
    last: int | None = None
    while True:
        with ctx.sessions() as session:
            rows = search.alerts_after(session, filters, last, limit=batch)
        for row in rows:
            writer.writerow([_csv_value(row, name) for name in CSV_COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if len(rows) < batch:
            return
        last = rows[-1].id


def _csv_value(row: search.AlertRow, name: str) -> object:
    return row.created_at.isoformat() if name == "created_at" else getattr(row, name)


async def alerts_csv(request: Request) -> Response:
    ctx = ctx_of(request)
    filters = _filters_or_error(request)
    if isinstance(filters, Response):
        return filters
    stamp = ctx.now().strftime("%Y%m%d-%H%M")
    disposition = f'attachment; filename="pantau-alerts-{stamp}.csv"'
    return StreamingResponse(
        _csv_lines(ctx, filters),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": disposition},
    )


def ordered_stages(ctx: WebContext, present: set[str]) -> list[str]:
    """Stages in calendar order (the config's), then any others present, '-' (untagged) last."""
    order = ["pre_election", *ctx.stage_order, "post_election"]
    rest = sorted(s for s in present if s not in order and s != "-")
    return [s for s in order if s in present] + rest + (["-"] if "-" in present else [])


async def timeline_page(request: Request) -> Response:
    ctx = ctx_of(request)
    filters = _filters_or_error(request)
    if isinstance(filters, Response):
        return filters

    def work(session: Session) -> tuple[dict[tuple[str, str], int], dict[str, int], dict[str, list[str]]]:
        return (
            search.stage_signal_counts(session, filters),
            search.items_per_stage(session),
            search.filter_choices(session),
        )

    counts, items, choices = await ctx.run(work)
    stages = ordered_stages(ctx, {s for s, _ in counts} | set(items))
    columns = sorted({sig for _, sig in counts}, key=lambda s: (s not in SIGNALS, s))
    peak = max(counts.values(), default=0)
    shown = filter_query(request.query_params)
    return ctx.render(
        request,
        "timeline.html",
        {
            "stages": stages,
            "columns": columns,
            "counts": counts,
            "items": items,
            "peak": peak,
            "filters": shown,
            "query": urlencode(shown),
            "choices": choices,
            "signals": SIGNALS,
            "statuses": ALERT_STATUSES,
            "kinds": ALERT_KINDS,
        },
    )


async def districts_page(request: Request) -> Response:
    ctx = ctx_of(request)
    filters = _filters_or_error(request)
    if isinstance(filters, Response):
        return filters

    def work(session: Session) -> tuple[list[search.DistrictRow], dict[str, list[str]]]:
        return search.district_table(session, filters), search.filter_choices(session)

    rows, choices = await ctx.run(work)
    columns = sorted({sig for r in rows for sig in r.by_signal}, key=lambda s: (s not in SIGNALS, s))
    quiet = [d for d in ctx.districts if d not in {r.district for r in rows}]
    shown = filter_query(request.query_params)
    return ctx.render(
        request,
        "districts.html",
        {
            "rows": rows,
            "columns": columns,
            "quiet": quiet,
            "peak": max((r.total for r in rows), default=0),
            "filters": shown,
            "query": urlencode(shown),
            "choices": choices,
            "signals": SIGNALS,
            "statuses": ALERT_STATUSES,
            "kinds": ALERT_KINDS,
        },
    )


ROUTES: list[Route] = [
    protected("/alerts", alerts_page, ANALYST_ROLES),
    protected("/alerts.csv", alerts_csv, ANALYST_ROLES),
    protected("/timeline", timeline_page, ANALYST_ROLES),
    protected("/districts", districts_page, ANALYST_ROLES),
]
