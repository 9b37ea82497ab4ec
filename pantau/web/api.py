"""The JSON API for partners' own tools: alerts, the district table and the stage timeline, with the same
filters as the analyst pages, authenticated by a bearer token (``pantau user token USERNAME``).

Read-only. Answers: 200, 400 (a filter is unusable; ``error`` names it), 401 (no or unknown token),
403 (the token's user is not an analyst or admin), 429 (too many bad tokens from one address).
The schema is served at ``/api/v1/openapi.json`` (token needed as well).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from functools import wraps
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pantau import __version__
from pantau.domain.signals import SIGNALS
from pantau.web import params
from pantau.web.analyst import ordered_stages, parse_filters
from pantau.web.auth import LoginLimiter
from pantau.web.context import ctx_of
from storage import accounts
from storage import alert_search as search
from storage.models import ALERT_KINDS, ALERT_STATUSES

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


def _alert_json(row: search.AlertRow) -> dict[str, Any]:
    out = asdict(row)
    out["created_at"] = row.created_at.isoformat()
    return out


async def api_alerts(request: Request) -> Response:
    ctx = ctx_of(request)
    filters = parse_filters(request.query_params, ctx.timezone)
    limit, offset = _paging(request)

    total, rows = await ctx.run(lambda s: search.search_page(s, filters, limit=limit, offset=offset))
    return JSONResponse(
        {"total": total, "limit": limit, "offset": offset, "alerts": [_alert_json(r) for r in rows]}
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
        },
    }
    paging = [
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}},
        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET}},
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
                                "total": {"type": "integer"},
                                "limit": {"type": "integer"},
                                "offset": {"type": "integer"},
                                "alerts": {"type": "array", "items": {"$ref": "#/components/schemas/Alert"}},
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
            "/api/v1/openapi.json": {"get": {"summary": "This schema", "responses": ok({"type": "object"})}},
        },
    }


async def api_schema(request: Request) -> Response:
    return JSONResponse(openapi_schema())


ROUTES: list[Route] = [
    Route("/api/v1/alerts", token_guard(api_alerts), methods=["GET"]),
    Route("/api/v1/districts", token_guard(api_districts), methods=["GET"]),
    Route("/api/v1/timeline", token_guard(api_timeline), methods=["GET"]),
    Route("/api/v1/openapi.json", token_guard(api_schema), methods=["GET"]),
]
