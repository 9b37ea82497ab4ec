"""Saved searches (``/saved``): a user saves the filter of the alerts page (analysts and admins: it matches
new alerts) or of the item search page (every role: it matches new items) under a name, sees how many
new matches each one has, opens it, renames it, pauses or resumes its notifications and deletes it.

Who may do what: the owner changes and deletes a search; the other members of the owner's organisation
see it on their ``/saved`` page, read-only (they may open it, which does not mark its matches seen);
nobody else sees it (404). Every action is a CSRF-protected POST. Opening (a POST, since it marks the
owner's matches seen) redirects to the page the search was saved from with its filters applied. The
count in the navigation (``Tersimpan N``) is the signed-in user's unseen matches.
"""

from __future__ import annotations

from urllib.parse import urlencode

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pantau.web import params
from pantau.web.analyst import ANALYST_ROLES, parse_filters
from pantau.web.auth import ALL_ROLES, protected
from pantau.web.context import ctx_of
from pantau.web.params import ParamError
from pantau.web.queue import flash
from storage import saved_searches as ss
from storage.accounts import Account
from storage.errors import InvalidValueError, RecordNotFoundError

#: who saves searches: every role (the item search page is open to all)
SAVED_ROLES = ALL_ROLES
#: where a saved search opens (its ``view``), and who may open that page
VIEW_PATHS = {"alerts": "/alerts", "search": "/search"}
VIEW_ROLES = {"alerts": ANALYST_ROLES, "search": ALL_ROLES}
PREVIEW = 3
#: the filter parameters in words (the filter form's labels)
FIELD_LABELS = {
    "signal": "Sinyal",
    "stage": "Tahapan",
    "district": "Kecamatan",
    "source": "Sumber",
    "actor": "Aktor",
    "status": "Status",
    "kind": "Jenis",
    "since": "Dari tanggal",
    "until": "Sampai tanggal",
    "q": "Teks",
}


def _error(request: Request, status: int, message: str) -> Response:
    return ctx_of(request).render(
        request, "error.html", {"status": status, "message": message}, status_code=status
    )


async def saved_page(request: Request) -> Response:
    ctx = ctx_of(request)
    account: Account = request.state.account

    def work(session: Session) -> list[tuple[ss.SavedSearchView, list[ss.MatchPreview]]]:
        views = ss.visible_to(session, account.id, account.organisation_id)
        return [
            (v, ss.unseen_previews(session, v.id, PREVIEW) if v.unseen and v.user_id == account.id else [])
            for v in views
        ]

    rows = await ctx.run(work)
    return ctx.render(
        request,
        "saved.html",
        {
            "own": [(v, p) for v, p in rows if v.user_id == account.id],
            "shared": [(v, p) for v, p in rows if v.user_id != account.id],
            "flash": request.session.pop("flash", None),
            "name_chars": ss.NAME_CHARS,
            "can_open": {view for view, roles in VIEW_ROLES.items() if account.role in roles},
            "field_labels": FIELD_LABELS,
        },
    )


async def save(request: Request) -> Response:
    ctx = ctx_of(request)
    account: Account = request.state.account
    form = request.state.form
    values = {key: str(form.get(key) or "") for key in ss.FILTER_KEYS}
    view = str(form.get("view") or "alerts")
    try:
        parsed = parse_filters(values, ctx.timezone)  # the alerts page's own checks
        params.clean_text(str(form.get("name") or ""), "name")
    except ParamError as exc:
        return _error(request, 400, f"Filter tidak sah: {exc.field}: {exc.pesan}")
    if view not in VIEW_PATHS:
        return _error(request, 400, "Halaman asal pencarian tidak dikenal.")
    if account.role not in VIEW_ROLES[view]:
        return _error(request, 403, "Peran Anda tidak diizinkan menyimpan pencarian halaman ini.")
    if view == "search" and parsed.q is None:
        return _error(request, 400, "Pencarian teks membutuhkan kata yang dicari.")
    values = {k: v.strip() for k, v in values.items() if getattr(parsed, k) is not None}  # what applies
    name = str(form.get("name") or "").strip() or _default_name(values)
    try:
        await ctx.run(lambda s: ss.create(s, account.id, name, values, view=view, now=ctx.now()))
    except InvalidValueError:
        return _error(request, 400, f"Nama pencarian harus 1 sampai {ss.NAME_CHARS} karakter.")
    flash(request, "Pencarian disimpan. Peringatan baru yang cocok akan diberitahukan.")
    return RedirectResponse("/saved", status_code=303)


def _default_name(values: dict[str, str]) -> str:
    shown = [v.strip() for v in values.values() if v.strip()]
    return (" · ".join(shown) or "Semua peringatan")[: ss.NAME_CHARS]


def _saved_id(request: Request) -> int:
    return int(request.path_params["saved_id"])


async def open_saved(request: Request) -> Response:
    ctx = ctx_of(request)
    account: Account = request.state.account
    saved_id = _saved_id(request)

    def work(session: Session) -> ss.SavedSearchView | str:
        try:
            view = ss.get(session, saved_id)
        except RecordNotFoundError:
            return "missing"
        if view.organisation_id != account.organisation_id:
            return "missing"
        if account.role not in VIEW_ROLES.get(view.view, ANALYST_ROLES):
            return "forbidden"
        ss.mark_seen(session, saved_id, account.id, now=ctx.now())
        return view

    view = await ctx.run(work)
    if view == "missing":
        return _error(request, 404, "Pencarian tersimpan tidak ditemukan.")
    if view == "forbidden":
        return _error(request, 403, "Peran Anda tidak diizinkan membuka halaman ini.")
    assert isinstance(view, ss.SavedSearchView)
    query = urlencode(ss.as_query(view.filters))
    return RedirectResponse(f"{VIEW_PATHS.get(view.view, '/alerts')}?{query}", status_code=303)


async def _change(request: Request, change, done: str) -> Response:  # noqa: ANN001 - a storage call
    ctx = ctx_of(request)
    account: Account = request.state.account
    saved_id = _saved_id(request)
    try:
        await ctx.run(lambda s: change(s, saved_id, account.id))
    except ss.NotOwnerError:
        return _error(request, 403, "Hanya pemilik yang dapat mengubah pencarian tersimpan ini.")
    except RecordNotFoundError:
        return _error(request, 404, "Pencarian tersimpan tidak ditemukan.")
    except InvalidValueError:
        return _error(request, 400, f"Nama pencarian harus 1 sampai {ss.NAME_CHARS} karakter.")
    flash(request, done)
    return RedirectResponse("/saved", status_code=303)


async def rename(request: Request) -> Response:
    name = str(request.state.form.get("name") or "")
    try:
        params.clean_text(name, "name")
    except ParamError as exc:
        return _error(request, 400, f"Isian tidak sah: {exc.field}: {exc.pesan}")
    now = ctx_of(request).now()
    return await _change(request, lambda s, i, u: ss.rename(s, i, u, name, now=now), "Nama pencarian diubah.")


async def set_notify(request: Request) -> Response:
    notify = str(request.state.form.get("notify") or "") == "1"
    now = ctx_of(request).now()
    done = "Pemberitahuan dilanjutkan." if notify else "Pemberitahuan dijeda."
    return await _change(request, lambda s, i, u: ss.set_notify(s, i, u, notify, now=now), done)


async def delete(request: Request) -> Response:
    return await _change(request, ss.delete, "Pencarian tersimpan dihapus.")


ROUTES: list[Route] = [
    protected("/saved", saved_page, SAVED_ROLES),
    protected("/saved", save, SAVED_ROLES, methods=("POST",)),
    protected("/saved/{saved_id:id}/open", open_saved, SAVED_ROLES, methods=("POST",)),
    protected("/saved/{saved_id:id}/rename", rename, SAVED_ROLES, methods=("POST",)),
    protected("/saved/{saved_id:id}/notify", set_notify, SAVED_ROLES, methods=("POST",)),
    protected("/saved/{saved_id:id}/delete", delete, SAVED_ROLES, methods=("POST",)),
]
