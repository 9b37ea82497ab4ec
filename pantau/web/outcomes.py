"""The outcome page (``/outcomes``): what the collaboration achieved, from the claims work's measures
(``pantau.domain.outcomes``): claims per election stage, how many were answered by a counter-narrative,
how fast, whether they kept spreading, and each actor's part, with the basis each answer is credited on
(``pantau.reporting.basis``). Filters: ``stage``, ``since``, ``until``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pantau.domain.outcomes import by_actor, by_stage, claim_outcomes, group_outcome
from pantau.reporting.basis import actor_bases, claim_bases
from pantau.web.analyst import ANALYST_ROLES, parse_filters
from pantau.web.auth import protected
from pantau.web.context import ctx_of
from pantau.web.params import ParamError
from storage.outcomes_query import load_outcome_records

MAX_CLAIMS_SHOWN = 50


async def outcomes_page(request: Request) -> Response:
    ctx = ctx_of(request)
    try:
        filters = parse_filters(request.query_params, ctx.timezone)
    except ParamError as exc:
        return ctx.render(
            request,
            "error.html",
            {"status": 400, "message": f"Filter tidak sah: {exc.field}: {exc.pesan}"},
            status_code=400,
        )

    def work(session: Session) -> dict[str, Any]:
        claims, answers = load_outcome_records(
            session, stage=filters.stage, since=filters.since, until=filters.until
        )
        outcomes = claim_outcomes(claims, answers)
        shown = sorted(outcomes, key=lambda o: o.first_seen_at, reverse=True)[:MAX_CLAIMS_SHOWN]
        return {
            "total": group_outcome("all", outcomes),
            "stages": by_stage(outcomes, ctx.stage_order),
            "actors": by_actor(outcomes, answers),
            "actor_bases": actor_bases(outcomes, answers),
            "claims": shown,
            "bases": claim_bases(shown, answers),
        }

    data = await ctx.run(work)
    shown = {k: v for k in ("stage", "since", "until") if (v := request.query_params.get(k, "").strip())}
    return ctx.render(request, "outcomes.html", data | {"filters": shown})


ROUTES: list[Route] = [protected("/outcomes", outcomes_page, ANALYST_ROLES)]
