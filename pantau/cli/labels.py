"""``pantau labels export``: reviewers' verdicts as labelled JSONL (``text`` + 0/1 signal fields)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from pantau.cli.common import handle_errors

app = typer.Typer(help="Training labels from the review trail.", no_args_is_help=True)


@app.command("export")
@handle_errors
def export(
    out: Path = typer.Option(..., "--out", "-o", help="Output JSONL file ('-' for stdout)."),
    config: Path | None = typer.Option(None, "--config", "-c", help="Config file."),
    db: str | None = typer.Option(None, "--db", help="Database URL (overrides the config)."),
) -> None:
    """Write one labelled line per reviewed item (its latest verdict): usable by `pantau eval --data`."""
    from sqlalchemy.orm import Session

    from flows.resources import engine_for
    from pantau.settings import load_settings
    from storage.review_labels import verdict_labels

    settings = load_settings(config, **({"database_url": db} if db else {}))
    count = 0
    with Session(engine_for(settings.database_url)) as session:
        handle = typer.get_text_stream("stdout") if str(out) == "-" else open(out, "w", encoding="utf-8")
        try:
            for row in verdict_labels(session):
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
        finally:
            if handle is not typer.get_text_stream("stdout"):
                handle.close()
    if str(out) != "-":
        Console(stderr=True, highlight=False).print(f"Wrote {count} labelled items to {out}", markup=False)
