"""The account page (``/account``): every signed-in user can change their own password.

The current password is asked again and the new one must pass the password policy
(:mod:`pantau.web.passwords`); a change raises the user's session version, which ends every other
session (and every copy of this cookie), and re-issues this session under the new version.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pantau.web.auth import ALL_ROLES, SESSION_VERSION, hash_password, protected, verify_password
from pantau.web.context import ctx_of
from pantau.web.csrf import rotate
from pantau.web.passwords import WeakPasswordError
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
        return ctx.render(
            request, "account.html", {"error": error, "done": error is None}, status_code=status
        )

    if not verify_password(account.password_hash, current):
        return page("Kata sandi saat ini salah.")
    if new != repeat:
        return page("Kedua kata sandi baru tidak sama.")
    try:
        new_hash = hash_password(new, account.username)
    except WeakPasswordError as exc:
        return page(exc.message_id)
    version = await ctx.run(lambda s: accounts.set_password_hash(s, account.id, new_hash))
    request.session[SESSION_VERSION] = version
    rotate(request)
    return page(None, 200)


ROUTES: list[Route] = [
    protected("/account", account_page, ALL_ROLES),
    protected("/account", change_password, ALL_ROLES, methods=("POST",)),
]
