"""The claims pages: ``/claims`` (claims filtered by stage, kecamatan, answered or not, and age) and
``/claims/{id}`` (a claim's items over time, its counter-narratives with actor, basis and lag).

Reviewers and admins act on a claim page (CSRF-protected forms, each landing in the review trail):
confirm or reject a counter-narrative link, attach a debunk (a stored item or an http(s) URL), merge
another claim into this one, split chosen items out into a new claim. Analysts only read. A merged
claim's URL redirects to the claim it was merged into. The chart is inline SVG drawn on the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pantau.web import params
from pantau.web.auth import protected
from pantau.web.context import ctx_of
from pantau.web.params import ParamError, checked
from pantau.web.queue import REVIEW_ROLES, VIEW_ROLES, flash, safe_url
from storage import claim_admin
from storage import claims as claim_store
from storage.accounts import Account
from storage.claim_admin import AGE_FILTERS, ANSWERED_FILTERS, ClaimActionError
from storage.errors import InvalidValueError, RecordNotFoundError
from storage.models import Claim, CounterNarrative

PAGE_SIZE = 50
TEXT_CHARS = 160
ACTIONS = ("link", "answer", "merge", "split")

# --- the chart ------------------------------------------------------------------------------------

CHART_WIDTH, CHART_HEIGHT = 640, 170
_LEFT, _RIGHT, _TOP, _BOTTOM = 34, 8, 12, 28
MAX_BARS = 48
BUCKET_HOURS = (1, 3, 6, 12, 24, 168)
BUCKET_NAMES = {1: "jam", 3: "3 jam", 6: "6 jam", 12: "12 jam", 24: "hari", 168: "minggu"}


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class Timeline:
    """Item counts per time bucket, laid out for an SVG of CHART_WIDTH x CHART_HEIGHT."""

    bars: list[Bar]
    bucket: str
    max_count: int
    total: int
    first_label: str
    last_label: str
    answer_x: float | None
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    left: int = _LEFT
    top: int = _TOP
    base_y: int = CHART_HEIGHT - _BOTTOM


def timeline(times: list[datetime], timezone: str, answer_at: datetime | None = None) -> Timeline | None:
    """The claim's items per hour, 3/6/12 hours, day or week (the finest with at most MAX_BARS bars), in
    local time; ``answer_at`` (the first counter-narrative) gives a marker's x position."""
    if not times:
        return None
    zone = ZoneInfo(timezone)
    ordered = sorted(t.astimezone(UTC) for t in times)
    span = (ordered[-1] - ordered[0]).total_seconds() / 3600
    hours = next((h for h in BUCKET_HOURS if span / h < MAX_BARS), BUCKET_HOURS[-1])
    start = ordered[0].astimezone(zone)
    if hours < 24:
        start = start.replace(hour=start.hour - start.hour % hours, minute=0, second=0, microsecond=0)
    else:
        start = start.replace(hour=0, minute=0, second=0, microsecond=0)
    step = timedelta(hours=hours)
    origin = start.astimezone(UTC)
    counts = [0] * (int((ordered[-1] - origin) / step) + 1)
    for t in ordered:
        counts[int((t - origin) / step)] += 1
    plot_w = CHART_WIDTH - _LEFT - _RIGHT
    plot_h = CHART_HEIGHT - _TOP - _BOTTOM
    slot = plot_w / len(counts)
    top = max(counts)
    fmt = "%d-%m %H:%M" if hours < 24 else "%d-%m-%Y"
    bars = []
    for i, count in enumerate(counts):
        height = plot_h * count / top
        label = (origin + i * step).astimezone(zone).strftime(fmt)
        bars.append(
            Bar(
                label=label,
                count=count,
                x=round(_LEFT + i * slot + slot * 0.1, 1),
                y=round(_TOP + plot_h - height, 1),
                width=round(max(1.0, slot * 0.8), 1),
                height=round(height, 1),
            )
        )
    answer_x = None
    if answer_at is not None:
        offset = (answer_at.astimezone(UTC) - origin) / step * slot
        answer_x = round(min(max(_LEFT + offset, _LEFT), _LEFT + plot_w), 1)
    return Timeline(
        bars=bars,
        bucket=BUCKET_NAMES[hours],
        max_count=top,
        total=len(ordered),
        first_label=bars[0].label,
        last_label=bars[-1].label,
        answer_x=answer_x,
    )


# --- pages ----------------------------------------------------------------------------------------


def _error(request: Request, status: int, message: str) -> Response:
    return ctx_of(request).render(
        request, "error.html", {"status": status, "message": message}, status_code=status
    )


async def claims_page(request: Request) -> Response:
    ctx = ctx_of(request)
    q = request.query_params
    try:
        filters: dict[str, Any] = {
            "stage": params.text(q.get("stage"), "stage"),
            "district": params.text(q.get("district"), "district"),
            "answered": params.choice(q.get("answered"), "answered", ANSWERED_FILTERS),
            "age": params.choice(q.get("age"), "age", AGE_FILTERS),
        }
    except ParamError as exc:
        return _error(request, 400, f"Filter tidak sah: {exc.field}: {exc.pesan}")
    page = params.page_number(q)

    def work(session: Session) -> claim_admin.ClaimPage:
        return claim_admin.list_claims(
            session, now=ctx.now(), **filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )

    result = await ctx.run(work)
    shown = {k: v for k, v in filters.items() if v}
    return ctx.render(
        request,
        "claims.html",
        {
            "claims": result.rows,
            "total": result.total,
            "page": page,
            "pages": max(1, -(-result.total // PAGE_SIZE)),
            "filters": shown,
            "base_query": urlencode(shown),
            "text_chars": TEXT_CHARS,
        },
    )


async def _render_claim(
    request: Request, claim_id: int, *, error: str | None = None, status: int = 200
) -> Response:
    ctx = ctx_of(request)
    account: Account = request.state.account

    def work(session: Session) -> tuple[int, claim_admin.ClaimDetail | None]:
        target = claim_admin.resolve_claim(session, claim_id)
        return target, (claim_admin.claim_detail(session, claim_id) if target == claim_id else None)

    try:
        target, detail = await ctx.run(work)
    except RecordNotFoundError:
        return _error(request, 404, "Klaim tidak ditemukan.")
    if detail is None:
        if error:
            return _error(request, status, error)
        return RedirectResponse(f"/claims/{target}", status_code=302)
    outcome = detail.outcome
    chart = timeline(
        [m.time for m in detail.members], ctx.timezone, outcome.first_answer_at if outcome else None
    )
    flash_message = {"message": error, "kind": "error"} if error else request.session.pop("flash", None)
    return ctx.render(
        request,
        "claim.html",
        {
            "d": detail,
            "claim": detail.claim,
            "outcome": outcome,
            "chart": chart,
            "can_act": account.role in REVIEW_ROLES,
            "safe_url": safe_url,
            "flash": flash_message,
        },
        status_code=status,
    )


async def claim_page(request: Request) -> Response:
    return await _render_claim(request, request.path_params["claim_id"])


# --- actions --------------------------------------------------------------------------------------


class ActionInputError(ValueError):
    """A claim form filled in wrongly; the message is shown to the reviewer."""


def _action_message(exc: ClaimActionError, action: str) -> str:
    if exc.reason == "same_claim":
        return "Klaim tidak dapat digabung dengan dirinya sendiri."
    if exc.reason == "target_merged":
        return f"Klaim #{exc.claim_id} sudah digabung ke klaim #{exc.detail}; buka klaim itu."
    if exc.reason == "source_merged":
        return f"Klaim #{exc.claim_id} sudah digabung ke klaim #{exc.detail}."
    if exc.reason == "no_items":
        if action == "split":
            return "Pilih sedikitnya satu item untuk dipisahkan."
        return f"Klaim #{exc.claim_id} tidak punya item untuk digabung."
    if exc.reason == "all_items":
        return "Tidak dapat memisahkan semua item; sisakan sedikitnya satu item di klaim ini."
    if exc.reason == "not_member":
        return "Item yang dipilih bukan anggota klaim ini: " + ", ".join(f"#{i}" for i in exc.detail or [])
    if exc.reason == "own_member":
        return f"Item #{exc.detail} adalah anggota klaim ini, bukan kontra-narasinya."
    return "Tindakan ini tidak dapat dilakukan."


async def claim_action(request: Request) -> Response:
    ctx = ctx_of(request)
    account: Account = request.state.account
    claim_id: int = request.path_params["claim_id"]
    action: str = request.path_params["action"]
    if action not in ACTIONS:
        return _error(request, 404, "Halaman tidak ditemukan.")
    form = request.state.form
    now = ctx.now()
    user, org = account.username, account.organisation
    note = str(form.get("note") or "").strip()[:2000] or None

    def work(session: Session) -> tuple[str, int]:
        claim = session.get(Claim, claim_id)
        if claim is None:
            raise RecordNotFoundError("claim", claim_id)
        if claim.merged_into_id is not None:
            raise ClaimActionError("target_merged", claim_id, claim.merged_into_id)
        category = claim_admin.organisation_category(session, org)
        if action == "link":
            decision = str(form.get("decision") or "")
            link_id = params.form_id(form.get("link_id"))
            link = session.get(CounterNarrative, link_id) if link_id is not None else None
            if link is None or link.claim_id != claim_id:
                raise ActionInputError("Tautan kontra-narasi itu tidak ada pada klaim ini.")
            if decision not in claim_store.LINK_DECISIONS:
                raise ActionInputError("Pilih konfirmasi atau tolak.")
            if link.item_id is not None:
                credit, credit_category, _ = claim_store.answer_credit(
                    session, link.item_id, org, category, ctx.actors
                )
                claim_store.review_link(
                    session,
                    claim_id=claim_id,
                    item_id=link.item_id,
                    decision=decision,
                    user=user,
                    organisation=org,
                    note=note,
                    actor=credit,
                    actor_category=credit_category,
                    now=now,
                )
            else:
                claim_admin.review_url_link(
                    session,
                    claim_id=claim_id,
                    link_id=link.id,
                    decision=decision,
                    user=user,
                    organisation=org,
                    now=now,
                )
            return ("Tautan dikonfirmasi." if decision == "confirm" else "Tautan ditolak."), claim_id
        if action == "answer":
            raw_item, raw_url = str(form.get("counter_item_id") or "").strip(), str(form.get("url") or "")
            item_id, url = params.form_id(raw_item), safe_url(raw_url)
            if not raw_item and not raw_url.strip():
                raise ActionInputError("Isi nomor item tersimpan atau tautan kontra-narasi.")
            if raw_item and item_id is None:
                raise ActionInputError("Nomor item harus berupa angka.")
            if raw_url.strip() and (url is None or len(url) > 2000):
                raise ActionInputError("Tautan kontra-narasi harus berupa alamat http(s) yang lengkap.")
            if item_id is not None:
                claim_admin.check_answer_item(session, claim_id, item_id)
                credit, credit_category, basis = claim_store.answer_credit(
                    session, item_id, org, category, ctx.actors
                )
                claim_store.review_link(
                    session,
                    claim_id=claim_id,
                    item_id=item_id,
                    decision="confirm",
                    user=user,
                    organisation=org,
                    note=note,
                    actor=credit,
                    actor_category=credit_category,
                    attribution=basis,
                    now=now,
                )
            if url is not None:
                claim_store.record_url_answer(
                    session,
                    claim_id=claim_id,
                    url=url,
                    user=user,
                    organisation=org,
                    category=category,
                    note=note,
                    now=now,
                )
            return "Kontra-narasi dicatat.", claim_id
        if action == "merge":
            other = params.form_id(form.get("other_claim_id"))
            if other is None:
                raise ActionInputError("Isi nomor klaim yang akan digabung ke klaim ini.")
            result = claim_admin.merge_claims(
                session, source_id=other, target_id=claim_id, user=user, organisation=org, note=note, now=now
            )
            return (
                f"Klaim #{other} digabung ke klaim ini ({result.items_moved} item, "
                f"{result.links_moved} kontra-narasi dipindah)."
            ), claim_id
        chosen = [params.form_id(v) for v in form.getlist("item_id")]
        if any(i is None for i in chosen):
            raise ActionInputError("Pilihan item tidak sah.")
        new_id = claim_admin.split_claim(
            session,
            claim_id=claim_id,
            item_ids=[i for i in chosen if i],
            user=user,
            organisation=org,
            note=note,
            now=now,
        )
        return f"{len(chosen)} item dipisahkan dari klaim #{claim_id} ke klaim baru ini.", new_id

    try:
        message, go_to = await ctx.run(work)
    except ActionInputError as exc:
        return await _render_claim(request, claim_id, error=str(exc), status=400)
    except ClaimActionError as exc:
        return await _render_claim(request, claim_id, error=_action_message(exc, action), status=400)
    except InvalidValueError:
        return await _render_claim(request, claim_id, error="Isian tidak sah.", status=400)
    except RecordNotFoundError as exc:
        if exc.record == "claim" and exc.record_id == claim_id:
            return _error(request, 404, "Klaim tidak ditemukan.")
        what = {"claim": "Klaim", "item": "Item"}.get(exc.record, "Data")
        return await _render_claim(
            request, claim_id, error=f"{what} #{exc.record_id} tidak ditemukan.", status=400
        )
    flash(request, message)
    return RedirectResponse(f"/claims/{go_to}", status_code=303)


ROUTES: list[Route] = [
    protected("/claims", checked(claims_page), VIEW_ROLES),
    protected("/claims/{claim_id:id}", checked(claim_page), VIEW_ROLES),
    protected("/claims/{claim_id:id}/{action:str}", checked(claim_action), REVIEW_ROLES, methods=("POST",)),
]
