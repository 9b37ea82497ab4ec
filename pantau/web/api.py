"""The JSON API for partners' own tools: alerts, the district table and the stage timeline, with the same
filters as the analyst pages, and the sources' health (``/api/v1/sources``), authenticated by a bearer
token (``pantau user token USERNAME``).

Items (``/api/v1/items``, ``/api/v1/items/{id}``), claims with their counter-narratives
(``/api/v1/claims``) and the outcome figures (``/api/v1/outcomes``) answer as their pages show them. The
alerts, items and claims lists page by signed keyset cursors (``next_cursor``, ``next``; see
:mod:`pantau.web.cursor` and :mod:`storage.api_queries`); ``offset`` on alerts is deprecated.

Read-only. Answers: 200, 400 (a filter is unusable; ``error`` names it), 401 (no or unknown token),
403 (the token's user is not an analyst or admin), 404 (no such item), 429 (too many bad tokens from
one address). The schema is served at ``/api/v1/openapi.json`` (token needed as well).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import datetime
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pantau import __version__
from pantau.domain.outcomes import (
    ClaimOutcome,
    GroupOutcome,
    by_actor,
    by_stage,
    claim_outcomes,
    group_outcome,
)
from pantau.domain.signals import SIGNALS
from pantau.reporting.basis import actor_bases, claim_bases
from pantau.web import cursor, health, params
from pantau.web import search as item_search
from pantau.web import trends as trend_view
from pantau.web.analyst import ordered_stages, parse_filters
from pantau.web.auth import LoginLimiter
from pantau.web.context import ctx_of
from pantau.web.outcomes import MAX_CLAIMS_SHOWN
from pantau.web.queue import VIEW_ROLES
from storage import accounts, api_queries, source_health
from storage import alert_search as search
from storage import review_queue as rq
from storage.claim_admin import AGE_FILTERS, ANSWERED_FILTERS
from storage.errors import RecordNotFoundError
from storage.models import ALERT_KINDS, ALERT_STATUSES
from storage.outcomes_query import load_outcome_records

API_ROLES = frozenset({"admin", "analyst"})
MAX_LIMIT = 1000
MAX_OFFSET = 10_000_000
Handler = Callable[[Request], Awaitable[Response]]


def _error(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


def token_guard(endpoint: Handler) -> Handler:
    """Bearer-token authentication and the role check for an API endpoint."""

    @wraps(endpoint)
    async def wrapper(request: Request) -> Response:
        ctx = ctx_of(request)
        limiter: LoginLimiter = request.app.state.api_limiter
        client = request.client.host if request.client else "unknown"
        if limiter.client_blocked(client):
            return _error(429, "too many failed authentications; try again later", **{"Retry-After": "900"})
        scheme, _, secret = request.headers.get("authorization", "").partition(" ")
        account = None
        if scheme.lower() == "bearer" and secret.strip():
            account = await ctx.run(lambda s: accounts.account_for_token(s, secret.strip(), now=ctx.now()))
        if account is None:
            limiter.client_fail(client)
            return _error(401, "missing or unknown token", **{"WWW-Authenticate": 'Bearer realm="pantau"'})
        if account.role not in API_ROLES:
            return _error(403, "this token's user is not an analyst or admin")
        request.state.account = account
        try:
            return await endpoint(request)
        except params.ParamError as exc:
            return _error(400, str(exc))

    wrapper.pantau_roles = API_ROLES  # type: ignore[attr-defined]
    return wrapper


def _paging(request: Request) -> tuple[int, int]:
    """``limit`` (1..MAX_LIMIT) and ``offset`` (0..MAX_OFFSET), ASCII digits, pulled into their ranges."""
    query = request.query_params
    return (
        params.integer(query.get("limit"), "limit", default=100, low=1, high=MAX_LIMIT, clamp=True),
        params.integer(query.get("offset"), "offset", default=0, low=0, high=MAX_OFFSET, clamp=True),
    )


# --- keyset pages (``cursor``) ------------------------------------------------------------------------

#: Query parameters that page rather than select: left out of a cursor's filter digest.
PAGING_KEYS = frozenset({"cursor", "limit", "offset"})
MAX_CLAIMS_LIMIT = 500


def _limit(request: Request, default: int = 100, high: int = MAX_LIMIT) -> int:
    return params.integer(
        request.query_params.get("limit"), "limit", default=default, low=1, high=high, clamp=True
    )


def _by_offset(request: Request) -> bool:
    """Whether the request pages by the deprecated ``offset`` instead of ``cursor``."""
    query = request.query_params
    if not (query.get("offset") or "").strip():
        return False
    if (query.get("cursor") or "").strip():
        raise params.ParamError(
            "cursor", "use cursor or offset, not both", "gunakan cursor atau offset, bukan keduanya"
        )
    return True


def _position(request: Request, kind: str) -> tuple[str, list[Any] | None]:
    """(the filter digest, the position of the request's cursor or None for the first page)."""
    digest = cursor.filters_digest(request.query_params, PAGING_KEYS)
    return digest, cursor.decode(request, request.query_params.get("cursor"), kind, digest)


def _time_key(position: list[Any] | None) -> tuple[datetime, int] | None:
    """A (time, id) position: the items' and the claims' keys."""
    if position is None:
        return None
    when, row_id = cursor.parts(position, 2)
    return cursor.position_time(when), cursor.position_id(row_id)


def _page(
    request: Request,
    kind: str,
    digest: str,
    name: str,
    rows: list[Any],
    next_key: list[Any] | None,
    **extra: Any,
) -> JSONResponse:
    """A keyset page: the rows under ``name``, ``next_cursor`` and the ``next`` link (also a Link header)."""
    token = cursor.encode(request, kind, digest, next_key) if next_key is not None else None
    link = None
    if token is not None:
        kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("cursor", "offset")]
        link = f"{request.url.path}?{urlencode([*kept, ('cursor', token)])}"
    body = {**extra, name: rows, "next_cursor": token, "next": link}
    return JSONResponse(body, headers={"Link": f'<{link}>; rel="next"'} if link else None)


def _alert_json(row: search.AlertRow) -> dict[str, Any]:
    out = asdict(row)
    out["created_at"] = row.created_at.isoformat()
    return out


def _alert_key(position: list[Any] | None) -> api_queries.AlertKey | None:
    if position is None:
        return None
    severity, when, row_id, upto = cursor.parts(position, 4)
    return api_queries.AlertKey(
        cursor.position_choice(severity, api_queries.SEVERITY_ORDER),
        cursor.position_time(when),
        cursor.position_id(row_id),
        cursor.position_id(upto),
    )


async def api_alerts(request: Request) -> Response:
    """Alerts, most severe first, then newest. Pages by ``cursor`` (keyset); the first page's ``total``
    is exact up to TOTAL_CAP matches (``total_exact``), later pages carry none. ``offset`` (deprecated)
    still pages the old way, with an exact total."""
    ctx = ctx_of(request)
    filters = parse_filters(request.query_params, ctx.timezone)
    if _by_offset(request):
        limit, offset = _paging(request)
        total, rows = await ctx.run(lambda s: search.search_page(s, filters, limit=limit, offset=offset))
        return JSONResponse(
            {
                "total": total,
                "total_exact": True,
                "limit": limit,
                "offset": offset,
                "alerts": [_alert_json(r) for r in rows],
                "next_cursor": None,
                "next": None,
            }
        )
    limit = _limit(request)
    digest, position = _position(request, "alerts")
    after = _alert_key(position)

    def work(session: Session) -> tuple[list[search.AlertRow], api_queries.AlertKey | None, int | None, bool]:
        rows, key = api_queries.alerts_after(session, filters, after, limit=limit)
        if after is not None:
            return rows, key, None, False
        if key is None:
            return rows, key, len(rows), True
        return rows, key, *api_queries.capped_count(session, filters)

    rows, key, total, exact = await ctx.run(work)
    return _page(
        request,
        "alerts",
        digest,
        "alerts",
        [_alert_json(r) for r in rows],
        [key.severity, key.created_at.isoformat(), key.id, key.upto] if key else None,
        total=total,
        total_exact=exact,
        limit=limit,
        offset=0,
    )


async def api_districts(request: Request) -> Response:
    ctx = ctx_of(request)
    filters = parse_filters(request.query_params, ctx.timezone)
    rows = await ctx.run(lambda s: search.district_table(s, filters))
    return JSONResponse({"districts": [asdict(r) for r in rows]})


async def api_timeline(request: Request) -> Response:
    ctx = ctx_of(request)
    filters = parse_filters(request.query_params, ctx.timezone)

    def work(session: Session) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
        return search.stage_signal_counts(session, filters), search.items_per_stage(session)

    counts, items = await ctx.run(work)
    stages = ordered_stages(ctx, {s for s, _ in counts} | set(items))
    return JSONResponse(
        {
            "stages": stages,
            "items_per_stage": items,
            "alerts": [{"stage": st, "signal": sig, "count": n} for (st, sig), n in sorted(counts.items())],
        }
    )


async def api_sources(request: Request) -> Response:
    """Each source's health over the last ``window`` runs (the JSON twin of the page ``/sources``)."""
    ctx = ctx_of(request)
    window = health.window_of(request.query_params)
    configured = health.configured_sources(request)
    now = ctx.now()
    rows = await ctx.run(lambda s: source_health.source_health(s, configured, window=window, now=now))
    return JSONResponse(
        {"as_of": now.isoformat(), "window": window, "sources": [health.source_json(r) for r in rows]}
    )


# --- items, claims, outcomes ----------------------------------------------------------------------

#: Roles that see an item's review trail (the item page shows it to everyone who may open the item).
TRAIL_ROLES = frozenset(VIEW_ROLES)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _item_detail_json(d: rq.ItemDetail, *, trail: bool) -> dict[str, Any]:
    item = d.item
    out: dict[str, Any] = {
        "id": item.id,
        "url": item.url,
        "title": item.title,
        "text": item.text,
        "lang": item.lang,
        "stage": item.stage,
        "districts": list(item.districts or []),
        "actors": list(item.actors or []),
        "published_at": _iso(item.published_at),
        "collected_at": _iso(item.collected_at),
        "source": {"name": d.source, "url": d.source_url},
        "sightings": d.spread,
        "scores": None
        if d.model_version is None
        else {
            "model_version": d.model_version,
            "scores": d.scores,
            "flags": d.flags,
            "reasons": d.explanations,
        },
        "alerts": [
            {
                "id": a.id,
                "created_at": _iso(a.created_at),
                "kind": a.kind,
                "signal": a.signal,
                "severity": a.severity,
                "status": a.status,
                "stage": a.stage,
                "district": a.district,
                "reason": a.reason,
            }
            for a in d.alerts
        ],
        "claim_id": item.claim_id,
        "claim": None
        if d.claim is None
        else {"id": d.claim.id, "status": d.claim.status, "canonical_text": d.claim.canonical_text},
        "matches": [
            {"item_id": mid, "title": title, "url": url, "score": score}
            for mid, title, url, score in d.matches
        ],
    }
    if trail:
        out["reviews"] = [
            {
                "created_at": _iso(r.created_at),
                "user": r.user,
                "organisation": r.organisation,
                "action": r.action,
                "verdict": r.verdict,
                "note": r.note,
            }
            for r in d.trail
        ]
        out["counter_links"] = [
            {
                "url": c.url,
                "counter_item_id": c.counter_item_id,
                "user": c.user_name,
                "organisation": c.organisation,
                "created_at": _iso(c.created_at),
            }
            for c in d.counter_links
        ]
    return out


async def api_item(request: Request) -> Response:
    """One item as its page shows it: scores and their reasons, alerts, claim, matches, review trail."""
    ctx = ctx_of(request)
    item_id: int = request.path_params["item_id"]
    trail = request.state.account.role in TRAIL_ROLES

    def work(session: Session) -> dict[str, Any] | None:
        try:
            return _item_detail_json(rq.item_detail(session, item_id, now=ctx.now()), trail=trail)
        except RecordNotFoundError:
            return None

    body = await ctx.run(work)
    if body is None:
        return _error(404, f"no item {item_id}")
    return JSONResponse(body)


def _item_row_json(row: api_queries.ItemRow) -> dict[str, Any]:
    out = asdict(row)
    out["collected_at"], out["published_at"] = _iso(row.collected_at), _iso(row.published_at)
    return out


async def api_items(request: Request) -> Response:
    """Items, newest collected first, by ``cursor``; filters as the alert pages parse them (``since`` and
    ``until`` bound when the item was collected; ``signal``: the item has an alert of that signal)."""
    ctx = ctx_of(request)
    f = parse_filters(request.query_params, ctx.timezone)
    filters = api_queries.ItemFilters(
        stage=f.stage, district=f.district, source=f.source, signal=f.signal, since=f.since, until=f.until
    )
    limit = _limit(request)
    digest, position = _position(request, "items")
    after = _time_key(position)
    rows, key = await ctx.run(lambda s: api_queries.items_after(s, filters, after, limit=limit))
    return _page(
        request,
        "items",
        digest,
        "items",
        [_item_row_json(r) for r in rows],
        [key[0].isoformat(), key[1]] if key else None,
        limit=limit,
    )


def _claim_json(o: ClaimOutcome) -> dict[str, Any]:
    return {
        "id": o.claim_id,
        "canonical_text": o.canonical_text,
        "stage": o.stage,
        "first_seen_at": _iso(o.first_seen_at),
        "items": o.items,
        "sources": o.sources,
        "districts": list(o.districts),
        "answered": o.answered,
        "first_answer_at": _iso(o.first_answer_at),
        "first_answer_actor": o.first_answer_actor,
        "first_answer_category": o.first_answer_category,
        "first_answer_attribution": o.first_answer_attribution,
        "hours_to_first_answer": o.hours_to_first_answer,
        "answering_actors": list(o.answering_actors),
        "answering_categories": list(o.answering_categories),
        "items_after_answer": o.items_after_answer,
        "kept_spreading": o.kept_spreading,
    }


def _counter_json(c: api_queries.CounterView) -> dict[str, Any]:
    out = asdict(c)
    out["published_at"] = _iso(c.published_at)
    return out


async def api_claims(request: Request) -> Response:
    """Claims as the claims page lists them (same filters: stage, district, answered, age), most recently
    first seen first, each with its counter-narratives and their lags, by ``cursor``."""
    ctx = ctx_of(request)
    q = request.query_params
    filters: dict[str, Any] = {
        "stage": params.text(q.get("stage"), "stage"),
        "district": params.text(q.get("district"), "district"),
        "answered": params.choice(q.get("answered"), "answered", ANSWERED_FILTERS),
        "age": params.choice(q.get("age"), "age", AGE_FILTERS),
    }
    limit = _limit(request, default=50, high=MAX_CLAIMS_LIMIT)
    digest, position = _position(request, "claims")
    after = _time_key(position)
    now = ctx.now()
    page = await ctx.run(lambda s: api_queries.claims_after(s, now=now, **filters, after=after, limit=limit))
    rows = [
        _claim_json(o) | {"counter_narratives": [_counter_json(c) for c in page.counters[o.claim_id]]}
        for o in page.rows
    ]
    key = page.next_key
    return _page(
        request,
        "claims",
        digest,
        "claims",
        rows,
        [key[0].isoformat(), key[1]] if key else None,
        total=page.total,
        limit=limit,
    )


def _group_json(g: GroupOutcome) -> dict[str, Any]:
    return {
        "name": g.name,
        "claims": g.claims,
        "answered": g.answered,
        "kept_spreading": g.kept_spreading,
        "answered_share": g.answered_share,
        "median_hours_to_first_answer": g.median_hours,
    }


async def api_outcomes(request: Request) -> Response:
    """The outcomes page's figures: all claims, per stage, per actor (with the basis of its credit), and
    the newest claims with the basis of their first answer. Filters: stage, since, until."""
    ctx = ctx_of(request)
    filters = parse_filters(request.query_params, ctx.timezone)

    def work(session: Session) -> dict[str, Any]:
        claims, answers = load_outcome_records(
            session, stage=filters.stage, since=filters.since, until=filters.until
        )
        outcomes = claim_outcomes(claims, answers)
        shown = sorted(outcomes, key=lambda o: o.first_seen_at, reverse=True)[:MAX_CLAIMS_SHOWN]
        bases = actor_bases(outcomes, answers)
        claim_basis = claim_bases(shown, answers)
        return {
            "total": _group_json(group_outcome("all", outcomes)),
            "stages": [_group_json(g) for g in by_stage(outcomes, ctx.stage_order)],
            "actors": [
                {
                    "actor": a.actor,
                    "category": a.category,
                    "claims_answered": a.claims_answered,
                    "first_answers": a.first_answers,
                    "median_hours_to_answer": a.median_hours,
                    "basis": bases.get((a.actor, a.category)),
                }
                for a in by_actor(outcomes, answers)
            ],
            "claims": [_claim_json(o) | {"basis": claim_basis.get(o.claim_id)} for o in shown],
        }

    return JSONResponse(await ctx.run(work))


def _sources_schema() -> dict[str, Any]:
    """The answer of ``/api/v1/sources``."""
    when = {"type": ["string", "null"], "format": "date-time"}
    counts = {"type": "object", "additionalProperties": {"type": "integer"}}
    source_run = {
        "type": ["object", "null"],
        "description": "The source in one run of the window, newest first; null: the run recorded nothing",
        "properties": {
            "run_id": {"type": "integer"},
            "started_at": {"type": "string", "format": "date-time"},
            "fetched": {"type": "integer"},
            "new": {"type": "integer"},
            "duplicate": {"type": "integer"},
            "skipped": {"type": "integer"},
            "error": {"type": ["string", "null"]},
        },
    }
    source = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "kind": {"type": ["string", "null"]},
            "enabled": {"type": "boolean"},
            "configured": {"type": "boolean", "description": "In the config the app serves"},
            "stored": {"type": "boolean", "description": "In the database (it has been synced by a run)"},
            "last_success_at": when,
            "last_error_at": when,
            "last_error": {"type": ["string", "null"]},
            "error_is_current": {
                "type": "boolean",
                "description": "The last error is newer than the last success",
            },
            "last_item_count": {"type": ["integer", "null"]},
            "last_new_item_at": when,
            "silent_after_hours": {"type": ["number", "null"]},
            "silent": {
                "type": "boolean",
                "description": "Quiet for silent_after_hours (the silent-source rule)",
            },
            "quiet_hours": {"type": ["number", "null"]},
            "open_silent_count": {"type": "integer"},
            "open_silent_alerts": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "created_at": {"type": "string", "format": "date-time"},
                        "reason": {"type": "string"},
                    },
                },
            },
            "runs": {"type": "array", "items": source_run},
            "skip_reasons": counts,
            "notes": counts,
        },
    }
    return {
        "type": "object",
        "properties": {
            "as_of": {"type": "string", "format": "date-time"},
            "window": {"type": "integer"},
            "sources": {"type": "array", "items": source},
        },
    }


def _parameters() -> list[dict[str, Any]]:
    def param(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
        return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}

    return [
        param("signal", "Signal of the alert", {"type": "string", "enum": list(SIGNALS)}),
        param("stage", "Election stage, e.g. voting_day", {"type": "string"}),
        param("district", "Kecamatan, e.g. Omben", {"type": "string"}),
        param("source", "Source name", {"type": "string"}),
        param("actor", "Actor mentioned by the item, e.g. Polres Sampang", {"type": "string"}),
        param("status", "Alert status", {"type": "string", "enum": list(ALERT_STATUSES)}),
        param("kind", "Alert kind", {"type": "string", "enum": list(ALERT_KINDS)}),
        param(
            "since",
            f"First local date (inclusive), {params.MIN_DAY} to {params.MAX_DAY}",
            {"type": "string", "format": "date"},
        ),
        param(
            "until",
            f"Last local date (inclusive), {params.MIN_DAY} to {params.MAX_DAY}",
            {"type": "string", "format": "date"},
        ),
        param("q", "Text search in the reason and the item's title and text", {"type": "string"}),
    ]


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _keyset(default: int, high: int) -> list[dict[str, Any]]:
    """``cursor`` and ``limit`` of a keyset list."""
    return [
        _query(
            "cursor",
            "Opaque position from the previous page's next_cursor (use it with the same filters)",
            {"type": "string", "maxLength": cursor.MAX_CURSOR_CHARS},
        ),
        _query(
            "limit",
            f"Rows per page (default {default}; pulled into 1..{high})",
            {"type": "integer", "minimum": 1, "maximum": high},
        ),
    ]


def _records_paths(ok: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
    """The schema of the items list, one item, the claims and the outcomes."""
    text, when = {"type": ["string", "null"]}, {"type": ["string", "null"], "format": "date-time"}
    strings = {"type": "array", "items": {"type": "string"}}
    number = {"type": ["number", "null"]}
    next_page = {
        "next_cursor": {"type": ["string", "null"], "description": "null on the last page"},
        "next": {"type": ["string", "null"], "description": "The next page's path and query"},
        "limit": {"type": "integer"},
    }
    by_name = {p["name"]: p for p in _parameters()}
    item_filters = [by_name[k] for k in ("signal", "stage", "district", "source")] + [
        _query("since", "First local date the item was collected (inclusive)", by_name["since"]["schema"]),
        _query("until", "Last local date the item was collected (inclusive)", by_name["until"]["schema"]),
    ]
    item_row = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "collected_at": {"type": "string", "format": "date-time"},
            "published_at": when,
            "title": text,
            "snippet": text,
            "url": text,
            "source": {"type": "string"},
            "lang": text,
            "stage": text,
            "districts": strings,
            "claim_id": {"type": ["integer", "null"]},
        },
    }
    claim = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "canonical_text": {"type": "string"},
            "stage": text,
            "first_seen_at": {"type": "string", "format": "date-time"},
            "items": {"type": "integer"},
            "sources": {"type": "integer"},
            "districts": strings,
            "answered": {"type": "boolean"},
            "first_answer_at": when,
            "first_answer_actor": text,
            "first_answer_category": text,
            "first_answer_attribution": text,
            "hours_to_first_answer": {**number, "description": "Lag from first sighting to first answer"},
            "answering_actors": strings,
            "answering_categories": strings,
            "items_after_answer": {"type": "integer"},
            "kept_spreading": {"type": "boolean"},
        },
    }
    counter = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "item_id": {"type": ["integer", "null"]},
            "url": text,
            "title": text,
            "actor": text,
            "category": text,
            "attribution": text,
            "link_method": {"type": "string"},
            "confirmed": {"type": "boolean"},
            "rejected": {"type": "boolean"},
            "published_at": when,
            "hours_after_first_seen": number,
        },
    }
    group = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "claims": {"type": "integer"},
            "answered": {"type": "integer"},
            "kept_spreading": {"type": "integer"},
            "answered_share": number,
            "median_hours_to_first_answer": number,
        },
    }
    claim_filters = [
        by_name["stage"],
        by_name["district"],
        _query(
            "answered",
            "Answered by a counter-narrative or not",
            {"type": "string", "enum": list(ANSWERED_FILTERS)},
        ),
        _query(
            "age",
            "First seen within 24 hours, 7 days, or earlier",
            {"type": "string", "enum": list(AGE_FILTERS)},
        ),
    ]
    return {
        "/api/v1/items": {
            "get": {
                "summary": "Items, newest collected first (keyset pages)",
                "parameters": item_filters + _keyset(100, MAX_LIMIT),
                "responses": ok(
                    {
                        "type": "object",
                        "properties": {**next_page, "items": {"type": "array", "items": item_row}},
                    }
                ),
            }
        },
        "/api/v1/items/{item_id}": {
            "get": {
                "summary": "One item: scores and reasons, alerts, claim, matches, sightings, review trail",
                "parameters": [
                    {
                        "name": "item_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1, "maximum": params.MAX_ID},
                    }
                ],
                "responses": {
                    **ok({"type": "object", "properties": {"id": {"type": "integer"}}}),
                    "404": {
                        "description": "No such item",
                        "content": {
                            "application/json": {
                                "schema": {"type": "object", "properties": {"error": {"type": "string"}}}
                            }
                        },
                    },
                },
            }
        },
        "/api/v1/claims": {
            "get": {
                "summary": "Claims with their counter-narratives and lags, most recently first seen first",
                "parameters": claim_filters + _keyset(50, MAX_CLAIMS_LIMIT),
                "responses": ok(
                    {
                        "type": "object",
                        "properties": {
                            **next_page,
                            "total": {"type": "integer"},
                            "claims": {
                                "type": "array",
                                "items": {
                                    "allOf": [
                                        claim,
                                        {
                                            "type": "object",
                                            "properties": {
                                                "counter_narratives": {"type": "array", "items": counter}
                                            },
                                        },
                                    ]
                                },
                            },
                        },
                    }
                ),
            }
        },
        "/api/v1/outcomes": {
            "get": {
                "summary": "The outcome figures: claims answered, how fast, per stage and per actor",
                "parameters": [by_name["stage"], by_name["since"], by_name["until"]],
                "responses": ok(
                    {
                        "type": "object",
                        "properties": {
                            "total": group,
                            "stages": {"type": "array", "items": group},
                            "actors": {"type": "array", "items": {"type": "object"}},
                            "claims": {"type": "array", "items": claim},
                        },
                    }
                ),
            }
        },
    }


def openapi_schema() -> dict[str, Any]:
    """The OpenAPI 3.1 description of this API."""
    errors = {
        str(code): {
            "description": text,
            "content": {
                "application/json": {
                    "schema": {"type": "object", "properties": {"error": {"type": "string"}}}
                }
            },
        }
        for code, text in (
            (400, "Unusable filter"),
            (401, "Missing or unknown token"),
            (403, "Role not allowed"),
            (429, "Too many failed authentications"),
        )
    }
    alert = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "created_at": {"type": "string", "format": "date-time"},
            "kind": {"type": "string"},
            "signal": {"type": ["string", "null"]},
            "severity": {"type": "string"},
            "status": {"type": "string"},
            "stage": {"type": ["string", "null"]},
            "district": {"type": ["string", "null"]},
            "source": {"type": ["string", "null"]},
            "item_id": {"type": ["integer", "null"]},
            "item_title": {"type": ["string", "null"]},
            "item_url": {"type": ["string", "null"]},
            "item_snippet": {
                "type": ["string", "null"],
                "description": "The item's title, else the start of its text (200 characters)",
            },
            "reason": {
                "type": "string",
                "description": "Why the alert was raised (a model's or rule's reason)",
            },
            "actors": {"type": "array", "items": {"type": "string"}},
            "snippet_html": {
                "type": ["string", "null"],
                "description": "With q: the matching passage as HTML (text escaped, matches in <mark>)",
            },
        },
    }
    paging = [
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}},
        {
            "name": "offset",
            "in": "query",
            "deprecated": True,
            "description": "Deprecated: use cursor. Rows to skip (an exact total, slower on late pages)",
            "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
        },
        _keyset(100, MAX_LIMIT)[0],
    ]

    def ok(schema: dict[str, Any]) -> dict[str, Any]:
        return {"200": {"description": "OK", "content": {"application/json": {"schema": schema}}}, **errors}

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Pantau API",
            "version": __version__,
            "description": "Alerts of the Pantau election monitor, for partners' own tools.",
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Alert": alert},
        },
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/alerts": {
                "get": {
                    "summary": "Alerts matching the filters, most severe first, then newest",
                    "parameters": _parameters() + paging,
                    "responses": ok(
                        {
                            "type": "object",
                            "properties": {
                                "total": {
                                    "type": ["integer", "null"],
                                    "description": f"First page only: matches, up to {api_queries.TOTAL_CAP}",
                                },
                                "total_exact": {"type": "boolean"},
                                "limit": {"type": "integer"},
                                "offset": {"type": "integer"},
                                "alerts": {"type": "array", "items": {"$ref": "#/components/schemas/Alert"}},
                                "next_cursor": {"type": ["string", "null"]},
                                "next": {"type": ["string", "null"]},
                            },
                        }
                    ),
                }
            },
            "/api/v1/districts": {
                "get": {
                    "summary": "Alerts per district: total, open, high or critical, per signal",
                    "parameters": _parameters(),
                    "responses": ok({"type": "object"}),
                }
            },
            "/api/v1/timeline": {
                "get": {
                    "summary": "Alerts per election stage and signal, and items per stage",
                    "parameters": _parameters(),
                    "responses": ok({"type": "object"}),
                }
            },
            "/api/v1/trends": trend_view.openapi_path(_parameters(), ok),
            "/api/v1/search": item_search.openapi_path(_parameters(), ok),
            "/api/v1/sources": {
                "get": {
                    "summary": "Each source's health: last success and error, items per run, skips, silence",
                    "parameters": [
                        {
                            "name": "window",
                            "in": "query",
                            "required": False,
                            "description": "How many of the newest runs to read per source",
                            "schema": {"type": "integer", "minimum": 1, "maximum": health.MAX_WINDOW},
                        }
                    ],
                    "responses": ok(_sources_schema()),
                }
            },
            **_records_paths(ok),
            "/api/v1/openapi.json": {"get": {"summary": "This schema", "responses": ok({"type": "object"})}},
        },
    }


async def api_schema(request: Request) -> Response:
    return JSONResponse(openapi_schema())


ROUTES: list[Route] = [
    Route("/api/v1/alerts", token_guard(api_alerts), methods=["GET"]),
    Route("/api/v1/districts", token_guard(api_districts), methods=["GET"]),
    Route("/api/v1/timeline", token_guard(api_timeline), methods=["GET"]),
    Route("/api/v1/sources", token_guard(api_sources), methods=["GET"]),
    Route("/api/v1/trends", token_guard(trend_view.api_trends), methods=["GET"]),
    Route("/api/v1/search", token_guard(item_search.api_search), methods=["GET"]),
    Route("/api/v1/items", token_guard(api_items), methods=["GET"]),
    Route("/api/v1/items/{item_id:id}", token_guard(api_item), methods=["GET"]),
    Route("/api/v1/claims", token_guard(api_claims), methods=["GET"]),
    Route("/api/v1/outcomes", token_guard(api_outcomes), methods=["GET"]),
    Route("/api/v1/openapi.json", token_guard(api_schema), methods=["GET"]),
]
