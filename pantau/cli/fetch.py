"""``pantau fetch KIND LOCATION``: run one source once and print what Pantau extracts, storing nothing."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console

from pantau.cli.common import EXIT_FAILURE, handle_errors


@handle_errors
def fetch(
    kind: str = typer.Argument(..., help="Source kind, e.g. rss, social_export."),
    location: str = typer.Argument(..., help="URL or file path."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write JSONL here instead of stdout."),
) -> None:
    """Extract items from one source (URL or file) as JSON lines, without storing anything."""
    from sources import fetch_streaming

    sink = output.open("w", encoding="utf-8") if output else sys.stdout

    def write(item) -> None:  # noqa: ANN001 - a CollectedItem
        sink.write(json.dumps(item.to_json(), ensure_ascii=False) + "\n")

    try:  # items are written as they are read: memory does not grow with an export
        result = fetch_streaming(kind, location, write)
    finally:
        if output:
            sink.close()
    err = Console(stderr=True, highlight=False)
    skipped = result.skip_counts()
    if skipped:
        err.print("skipped: " + ", ".join(f"{k} {v}" for k, v in skipped.items()), markup=False)
    if result.error:
        err.print(f"pantau: error: {result.error}", markup=False)
        raise typer.Exit(EXIT_FAILURE)
