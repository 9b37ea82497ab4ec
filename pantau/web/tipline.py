"""The tipline intake endpoint: forum members forward the messages they receive, Pantau stores them.

``POST /tipline`` with ``Authorization: Bearer <token>`` and a JSON body
``{"text", "sender", "forwarded_from"?, "url"?, "attachments"?}`` (validated by
:func:`sources.tipline.tipline_message`). Each token belongs to a named member (organisation), kept on
the item as ``raw["submitted_by"]``. The message is stored idempotently (a forwarded copy of a
stored message is a duplicate) and is classified by the next monitoring cycle.

Answers: 201 stored, 200 duplicate, 400 unusable payload (with the reason), 401 no or wrong token,
413 body over the limit, 415 not JSON, 429 too many failed authentications from one address.
"""

from __future__ import annotations

import hmac
import json
import time
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pantau.domain.config import SourceConfig
from pantau.domain.errors import ConfigError, ParseError
from sources.tipline import tipline_message
from storage import repository as repo

TIPLINE_SOURCE = SourceConfig(name="tipline", kind="tipline", location="http:/tipline", trust=0.3)
MAX_BODY_BYTES = 64 * 1024
MAX_AUTH_FAILURES = 20
AUTH_FAILURE_WINDOW_S = 600.0


def parse_tokens(spec: str | None) -> dict[str, str]:
    """``"member-a:secret1,member-b:secret2"`` -> {secret: member}. Secrets need 16+ characters."""
    tokens: dict[str, str] = {}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        member, sep, secret = part.strip().partition(":")
        if not sep or not member or len(secret) < 16:
            raise ConfigError("each entry must be 'member:secret' with a secret of 16+ characters",
                              field="PANTAU_TIPLINE_TOKENS")
        tokens[secret] = member
    if not tokens:
        raise ConfigError("no tipline tokens configured", field="PANTAU_TIPLINE_TOKENS")
    return tokens


class _FailureLimiter:
    """Counts failed authentications per client address in a sliding window."""

    def __init__(self, clock: Callable[[], float]):
        self.clock = clock
        self.failures: dict[str, deque[float]] = defaultdict(deque)

    def blocked(self, client: str) -> bool:
        window = self.failures[client]
        while window and self.clock() - window[0] > AUTH_FAILURE_WINDOW_S:
            window.popleft()
        return len(window) >= MAX_AUTH_FAILURES

    def fail(self, client: str) -> None:
        self.failures[client].append(self.clock())


def _member(request: Request, tokens: Mapping[str, str]) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given:
        return None
    for secret, member in tokens.items():  # constant-time comparison against every token
        if hmac.compare_digest(secret.encode(), given.strip().encode()):
            return member
    return None


async def _read_limited(request: Request) -> bytes | None:
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


def _error(status: int, message: str, reason: str | None = None, **headers: str) -> JSONResponse:
    content = {"error": message} | ({"reason": reason} if reason else {})
    return JSONResponse(content, status_code=status, headers=headers or None)


def create_app(engine: Engine, tokens: Mapping[str, str], *,
               clock: Callable[[], float] = time.monotonic,
               now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> Starlette:
    """The ASGI app, over a migrated database ``engine``."""
    limiter = _FailureLimiter(clock)
    with Session(engine) as session, session.begin():
        source_id = repo.sync_sources(session, [TIPLINE_SOURCE])[TIPLINE_SOURCE.name]

    async def submit(request: Request) -> JSONResponse:
        client = request.client.host if request.client else "unknown"
        if limiter.blocked(client):
            return _error(429, "too many failed authentications; try again later",
                          **{"Retry-After": str(int(AUTH_FAILURE_WINDOW_S))})
        member = _member(request, tokens)
        if member is None:
            limiter.fail(client)
            return _error(401, "missing or wrong token", **{"WWW-Authenticate": 'Bearer realm="tipline"'})
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return _error(415, "send the message as application/json")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return _error(413, f"body over {MAX_BODY_BYTES} bytes")
        body = await _read_limited(request)
        if body is None:
            return _error(413, f"body over {MAX_BODY_BYTES} bytes")
        try:
            payload = json.loads(body.decode("utf-8"))
            item = tipline_message(payload, received_at=now(), source=TIPLINE_SOURCE.name)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return _error(400, f"not valid UTF-8 JSON ({exc.__class__.__name__})", "malformed")
        except ParseError as exc:
            return _error(400, str(exc), exc.reason)
        item.raw["submitted_by"] = member
        with Session(engine) as session, session.begin():
            result = repo.upsert_items(session, source_id, None, [item])
        item_id = result.ids[0]
        duplicate = not result.new_ids
        return JSONResponse({"id": item_id, "duplicate": duplicate}, status_code=200 if duplicate else 201)

    return Starlette(routes=[Route("/tipline", submit, methods=["POST"])])
