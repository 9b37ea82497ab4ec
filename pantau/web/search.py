"""The item search page (``/search?q=...``): every stored item, alerted or not, whose title or text holds
the words, best match first, each with its matching passage highlighted; with the analyst filters
that apply to items (see :mod:`storage.text_search`) and pages of :data:`PAGE_SIZE`.

The highlighted passage comes from the database between private-use markers and is escaped before the
markers become ``<mark>`` (:func:`storage.fts.marked_html`), so scraped HTML stays text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pantau import messages
from pantau.domain.signals import SIGNALS
from pantau.web import params
from pantau.web.analyst import filter_query, parse_filters
from pantau.web.auth import protected
from pantau.web.context import ctx_of
from pantau.web.params import ParamError
from storage import alert_search, text_search
from storage.models import ALERT_KINDS, ALERT_STATUSES

SEARCH_ROLES = ("admin", "analyst", "reviewer")
PAGE_SIZE = 20


def hit_view(hit: text_search.ItemHit) -> dict[str, Any]:
    """What the template shows of a hit; ``passage`` is safe HTML (escaped, matches in <mark>)."""
    return {
        "hit": hit,
        "passage": Markup(hit.snippet_html) if hit.snippet_html else None,  # noqa: S704 - built escaped
        "title": Markup(hit.title_html) if hit.title_html else None,  # noqa: S704 - built escaped
    }


async def search_page(request: Request) -> Response:
    ctx = ctx_of(request)
    try:
        filters = parse_filters(request.query_params, ctx.timezone)
    except ParamError as exc:
        return ctx.render(
            request,
            "error.html",
            {"status": 400, "message": f"Filter tidak sah: {exc.field}: {exc.pesan}"},
            status_code=400,
        )
    page = params.page_number(request.query_params)

    def work(session: Session) -> tuple[text_search.ItemPage, dict[str, list[str]]]:
        found = text_search.search_items(session, filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        return found, alert_search.filter_choices(session)

    found, choices = await ctx.run(work)
    shown = filter_query(request.query_params)
    return ctx.render(
        request,
        "search.html",
        {
            "t": messages.table("search_page"),
            "searched": filters.q is not None,
            "found": found,
            "hits": [hit_view(h) for h in found.hits],
            "page": page,
            "pages": max(1, -(-found.total // PAGE_SIZE)),
            "filters": shown,
            "query": urlencode(shown),
            "choices": choices,
            "signals": SIGNALS,
            "statuses": ALERT_STATUSES,
            "kinds": ALERT_KINDS,
        },
    )


ROUTES: list[Route] = [protected("/search", search_page, SEARCH_ROLES)]


# --- the JSON twin: GET /api/v1/search (token-guarded in pantau.web.api) ---------------------------

API_MAX_LIMIT = 100
API_MAX_OFFSET = 10_000


def hit_json(hit: text_search.ItemHit) -> dict[str, Any]:
    out = asdict(hit)
    for name in ("published_at", "collected_at"):
        out[name] = out[name].isoformat() if out[name] else None
    return out


async def api_search(request: Request) -> Response:
    """Items matching ``q`` and the filters, best match first; ``limit``/``offset`` page. Without
    searchable words in ``q`` (missing, blank, over-long, only punctuation) nothing matches."""
    ctx = ctx_of(request)
    filters = parse_filters(request.query_params, ctx.timezone)
    query = request.query_params
    limit = params.integer(query.get("limit"), "limit", default=20, low=1, high=API_MAX_LIMIT, clamp=True)
    offset = params.integer(query.get("offset"), "offset", default=0, low=0, high=API_MAX_OFFSET, clamp=True)
    found = await ctx.run(lambda s: text_search.search_items(s, filters, limit=limit, offset=offset))
    return JSONResponse(
        {
            "total": found.total,
            "ranked": found.ranked,
            "limit": limit,
            "offset": offset,
            "items": [hit_json(h) for h in found.hits],
        }
    )


def openapi_path(
    parameters: list[dict[str, Any]], ok: Callable[[dict[str, Any]], dict[str, Any]]
) -> dict[str, Any]:
    """The ``/api/v1/search`` entry of the OpenAPI schema (``parameters``: the analyst filters)."""
    text = {"type": "string", "minLength": 1, "maxLength": params.MAX_TEXT_CHARS}
    q = {
        "name": "q",
        "in": "query",
        "required": False,
        "description": 'Words to find (whole words; word* for a prefix; "a phrase" in quotes); '
        "without any, nothing matches",
        "schema": text,
    }
    paging = [
        {
            "name": "limit",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": API_MAX_LIMIT},
        },
        {
            "name": "offset",
            "in": "query",
            "schema": {"type": "integer", "minimum": 0, "maximum": API_MAX_OFFSET},
        },
    ]
    when = {"type": ["string", "null"], "format": "date-time"}
    item = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": ["string", "null"]},
            "url": {"type": ["string", "null"]},
            "source": {"type": ["string", "null"]},
            "published_at": when,
            "collected_at": when,
            "stage": {"type": ["string", "null"]},
            "districts": {"type": "array", "items": {"type": "string"}},
            "actors": {"type": "array", "items": {"type": "string"}},
            "item_snippet": {"type": ["string", "null"], "description": "The title, else the text's start"},
            "snippet_html": {
                "type": ["string", "null"],
                "description": "The matching passage as HTML: text escaped, matches in <mark>",
            },
            "title_html": {
                "type": ["string", "null"],
                "description": "The title as HTML with its matches in <mark> (null: no match in it)",
            },
        },
    }
    body = {
        "type": "object",
        "properties": {
            "total": {"type": "integer"},
            "ranked": {"type": "boolean", "description": "false: too many matches to rank, newest first"},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
            "items": {"type": "array", "items": item},
        },
    }
    return {
        "get": {
            "summary": "Items (alerted or not) whose title or text matches q, best match first",
            "parameters": [p for p in parameters if p["name"] != "q"] + [q, *paging],
            "responses": ok(body),
        }
    }
