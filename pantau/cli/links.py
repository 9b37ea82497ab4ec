"""``pantau link confirm|reject CLAIM_ID ITEM_ID``: a reviewer's word on a counter-narrative link.

Confirming marks the link confirmed (creating it, as a reviewer's link, if matching missed it);
rejecting keeps it out of the outcome measures and out of automatic linking. Either way a Review row
(append-only: who, which organisation, when, why) is written.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from pantau.cli.common import handle_errors


class Decision(StrEnum):
    confirm = "confirm"
    reject = "reject"


@handle_errors
def link(
    decision: Decision = typer.Argument(..., help="confirm or reject."),
    claim_id: int = typer.Argument(..., help="The claim's id (see `pantau report`, claims.csv)."),
    item_id: int = typer.Argument(..., help="The counter-narrative item's id."),
    user: str = typer.Option(..., "--user", help="Who decides (recorded in the review)."),
    org: str | None = typer.Option(None, "--org", help="The reviewer's organisation."),
    note: str | None = typer.Option(None, "--note", help="Why (recorded in the review)."),
    config: Path | None = typer.Option(None, "--config", "-c", help="Config file."),
    db: str | None = typer.Option(None, "--db", help="Database URL (overrides the config)."),
) -> None:
    """Confirm or reject that a counter-narrative item answers a claim."""
    from sqlalchemy.orm import Session

    from flows.resources import engine_for
    from pantau.domain.outcomes import attribute
    from pantau.settings import load_settings
    from storage import claims as store

    settings = load_settings(config, **({"database_url": db} if db else {}))
    with Session(engine_for(settings.database_url)) as session, session.begin():
        source_actor, mentioned = store.source_actor_of_item(session, item_id)
        found = attribute(source_actor, mentioned, settings.actors)
        row = store.review_link(
            session,
            claim_id=claim_id,
            item_id=item_id,
            decision=decision.value,
            user=user,
            organisation=org,
            note=note,
            actor=found.actor,
            actor_category=found.category,
            attribution=found.basis,
        )
        state = "confirmed" if row.confirmed else "rejected"
        who = row.actor or "an unattributed source"
    typer.echo(
        f"claim {claim_id} <- item {item_id} ({who}): {state} by {user}" + (f" ({org})" if org else "")
    )
