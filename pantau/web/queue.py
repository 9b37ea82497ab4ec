"""The reviewers' pages: the review queue, one item's full picture, and the actions on it.

Opening an item as a reviewer takes its lock (15 minutes, renewed by every action), so a second
reviewer sees who is on it and gets no action forms. Actions: verdict, note, counter-narrative link,
escalation to another organisation, dismissal, releasing the lock. Each lands in the review trail.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pantau.domain.signals import SIGNALS
from pantau.web.auth import protected
from pantau.web.context import ctx_of
from storage import accounts
from storage import review_queue as rq
from storage.accounts import Account
from storage.errors import InvalidValueError, RecordNotFoundError

PAGE_SIZE = 50
REVIEW_ROLES = ("admin", "reviewer")
VIEW_ROLES = ("admin", "reviewer", "analyst")


def actor_of(account: Account) -> rq.Actor:
    return rq.Actor(user_id=account.id, username=account.username, organisation=account.organisation)


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an http(s) URL (fit for an href), else None: scraped data may hold javascript:."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def _choice(value: str | None, allowed: list[str] | tuple[str, ...]) -> str | None:
    return value if value in allowed else None


def text_param(value: str | None, max_chars: int = 120) -> str | None:
    """A free-text filter value, trimmed; empty or over-long values mean no filter."""
    text = (value or "").strip()
    return text if text and len(text) <= max_chars else None


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return max(1, min(int(raw), 10_000)) if raw.isdigit() else 1


def flash(request: Request, message: str, kind: str = "ok") -> None:
    request.session["flash"] = {"message": message, "kind": kind}


async def queue_page(request: Request) -> Response:
    ctx = ctx_of(request)
    account: Account = request.state.account
    q = request.query_params
    filters: dict[str, Any] = {
        "signal": _choice(q.get("signal"), SIGNALS),
        "stage": text_param(q.get("stage")),
        "district": text_param(q.get("district")),
        "escalated_to": account.organisation_id if q.get("escalated") == "1" else None,
    }
    page = _page_number(request)

    def work(session: Session) -> tuple[list[rq.QueueEntry], int]:
        entries = rq.review_queue(session, **filters, organisation_id=account.organisation_id,
                                  limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, now=ctx.now())
        return entries, rq.queue_size(session, **filters)

    entries, total = await ctx.run(work)
    shown = {k: v for k, v in {**filters, "escalated": q.get("escalated") == "1"}.items() if v}
    shown.pop("escalated_to", None)
    base_query = urlencode({k: ("1" if v is True else v) for k, v in shown.items()})
    return ctx.render(request, "queue.html", {
        "entries": entries, "total": total, "page": page, "pages": max(1, -(-total // PAGE_SIZE)),
        "filters": shown, "base_query": base_query, "signals": SIGNALS,
        "flash": request.session.pop("flash", None),
    })


async def item_page(request: Request) -> Response:
    ctx = ctx_of(request)
    account: Account = request.state.account
    item_id: int = request.path_params["item_id"]
    can_act = account.role in REVIEW_ROLES

    def work(session: Session) -> tuple[rq.ItemDetail, list[tuple[int, str]], str | None]:
        lock_error = None
        if can_act:
            try:
                rq.acquire_lock(session, item_id, actor_of(account), now=ctx.now())
            except rq.ItemLockedError as exc:
                lock_error = exc.holder
            except RecordNotFoundError:
                pass
        detail = rq.item_detail(session, item_id, now=ctx.now())
        orgs = [(i, n) for i, n in accounts.organisations(session) if i != account.organisation_id]
        return detail, orgs, lock_error

    try:
        detail, orgs, locked_by = await ctx.run(work)
    except RecordNotFoundError:
        return ctx.render(request, "error.html", {"message": "Item tidak ditemukan.", "status": 404},
                          status_code=404)
    return ctx.render(request, "item.html", {
        "d": detail, "item": detail.item, "orgs": orgs, "locked_by": locked_by,
        "can_act": can_act and locked_by is None, "verdicts": rq.VERDICTS, "safe_url": safe_url,
        "flash": request.session.pop("flash", None),
    })


_ERRORS = {
    "verdict": "Pilih salah satu putusan.",
    "note": "Catatan tidak boleh kosong.",
    "counter-narrative URL": "Tautan kontra-narasi harus berupa alamat http(s) yang lengkap.",
    "counter-narrative": "Isi tautan kontra-narasi atau nomor item yang tersimpan.",
}


def _form_int(value: object) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


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
    done = {"verdict": "Putusan tersimpan.", "note": "Catatan tersimpan.",
            "counter": "Kontra-narasi ditautkan.", "escalate": "Item dieskalasi.",
            "dismiss": "Item diabaikan.", "release": "Kunci dilepas."}

    def work(session: Session) -> None:
        if action == "verdict":
            rq.give_verdict(session, item_id, actor, str(form.get("verdict") or ""), note, now=now)
        elif action == "note":
            rq.add_note(session, item_id, actor, note or "", now=now)
        elif action == "counter":
            rq.link_counter_narrative(session, item_id, actor, url=str(form.get("url") or ""),
                                      counter_item_id=_form_int(form.get("counter_item_id")), now=now)
        elif action == "escalate":
            org = _form_int(form.get("organisation_id"))
            if org is None or org == account.organisation_id:
                raise InvalidValueError("organisation", org, ("another organisation",))
            rq.escalate(session, item_id, actor, org, note, now=now)
        elif action == "dismiss":
            rq.dismiss(session, item_id, actor, note, now=now)
        elif action == "release":
            rq.release_lock(session, item_id, actor)
        else:
            raise RecordNotFoundError("action", 0)

    try:
        await ctx.run(work)
    except rq.ItemLockedError as exc:
        flash(request, f"Item ini sedang ditinjau oleh {exc.holder}.", "error")
        return back
    except InvalidValueError as exc:
        flash(request, _ERRORS.get(exc.field, "Isian tidak sah: pilih organisasi lain."), "error")
        return back
    except RecordNotFoundError as exc:
        if exc.record == "item" and exc.record_id == item_id:
            return ctx.render(request, "error.html", {"message": "Item tidak ditemukan.", "status": 404},
                              status_code=404)
        flash(request, "Item atau organisasi yang dirujuk tidak ditemukan.", "error")
        return back
    flash(request, done[action])
    if action in ("verdict", "dismiss", "escalate", "release"):
        return RedirectResponse("/queue", status_code=303)
    return back


ROUTES: list[Route] = [
    protected("/queue", queue_page, REVIEW_ROLES),
    protected("/items/{item_id:int}", item_page, VIEW_ROLES),
    protected("/items/{item_id:int}/{action:str}", item_action, REVIEW_ROLES, methods=("POST",)),
]
