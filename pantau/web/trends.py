"""Trends over time (``/trends``, ``/trends.csv``; the API's ``/api/v1/trends`` shares the query): alerts and
flagged items per local day or hour, by signal, kecamatan or stage, with the election stages of the
config's calendar marked on the time axis.

Query parameters: the analysts' filters (:func:`pantau.web.analyst.parse_filters`), ``granularity``
(``day`` or ``hour``) and ``by`` (``signal``, ``district`` or ``stage``). The charts are SVG drawn by
matplotlib in a worker thread (:mod:`pantau.web.charts`); no JavaScript.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, time, timedelta
from time import monotonic
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import anyio
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from pantau import messages
from pantau.domain.csvsafe import SafeWriter
from pantau.domain.signals import SIGNALS
from pantau.web import charts, params
from pantau.web.analyst import ANALYST_ROLES, filter_query, ordered_stages, parse_filters
from pantau.web.auth import protected
from pantau.web.context import WebContext, ctx_of
from storage import alert_search as search
from storage import trends
from storage.models import ALERT_KINDS, ALERT_STATUSES

CSV_COLUMNS = ("bucket_start", "granularity", "metric", "by", "key", "label", "count")


def parse_trend_query(query: Mapping[str, str], timezone: str) -> tuple[search.AlertFilters, str, str]:
    """(filters, granularity, by); ParamError on any unusable value."""
    filters = parse_filters(query, timezone)
    granularity = params.choice(query.get("granularity"), "granularity", trends.GRANULARITIES) or "day"
    by = params.choice(query.get("by"), "by", trends.GROUPINGS) or "signal"
    return filters, granularity, by


def stage_bands(request: Request) -> list[charts.Band]:
    """The configured stages as [start, end) in naive local time (a stage's end date is inclusive)."""
    config = getattr(request.app.state, "region", None)
    if config is None:
        return []
    ctx = ctx_of(request)
    return [
        charts.Band(
            ctx.stage_label(s.name),
            datetime.combine(s.start, time(0)),
            datetime.combine(s.end + timedelta(days=1), time(0)),
        )
        for s in sorted(config.stages, key=lambda s: s.start)
    ]


def group_label(ctx: WebContext, by: str, key: str) -> str:
    if by == "district" and key == "-":
        return "Tanpa kecamatan"
    if by == "signal":
        return messages.label("signal", key)
    if by == "stage":
        return ctx.stage_label(key)
    return key


def ordered_groups(ctx: WebContext, by: str, keys: set[str]) -> list[str]:
    """Groups in a stable order: signals as listed, districts as configured, stages by the calendar."""
    if by == "stage":
        return ordered_stages(ctx, keys)
    known = list(SIGNALS) + list(ALERT_KINDS) if by == "signal" else list(ctx.districts)
    return (
        [k for k in known if k in keys]
        + sorted(k for k in keys if k not in known and k != "-")
        + (["-"] if "-" in keys else [])
    )


def trend_json(ctx: WebContext, trend: trends.TrendSeries, bands: list[charts.Band]) -> dict[str, Any]:
    """The API's answer (and the page's tables)."""
    tz = ZoneInfo(trend.timezone)
    series = {}
    for metric in trends.METRICS:
        groups = trend.series[metric]
        series[metric] = [
            {
                "key": key,
                "label": group_label(ctx, trend.by, key),
                "total": sum(groups[key]),
                "counts": groups[key],
            }
            for key in ordered_groups(ctx, trend.by, set(groups))
        ]
    return {
        "granularity": trend.granularity,
        "by": trend.by,
        "timezone": trend.timezone,
        "truncated": trend.truncated,
        "buckets": [b.isoformat() for b in trend.buckets],
        "series": series,
        "stages": [
            {
                "label": b.label,
                "start": b.start.replace(tzinfo=tz).isoformat(),
                "end": b.end.replace(tzinfo=tz).isoformat(),
            }
            for b in bands
        ],
    }


def _charts(data: dict[str, Any], trend: trends.TrendSeries, bands: list[charts.Band]) -> dict[str, str]:
    per = messages.label("trend_granularity", trend.granularity)
    by = messages.label("trend_by", trend.by).lower()
    buckets = [b.replace(tzinfo=None) for b in trend.buckets]
    out = {}
    for metric in trends.METRICS:
        rows = data["series"][metric]
        if not buckets or not rows:
            continue
        out[metric] = charts.stacked_bars(
            title=f"{messages.label('trend_metric', metric)} {per}, menurut {by}",
            buckets=buckets,
            series=[(row["label"], row["counts"]) for row in rows],
            granularity=trend.granularity,
            bands=bands,
            ylabel="jumlah",
            prefix=f"trend-{metric}",
        )
    return out


class _Recent:
    """A small cache of recent results (bounded, thread-safe): an entry serves while the data version
    it was computed at is current and it is younger than :data:`CACHE_SECONDS`. Analysts reopen the
    same views (and the page, its CSV and the API share one query), and at 100,000 alerts one series
    costs about a second on SQLite and its charts another; monitoring runs add data every few minutes
    at most. The age limit bounds staleness from writes the version does not see."""

    def __init__(self, size: int = 32):
        self.size = size
        self._items: OrderedDict[Any, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            hit = self._items.get(key)
            if hit is None or monotonic() - hit[0] > CACHE_SECONDS:
                return None
            self._items.move_to_end(key)
            return hit[1]

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._items[key] = (monotonic(), value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


#: a design choice: how long a cached series or chart may serve at most
CACHE_SECONDS = 60.0


def caches(request: Request) -> tuple[_Recent, _Recent]:
    """The app's own series and chart caches (one pair per app, so two apps on two databases never
    share an entry)."""
    state = request.app.state
    pair = getattr(state, "trend_caches", None)
    if pair is None:
        pair = state.trend_caches = (_Recent(), _Recent())
    return pair


async def _load(request: Request) -> tuple[trends.TrendSeries, list[charts.Band], Any]:
    """The series for the request's filters, from the cache while the data has not changed; with the
    cache key (for the charts)."""
    ctx = ctx_of(request)
    filters, granularity, by = parse_trend_query(request.query_params, ctx.timezone)
    series_cache = caches(request)[0]

    def work(session: Session) -> tuple[trends.TrendSeries, Any]:
        key = (filters, granularity, by, ctx.timezone, trends.data_version(session))
        trend = series_cache.get(key)
        if trend is None:
            trend = trends.trend_series(
                session, filters, granularity=granularity, by=by, timezone=ctx.timezone
            )
            series_cache.put(key, trend)
        return trend, key

    trend, key = await ctx.run(work)
    return trend, stage_bands(request), key


@params.checked
async def trends_page(request: Request) -> Response:
    ctx = ctx_of(request)
    trend, bands, key = await _load(request)
    data = trend_json(ctx, trend, bands)
    chart_cache = caches(request)[1]
    chart_key = (key, tuple(bands))
    svgs = chart_cache.get(chart_key)
    if svgs is None:
        svgs = await anyio.to_thread.run_sync(lambda: _charts(data, trend, bands))
        chart_cache.put(chart_key, svgs)

    def choices(session: Session) -> dict[str, list[str]]:
        return search.filter_choices(session)

    shown = {**filter_query(request.query_params), "granularity": trend.granularity, "by": trend.by}
    return ctx.render(
        request,
        "trends.html",
        {
            "trend": trend,
            "data": data,
            "charts": svgs,
            "filters": shown,
            "query": urlencode(shown),
            "choices": await ctx.run(choices),
            "signals": SIGNALS,
            "statuses": ALERT_STATUSES,
            "granularities": trends.GRANULARITIES,
            "groupings": trends.GROUPINGS,
            "metrics": trends.METRICS,
            "label_of": messages.label,
        },
    )


def csv_rows(data: dict[str, Any]) -> Iterator[list[object]]:
    for metric in trends.METRICS:
        for row in data["series"][metric]:
            for bucket, count in zip(data["buckets"], row["counts"], strict=True):
                yield [bucket, data["granularity"], metric, data["by"], row["key"], row["label"], count]


@params.checked
async def trends_csv(request: Request) -> Response:
    ctx = ctx_of(request)
    trend, bands, _ = await _load(request)
    data = trend_json(ctx, trend, bands)

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = SafeWriter(buffer)
        writer.writerow(CSV_COLUMNS)
        for n, row in enumerate(csv_rows(data), 1):
            writer.writerow(row)
            if n % 2000 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    stamp = ctx.now().strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="pantau-trends-{stamp}.csv"'},
    )


ROUTES: list[Route] = [
    protected("/trends", trends_page, ANALYST_ROLES),
    protected("/trends.csv", trends_csv, ANALYST_ROLES),
]


async def api_trends(request: Request) -> Response:
    """``GET /api/v1/trends`` (wrapped in the API's token guard by :mod:`pantau.web.api`)."""
    trend, bands, _ = await _load(request)
    return JSONResponse(trend_json(ctx_of(request), trend, bands))


def openapi_path(
    filter_parameters: list[dict[str, Any]], ok: Callable[[dict[str, Any]], dict[str, Any]]
) -> dict[str, Any]:
    """The OpenAPI entry of ``/api/v1/trends``: the API's shared filters, and its ``ok(schema)`` (the
    200 answer and the error answers)."""
    counts = {"type": "array", "items": {"type": "integer", "minimum": 0}}
    row = {
        "type": "object",
        "properties": {
            "key": {"type": "string", "description": "Signal, kecamatan or stage code; '-' for none"},
            "label": {"type": "string"},
            "total": {"type": "integer"},
            "counts": counts,
        },
    }
    answer = {
        "type": "object",
        "properties": {
            "granularity": {"type": "string", "enum": list(trends.GRANULARITIES)},
            "by": {"type": "string", "enum": list(trends.GROUPINGS)},
            "timezone": {"type": "string"},
            "truncated": {"type": "boolean", "description": f"Only the newest {trends.MAX_BUCKETS} buckets"},
            "buckets": {
                "type": "array",
                "items": {"type": "string", "format": "date-time"},
                "description": "Local bucket starts; counts[i] belongs to buckets[i]",
            },
            "series": {
                "type": "object",
                "properties": {metric: {"type": "array", "items": row} for metric in trends.METRICS},
            },
            "stages": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "label": {"type": "string"},
                        "start": {"type": "string", "format": "date-time"},
                        "end": {"type": "string", "format": "date-time", "description": "Exclusive"},
                    },
                },
            },
        },
    }

    def param(name: str, description: str, values: tuple[str, ...]) -> dict[str, Any]:
        schema = {"type": "string", "enum": list(values)}
        return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}

    return {
        "get": {
            "summary": "Alerts (by creation time) and flagged items (by item time) per local day or hour",
            "parameters": [
                *filter_parameters,
                param("granularity", "Bucket size (default day)", trends.GRANULARITIES),
                param("by", "One series per signal, kecamatan or stage (default signal)", trends.GROUPINGS),
            ],
            "responses": ok(answer),
        }
    }
