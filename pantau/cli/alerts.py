"""``pantau alerts``: list stored alerts with filters, as a table or as JSON lines.

When ``--limit`` cuts the list, a warning on stderr says how many matched (never in the JSON on stdout).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pantau.cli.common import handle_errors
from pantau.domain.errors import UnusableInputError
from pantau.domain.signals import SIGNALS

_RELATIVE = re.compile(r"^(\d+)([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


def parse_since(value: str | None, now: datetime | None = None) -> datetime | None:
    """'7d', '12h', '30m', '2w' (relative to now) or an ISO 8601 date/time (naive = UTC)."""
    if not value:
        return None
    now = now or datetime.now(UTC)
    m = _RELATIVE.match(value.strip())
    if m:
        return now - timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise UnusableInputError(
            f"--since {value!r}: use an ISO date like 2024-11-20 or a span like 7d, 12h"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@handle_errors
def alerts(
    signal: str | None = typer.Option(None, "--signal", help=f"One of: {', '.join(SIGNALS)}."),
    stage: str | None = typer.Option(None, "--stage", help="Election stage, e.g. voting_day."),
    district: str | None = typer.Option(None, "--district", help="Kecamatan, e.g. Omben."),
    since: str | None = typer.Option(None, "--since", help="ISO date/time, or 7d, 12h, 30m."),
    status: str | None = typer.Option(None, "--status", help="open, acknowledged, resolved, dismissed."),
    limit: int = typer.Option(50, "--limit", min=1, max=100_000),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table or json (one per line)."),
    config: Path | None = typer.Option(None, "--config", "-c", help="Config file."),
    db: str | None = typer.Option(None, "--db", help="Database URL (overrides the config)."),
) -> None:
    """List alerts, most severe and newest first."""
    from sqlalchemy.orm import Session

    from flows.resources import engine_for
    from pantau.settings import load_settings
    from storage.alert_search import AlertFilters, count_alerts
    from storage.repository import query_alerts

    if signal and signal not in SIGNALS:
        raise UnusableInputError(f"--signal {signal!r}: known signals are {', '.join(SIGNALS)}")
    statuses = ("open", "acknowledged", "resolved", "dismissed")
    if status and status not in statuses:
        raise UnusableInputError(f"--status {status!r}: use one of {', '.join(statuses)}")
    settings = load_settings(config, **({"database_url": db} if db else {}))
    start = parse_since(since)
    with Session(engine_for(settings.database_url)) as session:
        rows = query_alerts(
            session, signal=signal, stage=stage, district=district, since=start, status=status, limit=limit
        )
        total = (
            len(rows)
            if len(rows) < limit
            else count_alerts(
                session,
                AlertFilters(signal=signal, stage=stage, district=district, status=status, since=start),
            )
        )
    if total > len(rows):  # on stderr, so the JSON lines on stdout stay clean
        typer.echo(f"warning: showing {len(rows)} of {total} alerts; raise --limit to see more", err=True)
    if fmt == OutputFormat.json:
        for row in rows:
            typer.echo(json.dumps(asdict(row), ensure_ascii=False, default=str))
        return
    console = Console(highlight=False)
    if not rows:
        console.print("No alerts match.")
        return
    table = Table(title=f"{len(rows)} alerts", title_justify="left")
    for col in ("id", "created", "severity", "status", "signal", "stage", "district", "source", "item"):
        table.add_column(col)
    for a in rows:
        item = " ".join((a.item_title or a.item_snippet or a.reason or "").split())
        table.add_row(
            str(a.id),
            a.created_at.strftime("%Y-%m-%d %H:%M"),
            a.severity,
            a.status,
            a.signal or a.kind,
            a.stage or "-",
            a.district or "-",
            escape(a.source_name or "-"),
            escape(item[:80]),
        )
    console.print(table)
