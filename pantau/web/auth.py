"""Sign-in and authorisation: argon2 password hashes, login rate limiting, signed session cookies, and the
guard that every non-public route goes through (session + role + CSRF on POST).

The session lives in a signed cookie (Starlette's ``SessionMiddleware``: HttpOnly, SameSite=Lax, Secure
when served over HTTPS). It holds the user id, a fingerprint of the password hash (changing the
password ends every other session) and the CSRF token. The account is re-read on every request, so a
deactivated user is out at once.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterable
from functools import wraps
from urllib.parse import quote

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pantau.web import csrf
from pantau.web.context import ctx_of
from storage import accounts
from storage.accounts import Account

Endpoint = Callable[[Request], Awaitable[Response]]
MIN_PASSWORD = 10
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_CLIENT = 20
FAILURE_WINDOW_S = 900.0
ALL_ROLES = ("admin", "reviewer", "analyst")

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("pantau-timing-equaliser")


class WeakPasswordError(ValueError):
    """A password shorter than :data:`MIN_PASSWORD` characters."""


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (at least MIN_PASSWORD characters)."""
    if len(password) < MIN_PASSWORD:
        raise WeakPasswordError(f"password needs at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; an unknown user is checked against a dummy hash (same timing)."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


class LoginLimiter:
    """Failed sign-ins per username and per client address in a sliding window."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.failures: dict[str, deque[float]] = defaultdict(deque)

    def _count(self, key: str) -> int:
        window = self.failures[key]
        while window and self.clock() - window[0] > FAILURE_WINDOW_S:
            window.popleft()
        return len(window)

    def blocked(self, username: str, client: str) -> bool:
        return (self._count(f"u:{username}") >= MAX_FAILURES_PER_USER
                or self._count(f"c:{client}") >= MAX_FAILURES_PER_CLIENT)

    def fail(self, username: str, client: str) -> None:
        for key in (f"u:{username}", f"c:{client}"):
            self.failures[key].append(self.clock())

    def client_blocked(self, client: str) -> bool:
        return self._count(f"c:{client}") >= MAX_FAILURES_PER_CLIENT

    def client_fail(self, client: str) -> None:
        self.failures[f"c:{client}"].append(self.clock())

    def succeed(self, username: str) -> None:
        self.failures.pop(f"u:{username}", None)


def session_account(session: Session, request: Request) -> Account | None:
    """The active account of the request's session cookie, if it is still valid."""
    uid = request.session.get("uid")
    if not isinstance(uid, int):
        return None
    account = accounts.account_by_id(session, uid)
    if account is None or not account.active:
        return None
    return account if request.session.get("pw") == fingerprint(account.password_hash) else None


def _refuse(request: Request, status: int, message: str) -> Response:
    ctx = ctx_of(request)
    return ctx.render(request, "error.html", {"message": message, "status": status}, status_code=status)


def guard(roles: Iterable[str]) -> Callable[[Endpoint], Endpoint]:
    """Wrap an endpoint: no session -> sign-in page (GET) or 401; wrong role -> 403; POST without a valid
    CSRF token -> 403. The endpoint finds the account in ``request.state.account`` and a POST's form in
    ``request.state.form``."""
    allowed = frozenset(roles)

    def decorate(endpoint: Endpoint) -> Endpoint:
        @wraps(endpoint)
        async def wrapper(request: Request) -> Response:
            ctx = ctx_of(request)
            account = await ctx.run(lambda s: session_account(s, request))
            if account is None:
                request.session.pop("uid", None)
                if request.method == "GET":
                    target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
                    return RedirectResponse(f"/login?next={target}", status_code=303)
                return _refuse(request, 401, "Silakan masuk terlebih dahulu.")
            request.state.account = account
            if account.role not in allowed:
                return _refuse(request, 403, "Peran Anda tidak diizinkan membuka halaman ini.")
            if request.method == "POST":
                form = await request.form()
                if not csrf.valid(request, form.get(csrf.FORM_FIELD) or request.headers.get(csrf.HEADER)):
                    return _refuse(request, 403, "Formulir kedaluwarsa atau tidak sah. Muat ulang halaman.")
                request.state.form = form
            return await endpoint(request)

        wrapper.pantau_roles = allowed  # type: ignore[attr-defined]
        return wrapper

    return decorate


def protected(path: str, endpoint: Endpoint, roles: Iterable[str], methods: Iterable[str] = ("GET",),
              name: str | None = None) -> Route:
    """A route whose endpoint goes through :func:`guard`."""
    return Route(path, guard(roles)(endpoint), methods=list(methods), name=name)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def login_page(request: Request) -> Response:
    ctx = ctx_of(request)
    return ctx.render(request, "login.html", {"next": _safe_next(request.query_params.get("next")),
                                              "error": None, "username": ""})


async def login_submit(request: Request) -> Response:
    ctx = ctx_of(request)
    limiter: LoginLimiter = request.app.state.limiter
    form = await request.form()
    username = str(form.get("username") or "").strip().lower()[:80]
    password = str(form.get("password") or "")
    target = _safe_next(str(form.get("next") or ""))

    def page(error: str, status: int) -> Response:
        return ctx.render(request, "login.html", {"next": target, "error": error, "username": username},
                          status_code=status)

    if not csrf.valid(request, form.get(csrf.FORM_FIELD)):
        return page("Formulir kedaluwarsa. Silakan coba lagi.", 403)
    client = _client(request)
    if limiter.blocked(username, client):
        response = page("Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam 15 menit.", 429)
        response.headers["Retry-After"] = str(int(FAILURE_WINDOW_S))
        return response
    account = await ctx.run(lambda s: accounts.account_by_username(s, username))
    ok = verify_password(account.password_hash if account else None, password)
    if not ok or account is None or not account.active:
        limiter.fail(username, client)
        return page("Nama pengguna atau kata sandi salah.", 401)
    limiter.succeed(username)
    await ctx.run(lambda s: accounts.record_login(s, account.id, now=ctx.now()))
    request.session.clear()
    request.session.update({"uid": account.id, "pw": fingerprint(account.password_hash)})
    csrf.rotate(request)
    return RedirectResponse(target, status_code=303)


async def logout(request: Request) -> Response:
    """Sign out (a guarded POST, so a cross-site page cannot sign anyone out)."""
    request.session.clear()
    csrf.rotate(request)
    return RedirectResponse("/login", status_code=303)


async def home(request: Request) -> Response:
    account: Account = request.state.account
    return RedirectResponse("/alerts" if account.role == "analyst" else "/queue", status_code=303)
