"""The operators' page ``/sources`` (admins and analysts): each source's health (kind, enabled, last
success, last error, items per run, skip reasons, silent or not with its open alerts) and the last runs
(state, start, duration, host, totals, error, the Prefect flow run id), over ``storage.source_health``.

Query parameters (400 when unusable): ``limit`` (runs listed, 1..MAX_RUNS), ``window`` (runs per
source, 1..MAX_WINDOW) and ``page``. With ``PREFECT_API_URL`` set (read per request), each run and the
page header link to the Prefect UI: the API URL without its trailing ``/api``. The chart of items per
run is inline SVG drawn on the server (no JavaScript), one small chart per source.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pantau import messages
from pantau.domain.config import SourceConfig
from pantau.web import params
from pantau.web.auth import protected
from pantau.web.context import ctx_of
from pantau.web.params import checked
from storage import source_health as health
from storage.source_health import RunRow, SourceHealth, SourceRun

HEALTH_ROLES = ("admin", "analyst")
DEFAULT_RUNS, MAX_RUNS = 50, 200
DEFAULT_WINDOW, MAX_WINDOW = 10, 50
PREFECT_ENV = "PREFECT_API_URL"

# --- the chart: one small SVG per source, its window's runs oldest to newest -----------------------

CHART_WIDTH, CHART_HEIGHT = 320, 64
_LEFT, _RIGHT, _TOP, _BOTTOM = 30, 4, 6, 12
COLOURS = {"new": "#0b5d8f", "duplicate": "#9db4c8", "skipped": "#b07300", "error": "#b42318"}


@dataclass(frozen=True, slots=True)
class Segment:
    part: str  # new, duplicate, skipped
    y: float
    height: float


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    width: float
    title: str
    segments: list[Segment]
    error: bool
    missing: bool


@dataclass(frozen=True, slots=True)
class SourceChart:
    bars: list[Bar]
    max_count: int
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    left: int = _LEFT
    top: int = _TOP
    base_y: int = CHART_HEIGHT - _BOTTOM


def source_chart(runs: Sequence[SourceRun | None], local: Any) -> SourceChart | None:
    """Stacked bars (new, duplicate, skipped) per run, oldest left; None without any recorded run.
    ``local`` formats a time for the bars' titles."""
    if not any(r is not None for r in runs):
        return None
    ordered = list(reversed(runs))
    top = max((r.new + r.duplicate + r.skipped for r in ordered if r is not None), default=0)
    plot_w = CHART_WIDTH - _LEFT - _RIGHT
    plot_h = CHART_HEIGHT - _TOP - _BOTTOM
    slot = plot_w / len(ordered)
    base = CHART_HEIGHT - _BOTTOM
    bars = []
    for i, run in enumerate(ordered):
        x, width = round(_LEFT + i * slot + slot * 0.15, 1), round(max(1.0, slot * 0.7), 1)
        if run is None:
            bars.append(Bar(x=x, width=width, title="tidak tercatat", segments=[], error=False, missing=True))
            continue
        segments, y = [], float(base)
        for part in ("new", "duplicate", "skipped"):
            n = getattr(run, part)
            if n and top:
                height = plot_h * n / top
                y -= height
                segments.append(Segment(part=part, y=round(y, 1), height=round(height, 1)))
        title = (
            f"run #{run.run_id}, {local(run.started_at)} WIB: {run.new} baru, {run.duplicate} duplikat, "
            f"{run.skipped} dilewati" + ("; gagal" if run.error else "")
        )
        bars.append(
            Bar(x=x, width=width, title=title, segments=segments, error=run.error is not None, missing=False)
        )
    return SourceChart(bars=bars, max_count=top)


# --- Prefect links -----------------------------------------------------------------------------------


def prefect_ui(environ: Mapping[str, str] | None = None) -> str | None:
    """The Prefect UI's base URL: ``PREFECT_API_URL`` without a trailing ``/`` and ``/api``; None when
    it is unset or not an http(s) URL."""
    raw = (os.environ if environ is None else environ).get(PREFECT_ENV, "").strip().rstrip("/")
    if raw.endswith("/api"):
        raw = raw[: -len("/api")]
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return raw


def flow_run_url(base: str | None, flow_run_id: str | None) -> str | None:
    """The flow run's page in the Prefect UI (``<base>/runs/flow-run/<id>``), or None."""
    if not base or not flow_run_id:
        return None
    return f"{base}/runs/flow-run/{quote(flow_run_id, safe='')}"


# --- shared with the JSON API ----------------------------------------------------------------------


def window_of(query: Mapping[str, str]) -> int:
    """The ``window`` parameter: runs per source, 1..MAX_WINDOW (ParamError otherwise)."""
    return params.integer(query.get("window"), "window", default=DEFAULT_WINDOW, low=1, high=MAX_WINDOW)


def configured_sources(request: Request) -> list[SourceConfig]:
    """The sources of the config the app serves (none without a config)."""
    return list(getattr(request.app.state, "configured_sources", []) or [])


def _time(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def source_json(source: SourceHealth) -> dict[str, Any]:
    """A source's health as JSON data (times in ISO 8601, UTC)."""
    out = {k: _time(v) for k, v in asdict(source).items() if k not in ("runs", "open_silent_alerts")}
    out["error_is_current"] = source.error_is_current
    out["open_silent_alerts"] = [
        {"id": a.id, "created_at": a.created_at.isoformat(), "reason": a.reason}
        for a in source.open_silent_alerts
    ]
    out["runs"] = [None if r is None else {k: _time(v) for k, v in asdict(r).items()} for r in source.runs]
    return out


# --- the page ----------------------------------------------------------------------------------------


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    whole = int(round(seconds))
    if whole < 60:
        return f"{whole} dtk"
    if whole < 3600:
        return f"{whole // 60} mnt {whole % 60} dtk"
    return f"{whole // 3600} j {whole % 3600 // 60} mnt"


async def sources_page(request: Request) -> Response:
    ctx = ctx_of(request)
    query = request.query_params
    limit = params.integer(query.get("limit"), "limit", default=DEFAULT_RUNS, low=1, high=MAX_RUNS)
    window = window_of(query)
    page = params.page_number(query)
    configured = configured_sources(request)
    now = ctx.now()

    def work(session: Session) -> tuple[list[SourceHealth], tuple[int, list[RunRow]]]:
        return (
            health.source_health(session, configured, window=window, now=now),
            health.recent_runs(session, limit=limit, offset=(page - 1) * limit),
        )

    sources, (total, runs) = await ctx.run(work)
    base = prefect_ui()
    defaults = {"limit": DEFAULT_RUNS, "window": DEFAULT_WINDOW}
    kept = {k: str(v) for k, v in (("limit", limit), ("window", window)) if v != defaults[k]}
    return ctx.render(
        request,
        "sources.html",
        {
            "sources": sources,
            "charts": {s.name: source_chart(s.runs, ctx.local_time) for s in sources},
            "colours": COLOURS,
            "runs": runs,
            "run_links": {r.id: flow_run_url(base, r.flow_run_id) for r in runs},
            "prefect_base": base,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // limit)),
            "query": urlencode(kept),
            "limit": limit,
            "window": window,
            "max_runs": MAX_RUNS,
            "max_window": MAX_WINDOW,
            "duration": _duration,
            "run_states": messages.table("run_state"),
            "run_problems": messages.table("run_problem"),
            "skip_reasons": messages.table("skip_reason"),
        },
    )


ROUTES: list[Route] = [protected("/sources", checked(sources_page), HEALTH_ROLES)]
