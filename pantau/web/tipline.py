"""The tipline intake endpoint: forum members forward the messages they receive, Pantau stores them.

``POST /tipline`` with ``Authorization: Bearer <token>`` and a JSON body
``{"text", "sender", "forwarded_from"?, "url"?, "attachments"?}``, decoded by
:func:`pantau.web.params.load_json` (depth, number-length, NUL and lone-surrogate limits) and validated by
:func:`sources.tipline.tipline_message`. Each token belongs to a named member (organisation), kept on
the item as ``raw["submitted_by"]``. The message is stored idempotently (a forwarded copy of a
stored message is a duplicate) and is classified by the next monitoring cycle. ``sender`` and
``forwarded_from`` are pseudonymised with the secret ``author_key`` (see
:func:`sources.pseudonym.secret_key`); the app refuses the public development key.

Answers: 201 stored, 200 duplicate, 400 unusable payload (with the reason), 401 no or wrong token,
413 body over the limit, 415 not JSON, 429 too many failed authentications from one address.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import anyio
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pantau.domain.config import SourceConfig
from pantau.domain.errors import ConfigError, ParseError
from pantau.web.params import JsonLimitError, load_json
from pantau.web.ratelimit import SlidingWindow
from sources.pseudonym import Pseudonymiser, checked_secret
from sources.tipline import tipline_message
from storage import repository as repo

TIPLINE_SOURCE = SourceConfig(name="tipline", kind="tipline", location="http:/tipline", trust=0.3)
MAX_BODY_BYTES = 64 * 1024
MAX_AUTH_FAILURES = 20
AUTH_FAILURE_WINDOW_S = 600.0
#: design choices: how long a message may wait for the database, and when to resend after a 503
DB_TIMEOUT_S = 10.0
RETRY_AFTER_S = 5


def parse_tokens(spec: str | None) -> dict[str, str]:
    """``"member-a:secret1,member-b:secret2"`` -> {secret: member}. Secrets need 16+ characters."""
    tokens: dict[str, str] = {}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        member, sep, secret = part.strip().partition(":")
        if not sep or not member or len(secret) < 16:
            raise ConfigError(
                "each entry must be 'member:secret' with a secret of 16+ characters",
                field="PANTAU_TIPLINE_TOKENS",
            )
        tokens[secret] = member
    if not tokens:
        raise ConfigError("no tipline tokens configured", field="PANTAU_TIPLINE_TOKENS")
    return tokens


class _FailureLimiter:
    """Failed authentications per client address in a sliding window, with bounded memory
    (:class:`pantau.web.ratelimit.SlidingWindow`)."""

    def __init__(self, clock: Callable[[], float]):
        self.window = SlidingWindow(AUTH_FAILURE_WINDOW_S, MAX_AUTH_FAILURES, clock=clock)

    def blocked(self, client: str) -> bool:
        return self.window.over(client)

    def fail(self, client: str) -> None:
        self.window.hit(client)


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


def create_app(
    engine: Engine,
    tokens: Mapping[str, str],
    *,
    author_key: str,
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Starlette:
    """The ASGI app, over a migrated database ``engine``; ``author_key`` is the secret that pseudonymises
    senders (32+ characters, not the development key: ConfigError otherwise)."""
    pseudonymise = Pseudonymiser.from_options(checked_secret(author_key, "author_key"))
    limiter = _FailureLimiter(clock)
    with Session(engine) as session, session.begin():
        source_id = repo.sync_sources(session, [TIPLINE_SOURCE])[TIPLINE_SOURCE.name]

    async def submit(request: Request) -> JSONResponse:
        client = request.client.host if request.client else "unknown"
        if limiter.blocked(client):
            return _error(
                429,
                "too many failed authentications; try again later",
                **{"Retry-After": str(int(AUTH_FAILURE_WINDOW_S))},
            )
        member = _member(request, tokens)
        if member is None:
            limiter.fail(client)
            return _error(401, "missing or wrong token", **{"WWW-Authenticate": 'Bearer realm="tipline"'})
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return _error(415, "send the message as application/json")
        declared = request.headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return _error(413, f"body over {MAX_BODY_BYTES} bytes")
        body = await _read_limited(request)
        if body is None:
            return _error(413, f"body over {MAX_BODY_BYTES} bytes")
        try:
            payload = load_json(body, max_bytes=MAX_BODY_BYTES)
            item = tipline_message(
                payload, received_at=now(), source=TIPLINE_SOURCE.name, pseudonymise=pseudonymise
            )
        except JsonLimitError as exc:
            return _error(400, f"unusable JSON body: {exc.message}", exc.reason)
        except ParseError as exc:
            return _error(400, str(exc), exc.reason)
        item.raw["submitted_by"] = member

        def store() -> repo.UpsertResult:
            with Session(engine) as session, session.begin():
                return repo.upsert_items(session, source_id, None, [item])

        # In a worker thread, so a locked database never stalls the event loop (401s, other members);
        # past DB_TIMEOUT_S the member is told to resend (503). The abandoned write may still commit:
        # storing is idempotent, so the resend is then answered as a duplicate of the same id.
        try:
            with anyio.fail_after(DB_TIMEOUT_S):
                result = await anyio.to_thread.run_sync(store, abandon_on_cancel=True)
        except (TimeoutError, OperationalError):
            return _error(
                503,
                "the database is busy; send the message again",
                "busy",
                **{"Retry-After": str(RETRY_AFTER_S)},
            )
        item_id = result.ids[0]
        duplicate = not result.new_ids
        return JSONResponse({"id": item_id, "duplicate": duplicate}, status_code=200 if duplicate else 201)

    return Starlette(routes=[Route("/tipline", submit, methods=["POST"])])
