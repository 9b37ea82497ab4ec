"""The review and analysis web app (Starlette): pages in Bahasa Indonesia for reviewers and analysts, and
the token-authenticated JSON API.

Every route but the sign-in page and the stylesheet goes through an authorisation guard
(:func:`pantau.web.auth.guard` or :func:`pantau.web.api.token_guard`); ``tests/web`` checks that no
route escapes it. Responses carry a strict Content-Security-Policy: the pages use no JavaScript.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pantau.domain.config import PantauConfig
from pantau.web import (
    account,
    admin,
    analyst,
    api,
    auth,
    claims,
    district_map,
    health,
    outcomes,
    queue,
    saved,
    search,
    trends,
)
from pantau.web.context import RETRY_AFTER_S, STATIC_DIR, DatabaseBusy, WebContext, ctx_of

SESSION_COOKIE = "pantau_session"
SESSION_MAX_AGE_S = 12 * 3600
#: Routes reachable without a session (the sign-in form itself and the stylesheet).
PUBLIC_PATHS = frozenset({"/login", "/static"})
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; script-src 'none'; object-src 'none'; "
    "img-src 'self'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


class SecurityHeaders:
    """Adds :data:`SECURITY_HEADERS` (and ``Cache-Control: no-store`` on pages) to every response."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                if not scope["path"].startswith("/static") and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def routes() -> list[BaseRoute]:
    """Every route of the app."""
    return [
        Route("/login", auth.login_page, methods=["GET"]),
        Route("/login", auth.login_submit, methods=["POST"]),
        auth.protected("/logout", auth.logout, auth.ALL_ROLES, methods=("POST",)),
        auth.protected("/", auth.home, auth.ALL_ROLES),
        *queue.ROUTES,
        *analyst.ROUTES,
        *search.ROUTES,
        *saved.ROUTES,
        *trends.ROUTES,
        *district_map.ROUTES,
        *outcomes.ROUTES,
        *claims.ROUTES,
        *health.ROUTES,
        *admin.ROUTES,
        *account.ROUTES,
        *api.ROUTES,
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    messages = {404: "Halaman tidak ditemukan.", 405: "Metode tidak diizinkan."}
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": messages.get(status, "error")}, status_code=status)
    return ctx_of(request).render(
        request,
        "error.html",
        {"status": status, "message": messages.get(status, "Terjadi kesalahan.")},
        status_code=status,
    )


async def _busy(request: Request, exc: Exception) -> Response:
    headers = {"Retry-After": str(RETRY_AFTER_S)}
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": "the database is busy; try again"}, status_code=503, headers=headers)
    return ctx_of(request).render(
        request,
        "error.html",
        {"status": 503, "message": "Basis data sedang sibuk. Coba lagi sebentar lagi."},
        status_code=503,
        headers=headers,
    )


def create_app(
    engine: Engine,
    *,
    secret_key: str,
    config: PantauConfig | None = None,
    https_only: bool = False,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    clock: Callable[[], float] = time.monotonic,
) -> Starlette:
    """The ASGI app over a migrated database ``engine``.

    ``secret_key`` signs the session cookies (32+ characters; keep it stable across restarts or every
    user is signed out). ``config`` supplies the stage calendar, districts and time zone;
    ``https_only`` marks the cookie Secure (set it when served over HTTPS).
    """
    if len(secret_key) < 32:
        raise ValueError("the session secret needs at least 32 characters")
    ctx = WebContext(engine=engine, now=now)
    if config is not None:
        ordered = sorted(config.stages, key=lambda s: s.start)
        ctx.stage_order = [s.name for s in ordered]
        ctx.stage_labels = {s.name: s.label for s in ordered if getattr(s, "label", None)}
        ctx.districts = [d.name for d in config.districts]
        ctx.timezone = config.timezone
        ctx.notifications = config.notifications
        ctx.actors = list(config.actors)
    app = Starlette(
        routes=routes(),
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=secret_key,
                session_cookie=SESSION_COOKIE,
                max_age=SESSION_MAX_AGE_S,
                same_site="lax",
                https_only=https_only,
            ),
        ],
        exception_handlers={HTTPException: _http_error, DatabaseBusy: _busy, 500: _http_error},
    )
    app.state.ctx = ctx
    app.state.configured_sources = list(config.sources) if config is not None else []
    app.state.region = config  # the stage calendar of /trends, the districts of /map
    app.state.district_map = district_map.load(config)
    app.state.limiter = auth.LoginLimiter(clock)
    app.state.device_signer = URLSafeTimedSerializer(secret_key, salt="pantau-device")
    app.state.https_only = https_only
    app.state.api_limiter = auth.LoginLimiter(clock)
    return app
