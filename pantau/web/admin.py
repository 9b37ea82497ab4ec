"""The admin page: an organisation's admin lists, adds, deactivates and reactivates the users of their own
organisation, and issues API tokens for them. Admins never see or touch another organisation's users.
Deactivating or reactivating a user ends their sessions (``storage.accounts.set_active``); a new user's
password goes through the password policy (:mod:`pantau.web.passwords`).
"""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pantau.web.auth import hash_password, protected
from pantau.web.context import ctx_of
from pantau.web.passwords import WeakPasswordError
from pantau.web.queue import flash
from storage import accounts
from storage.accounts import Account, DuplicateUserError
from storage.errors import InvalidValueError
from storage.models import ROLES

ADMIN_ROLES = ("admin",)


async def _users_page(
    request: Request,
    *,
    error: str | None = None,
    token: tuple[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    ctx = ctx_of(request)
    account: Account = request.state.account
    users = await ctx.run(lambda s: accounts.accounts_of(s, account.organisation_id))
    return ctx.render(
        request,
        "users.html",
        {
            "users": users,
            "roles": ROLES,
            "error": error,
            "token": token,
            "flash": request.session.pop("flash", None),
        },
        status_code=status_code,
    )


async def users_page(request: Request) -> Response:
    return await _users_page(request)


async def add_user(request: Request) -> Response:
    ctx = ctx_of(request)
    account: Account = request.state.account
    form = request.state.form
    username = str(form.get("username") or "")
    role = str(form.get("role") or "")
    try:
        password_hash = hash_password(str(form.get("password") or ""), username)
        await ctx.run(
            lambda s: accounts.create_user(
                s, username, password_hash, role, account.organisation_id, now=ctx.now()
            )
        )
    except WeakPasswordError as exc:
        return await _users_page(request, error=exc.message_id, status_code=400)
    except DuplicateUserError:
        return await _users_page(request, error="Nama pengguna sudah dipakai.", status_code=400)
    except InvalidValueError:
        return await _users_page(
            request,
            error="Nama pengguna (3-40 huruf kecil, angka, . _ -) atau peran tidak sah.",
            status_code=400,
        )
    flash(request, f"Pengguna {username.strip().lower()} ditambahkan.")
    return RedirectResponse("/admin/users", status_code=303)


def _own_user(session: Session, admin: Account, user_id: int) -> Account | None:
    target = accounts.account_by_id(session, user_id)
    return target if target is not None and target.organisation_id == admin.organisation_id else None


async def set_active(request: Request) -> Response:
    ctx = ctx_of(request)
    account: Account = request.state.account
    user_id: int = request.path_params["user_id"]
    active = request.state.form.get("active") == "1"

    def work(session: Session) -> bool:
        target = _own_user(session, account, user_id)
        if target is None or target.id == account.id:
            return False
        accounts.set_active(session, target.id, active)
        if not active:
            accounts.revoke_api_tokens(session, target.id, now=ctx.now())
        return True

    if not await ctx.run(work):
        return ctx.render(
            request,
            "error.html",
            {"status": 403, "message": "Anda hanya dapat mengubah pengguna lain di organisasi Anda sendiri."},
            status_code=403,
        )
    flash(request, "Status pengguna diubah.")
    return RedirectResponse("/admin/users", status_code=303)


async def issue_token(request: Request) -> Response:
    ctx = ctx_of(request)
    account: Account = request.state.account
    user_id: int = request.path_params["user_id"]
    name = str(request.state.form.get("name") or "api")[:80]

    def work(session: Session) -> tuple[str, str] | None:
        target = _own_user(session, account, user_id)
        if target is None or not target.active or target.role not in ("admin", "analyst"):
            return None
        return target.username, accounts.create_api_token(session, target.id, name, now=ctx.now())

    token = await ctx.run(work)
    if token is None:
        return ctx.render(
            request,
            "error.html",
            {
                "status": 403,
                "message": "Anda hanya dapat membuat token "
                "untuk analis atau admin aktif di organisasi Anda sendiri.",
            },
            status_code=403,
        )
    return await _users_page(request, token=token)


ROUTES: list[Route] = [
    protected("/admin/users", users_page, ADMIN_ROLES),
    protected("/admin/users", add_user, ADMIN_ROLES, methods=("POST",)),
    protected("/admin/users/{user_id:id}/active", set_active, ADMIN_ROLES, methods=("POST",)),
    protected("/admin/users/{user_id:id}/token", issue_token, ADMIN_ROLES, methods=("POST",)),
]
