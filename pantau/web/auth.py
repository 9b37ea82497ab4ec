"""Sign-in and authorisation: argon2 password hashes, login rate limiting, signed session cookies, and the
guard that every non-public route goes through (session + role + CSRF on POST).

The session lives in a signed cookie (Starlette's ``SessionMiddleware``: HttpOnly, SameSite=Lax, Secure
when served over HTTPS). It holds the user id, the user's session version at sign-in and the CSRF
token. The account is re-read on every request and a cookie whose version differs from the user's
current ``session_version`` counts as signed out: signing out, deactivation, reactivation, a password
or role change raise the version (``storage.accounts``) and so end every copy of every older cookie.
Sign-in starts from an empty session with a fresh CSRF token (no value planted before sign-in survives).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from functools import wraps
from urllib.parse import quote

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pantau.web import csrf, params, passwords
from pantau.web.context import ctx_of
from pantau.web.ratelimit import SlidingWindow
from storage import accounts
from storage.accounts import Account

Endpoint = Callable[[Request], Awaitable[Response]]
MIN_PASSWORD = passwords.MIN_LENGTH
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_CLIENT = 20
FAILURE_WINDOW_S = 900.0
DEVICE_COOKIE = "pantau_device"
DEVICE_MAX_AGE_S = 90 * 86400
ALL_ROLES = ("admin", "reviewer", "analyst")

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("pantau-timing-equaliser")
SESSION_USER = "uid"
SESSION_VERSION = "sv"


def hash_password(password: str, username: str | None = None) -> str:
    """An argon2id hash of ``password``; raises :class:`WeakPasswordError` when the password policy
    (:mod:`pantau.web.passwords`) refuses it."""
    passwords.check(password, username)
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; an unknown user is checked against a dummy hash (same timing)."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


class LoginLimiter:
    """Failed sign-ins in a sliding window, with bounded memory (:class:`SlidingWindow`): per username
    (MAX_FAILURES_PER_USER), per client address (MAX_FAILURES_PER_CLIENT) and per remembered device.

    A browser that signed in as a user before carries a signed device cookie for that user
    (:func:`remember_device`); its attempts are limited per device only, so neither failures against
    the username from elsewhere nor a busy shared address (everyone behind one proxy or NAT) lock that
    user out (OWASP's "device cookies"). Everyone else is limited per username and per address.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_keys: int = 10_000):
        def window(limit: int) -> SlidingWindow:
            return SlidingWindow(FAILURE_WINDOW_S, limit, max_keys=max_keys, clock=clock)

        self.users = window(MAX_FAILURES_PER_USER)
        self.clients = window(MAX_FAILURES_PER_CLIENT)
        self.devices = window(MAX_FAILURES_PER_USER)

    def blocked(self, username: str, client: str, device: str | None = None) -> bool:
        if device is not None:
            return self.devices.over(device)
        return self.users.over(username) or self.clients.over(client)

    def fail(self, username: str, client: str, device: str | None = None) -> None:
        if device is not None:
            self.devices.hit(device)
            return
        self.users.hit(username)
        self.clients.hit(client)

    def client_blocked(self, client: str) -> bool:
        return self.clients.over(client)

    def client_fail(self, client: str) -> None:
        self.clients.hit(client)

    def succeed(self, username: str, device: str | None = None) -> None:
        self.users.reset(username)
        if device is not None:
            self.devices.reset(device)


def _device_signer(request: Request) -> URLSafeTimedSerializer:
    return request.app.state.device_signer


def known_device(request: Request, username: str) -> str | None:
    """The device id of a valid device cookie this browser holds for ``username``, else None."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        data = _device_signer(request).loads(raw, max_age=DEVICE_MAX_AGE_S)
    except BadSignature:
        return None
    if isinstance(data, dict) and data.get("u") == username and isinstance(data.get("d"), str):
        return data["d"]
    return None


def remember_device(request: Request, response: Response, username: str) -> None:
    """After a successful sign-in: a signed cookie naming this browser as one ``username`` uses."""
    value = _device_signer(request).dumps({"u": username, "d": secrets.token_urlsafe(12)})
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=DEVICE_MAX_AGE_S,
        httponly=True,
        samesite="lax",
        secure=bool(getattr(request.app.state, "https_only", False)),
    )


def session_account(session: Session, request: Request) -> Account | None:
    """The active account of the request's session cookie, if it is still valid."""
    uid = request.session.get(SESSION_USER)
    version = request.session.get(SESSION_VERSION)
    if not isinstance(uid, int) or not isinstance(version, int):
        return None
    account = accounts.account_by_id(session, uid)
    if account is None or not account.active or account.session_version != version:
        return None
    return account


def start_session(request: Request, account: Account) -> None:
    """Sign ``account`` in: drop everything the session held before (a value or CSRF token planted in the
    cookie before sign-in must not survive), then store the user, their session version, a new CSRF token."""
    request.session.clear()
    request.session.update({SESSION_USER: account.id, SESSION_VERSION: account.session_version})
    csrf.rotate(request)


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

            def load(session: Session) -> tuple[Account | None, int | None, int | None]:
                account = session_account(session, request)
                return account, ctx.open_escalations(session, account), ctx.saved_unseen(session, account)

            account, request.state.open_escalations, request.state.saved_unseen = await ctx.run(load)
            if account is None:
                request.session.pop(SESSION_USER, None)
                request.session.pop(SESSION_VERSION, None)
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


def protected(
    path: str,
    endpoint: Endpoint,
    roles: Iterable[str],
    methods: Iterable[str] = ("GET",),
    name: str | None = None,
) -> Route:
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
    return ctx.render(
        request,
        "login.html",
        {"next": _safe_next(request.query_params.get("next")), "error": None, "username": ""},
    )


async def login_submit(request: Request) -> Response:
    ctx = ctx_of(request)
    limiter: LoginLimiter = request.app.state.limiter
    form = await request.form()
    username = str(form.get("username") or "").strip().lower()[:80]
    password = str(form.get("password") or "")
    target = _safe_next(str(form.get("next") or ""))

    def page(error: str, status: int) -> Response:
        return ctx.render(
            request, "login.html", {"next": target, "error": error, "username": username}, status_code=status
        )

    if not csrf.valid(request, form.get(csrf.FORM_FIELD)):
        return page("Formulir kedaluwarsa. Silakan coba lagi.", 403)
    client = _client(request)
    device = known_device(request, username)
    if limiter.blocked(username, client, device):
        response = page("Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam 15 menit.", 429)
        response.headers["Retry-After"] = str(int(FAILURE_WINDOW_S))
        return response
    try:  # a NUL or lone surrogate cannot name anyone (and PostgreSQL refuses NUL in a query)
        params.clean_text(username + password, "username")
    except params.ParamError:
        limiter.fail(username, client, device)
        return page("Nama pengguna atau kata sandi salah.", 401)
    account = await ctx.run(lambda s: accounts.account_by_username(s, username))
    ok = verify_password(account.password_hash if account else None, password)
    if not ok or account is None or not account.active:
        limiter.fail(username, client, device)
        return page("Nama pengguna atau kata sandi salah.", 401)
    limiter.succeed(username, device)
    await ctx.run(lambda s: accounts.record_login(s, account.id, now=ctx.now()))
    start_session(request, account)
    response = RedirectResponse(target, status_code=303)
    remember_device(request, response, username)
    return response


async def logout(request: Request) -> Response:
    """Sign out (a guarded POST, so a cross-site page cannot sign anyone out). The user's session version
    is raised, so a copy of this cookie (and the user's other sessions) stop working too."""
    ctx = ctx_of(request)
    account: Account = request.state.account
    await ctx.run(lambda s: accounts.end_sessions(s, account.id))
    request.session.clear()
    csrf.rotate(request)
    return RedirectResponse("/login", status_code=303)


async def home(request: Request) -> Response:
    account: Account = request.state.account
    return RedirectResponse("/alerts" if account.role == "analyst" else "/queue", status_code=303)
