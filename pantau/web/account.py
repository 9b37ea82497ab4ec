"""The account page (``/account``): every signed-in user can change their own password.

The current password is asked again; a change ends the user's other sessions (the session cookie holds
a fingerprint of the password hash) and keeps this one signed in.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pantau.web.auth import (
    ALL_ROLES,
    WeakPasswordError,
    fingerprint,
    hash_password,
    protected,
    verify_password,
)
from pantau.web.context import ctx_of
from storage import accounts
from storage.accounts import Account


async def account_page(request: Request) -> Response:
    return ctx_of(request).render(request, "account.html", {"error": None, "done": False})


async def change_password(request: Request) -> Response:
    ctx = ctx_of(request)
    account: Account = request.state.account
    form = request.state.form
    current, new, repeat = (str(form.get(k) or "") for k in ("current", "new", "repeat"))

    def page(error: str | None, status: int = 400) -> Response:
        return ctx.render(request, "account.html", {"error": error, "done": error is None},
                          status_code=status)

    if not verify_password(account.password_hash, current):
        return page("Kata sandi saat ini salah.")
    if new != repeat:
        return page("Kedua kata sandi baru tidak sama.")
    try:
        new_hash = hash_password(new)
    except WeakPasswordError:
        return page("Kata sandi baru minimal 10 karakter.")
    await ctx.run(lambda s: accounts.set_password_hash(s, account.id, new_hash))
    request.session["pw"] = fingerprint(new_hash)
    return page(None, 200)


ROUTES: list[Route] = [
    protected("/account", account_page, ALL_ROLES),
    protected("/account", change_password, ALL_ROLES, methods=("POST",)),
]
