"""The reviewers' pages: the review queue, one item's full picture, and the actions on it.

Opening an item takes nothing. Acting on it (verdict, note, counter-narrative link, escalation,
dismissal) takes its short action lock, so a second reviewer sees who is on it; "Ambil" takes the item
(assigns it to me) and "Tugaskan ke" gives it to a colleague: while it is assigned, only its owner and
admins may act. "Lepaskan" releases my lock and assignment (an admin's releases anyone's). Escalations
to my organisation are listed by ``?escalated=1`` until a member acknowledges ("Terima") or closes
("Tutup") them; ``?mine=1`` lists the items assigned to me. Each action lands in the review trail.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pantau.domain.signals import SIGNALS
from pantau.web import params
from pantau.web.auth import protected
from pantau.web.context import WebContext, ctx_of
from pantau.web.params import checked
from storage import accounts, assignments
from storage import escalations as esc
from storage import review_queue as rq
from storage.accounts import Account
from storage.errors import InvalidValueError, RecordNotFoundError

PAGE_SIZE = 50
REVIEW_ROLES = ("admin", "reviewer")
VIEW_ROLES = ("admin", "reviewer", "analyst")
ESCALATION_ACTIONS = {"acknowledge": "acknowledged", "close": "closed"}


def actor_of(account: Account) -> rq.Actor:
    return rq.Actor(
        user_id=account.id,
        username=account.username,
        organisation=account.organisation,
        role=account.role,
        organisation_id=account.organisation_id,
    )


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an http(s) URL (fit for an href), else None: scraped data may hold javascript:."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def _choice(value: str | None, allowed: list[str] | tuple[str, ...]) -> str | None:
    return value if value in allowed else None


def flash(request: Request, message: str, kind: str = "ok") -> None:
    request.session["flash"] = {"message": message, "kind": kind}


def _not_found(ctx: WebContext, request: Request, what: str = "Item") -> Response:
    return ctx.render(
        request, "error.html", {"message": f"{what} tidak ditemukan.", "status": 404}, status_code=404
    )


async def queue_page(request: Request) -> Response:
    ctx = ctx_of(request)
    account: Account = request.state.account
    q = request.query_params
    escalated, mine = q.get("escalated") == "1", q.get("mine") == "1"
    filters: dict[str, Any] = {
        "signal": _choice(q.get("signal"), SIGNALS),
        "stage": params.text(q.get("stage"), "stage"),
        "district": params.text(q.get("district"), "district"),
        "escalated_to": account.organisation_id if escalated else None,
        "assigned_to": account.id if mine else None,
    }
    page = params.page_number(q)

    def work(session: Session) -> tuple[list[rq.QueueEntry], int]:
        entries = rq.review_queue(
            session,
            **filters,
            organisation_id=account.organisation_id,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
            now=ctx.now(),
        )
        return entries, rq.queue_size(session, **filters)

    entries, total = await ctx.run(work)
    shown = {k: v for k, v in {**filters, "escalated": escalated, "mine": mine}.items() if v}
    shown.pop("escalated_to", None)
    shown.pop("assigned_to", None)
    base_query = urlencode({k: ("1" if v is True else v) for k, v in shown.items()})
    return ctx.render(
        request,
        "queue.html",
        {
            "entries": entries,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "filters": shown,
            "base_query": base_query,
            "signals": SIGNALS,
            "flash": request.session.pop("flash", None),
        },
    )


def _who_may_act(detail: rq.ItemDetail, account: Account) -> tuple[bool, str | None]:
    """Whether the account may act on the item now, and why not (a message naming who has it)."""
    if account.role not in REVIEW_ROLES:
        return False, None
    admin = account.role == "admin"
    owner = detail.owner
    if owner is not None and owner.user_id != account.id:
        if admin:
            return True, f"Item ini ditugaskan ke {owner.username}. Sebagai admin Anda tetap dapat bertindak."
        return False, f"Item ini ditugaskan ke {owner.username}; hanya dia atau admin yang dapat bertindak."
    if detail.lock_holder and detail.lock_holder != account.username:
        if admin or owner is not None:
            return True, (
                f"Item ini sedang ditinjau oleh {detail.lock_holder}; tindakan Anda mengambil alih kuncinya."
            )
        return False, f"Item ini sedang ditinjau oleh {detail.lock_holder}. Coba lagi nanti."
    return True, None


async def item_page(request: Request) -> Response:
    ctx = ctx_of(request)
    account: Account = request.state.account
    item_id: int = request.path_params["item_id"]
    admin = account.role == "admin"

    def work(session: Session) -> tuple[rq.ItemDetail, list[tuple[int, str]], list[tuple[int, str, str]]]:
        detail = rq.item_detail(session, item_id, now=ctx.now())  # viewing takes no lock
        orgs = [(i, n) for i, n in accounts.organisations(session) if i != account.organisation_id]
        colleagues = assignments.assignable_users(
            session, organisation_id=None if admin else account.organisation_id
        )
        return detail, orgs, colleagues

    try:
        detail, orgs, colleagues = await ctx.run(work)
    except RecordNotFoundError:
        return _not_found(ctx, request)
    can_act, blocked = _who_may_act(detail, account)
    mine = detail.owner is not None and detail.owner.user_id == account.id
    holds_lock = detail.lock_holder == account.username
    return ctx.render(
        request,
        "item.html",
        {
            "d": detail,
            "item": detail.item,
            "orgs": orgs,
            "colleagues": colleagues,
            "blocked": blocked,
            "can_act": can_act,
            "mine": mine,
            "can_release": can_act
            and (mine or holds_lock or (admin and (detail.owner or detail.lock_holder))),
            "receiver": account.role in REVIEW_ROLES,
            "verdicts": rq.VERDICTS,
            "safe_url": safe_url,
            "flash": request.session.pop("flash", None),
        },
    )


_ERRORS = {
    "verdict": "Pilih salah satu putusan.",
    "note": "Catatan tidak boleh kosong.",
    "counter-narrative URL": "Tautan kontra-narasi harus berupa alamat http(s) yang lengkap.",
    "counter-narrative": "Isi tautan kontra-narasi atau nomor item yang tersimpan.",
    "assignee": "Item hanya dapat ditugaskan ke peninjau atau admin yang aktif.",
    "organisation": "Isian tidak sah: pilih organisasi lain.",
}


async def item_action(request: Request) -> Response:
    ctx = ctx_of(request)
    account: Account = request.state.account
    actor = actor_of(account)
    item_id: int = request.path_params["item_id"]
    action: str = request.path_params["action"]
    form = request.state.form
    note = str(form.get("note") or "")[:4000] or None
    now = ctx.now()
    back = RedirectResponse(f"/items/{item_id}", status_code=303)
    done = {
        "verdict": "Putusan tersimpan.",
        "note": "Catatan tersimpan.",
        "counter": "Kontra-narasi ditautkan.",
        "escalate": "Item dieskalasi.",
        "dismiss": "Item diabaikan.",
        "release": "Item dilepaskan.",
        "take": "Item ditugaskan ke Anda.",
    }

    def work(session: Session) -> str:
        if action == "verdict":
            rq.give_verdict(session, item_id, actor, str(form.get("verdict") or ""), note, now=now)
        elif action == "note":
            rq.add_note(session, item_id, actor, note or "", now=now)
        elif action == "counter":
            rq.link_counter_narrative(
                session,
                item_id,
                actor,
                url=str(form.get("url") or ""),
                counter_item_id=params.form_id(form.get("counter_item_id")),
                actors=ctx.actors,
                now=now,
            )
        elif action == "escalate":
            org = params.form_id(form.get("organisation_id"))
            if org is None or org == account.organisation_id:
                raise InvalidValueError("organisation", org, ("another organisation",))
            names = dict(accounts.organisations(session))
            rq.escalate(
                session,
                item_id,
                actor,
                org,
                note,
                now=now,
                channels=ctx.escalation_channels(names[org]) if org in names else (),
            )
        elif action == "dismiss":
            rq.dismiss(session, item_id, actor, note, now=now)
        elif action == "release":
            rq.release(session, item_id, actor, now=now)
        elif action == "take":
            rq.assign(session, item_id, actor, now=now)
        elif action == "assign":
            user_id = params.form_id(form.get("user_id"))
            if user_id is None:
                raise InvalidValueError("assignee", form.get("user_id"), ("a user id",))
            return f"Item ditugaskan ke {rq.assign(session, item_id, actor, user_id, now=now).username}."
        else:
            raise RecordNotFoundError("action", 0)
        return done[action]

    try:
        message = await ctx.run(work)
    except rq.ItemAssignedError as exc:
        flash(
            request,
            f"Item ini ditugaskan ke {exc.owner}; hanya dia atau admin yang dapat bertindak.",
            "error",
        )
        return back
    except rq.ItemLockedError as exc:
        flash(request, f"Item ini sedang ditinjau oleh {exc.holder}.", "error")
        return back
    except assignments.AssignmentRefusedError:
        flash(request, "Hanya admin yang dapat menugaskan item ke pengguna organisasi lain.", "error")
        return back
    except InvalidValueError as exc:
        flash(request, _ERRORS.get(exc.field, "Isian tidak sah."), "error")
        return back
    except RecordNotFoundError as exc:
        if exc.record == "item" and exc.record_id == item_id:
            return _not_found(ctx, request)
        if exc.record == "action":
            return _not_found(ctx, request, "Tindakan")
        flash(request, "Item, pengguna atau organisasi yang dirujuk tidak ditemukan.", "error")
        return back
    flash(request, message)
    if action in ("verdict", "dismiss", "escalate", "release"):
        return RedirectResponse("/queue", status_code=303)
    return back


async def escalation_action(request: Request) -> Response:
    """ "Terima" (acknowledge) or "Tutup" (close, with an optional note) an escalation to my organisation."""
    ctx = ctx_of(request)
    account: Account = request.state.account
    item_id: int = request.path_params["item_id"]
    escalation_id: int = request.path_params["escalation_id"]
    status = ESCALATION_ACTIONS.get(request.path_params["action"])
    if status is None:
        return _not_found(ctx, request, "Tindakan")
    note = str(request.state.form.get("note") or "")[:4000] or None

    def work(session: Session) -> bool:
        found = [e for e in esc.of_item(session, item_id) if e.id == escalation_id]
        if not found:
            return False
        esc.resolve(
            session,
            escalation_id,
            status,
            user=account.username,
            organisation_id=account.organisation_id,
            organisation=account.organisation,
            note=note,
            now=ctx.now(),
        )
        return True

    try:
        if not await ctx.run(work):
            return _not_found(ctx, request, "Eskalasi")
    except esc.NotReceiverError:
        return ctx.render(
            request,
            "error.html",
            {
                "message": "Hanya organisasi penerima yang dapat menerima atau menutup eskalasi ini.",
                "status": 403,
            },
            status_code=403,
        )
    except esc.EscalationStateError as exc:
        state = {"acknowledged": "sudah diterima", "closed": "sudah ditutup"}.get(exc.status, "tidak terbuka")
        flash(request, f"Eskalasi ini {state}.", "error")
        return RedirectResponse(f"/items/{item_id}", status_code=303)
    flash(request, "Eskalasi diterima." if status == "acknowledged" else "Eskalasi ditutup.")
    return RedirectResponse(f"/items/{item_id}", status_code=303)


ROUTES: list[Route] = [
    protected("/queue", checked(queue_page), REVIEW_ROLES),
    protected("/items/{item_id:id}", checked(item_page), VIEW_ROLES),
    protected("/items/{item_id:id}/{action:str}", checked(item_action), REVIEW_ROLES, methods=("POST",)),
    protected(
        "/items/{item_id:id}/escalations/{escalation_id:id}/{action:str}",
        checked(escalation_action),
        REVIEW_ROLES,
        methods=("POST",),
    ),
]
