"""``pantau notify``: send pending alert notifications now (Telegram bot and/or webhook) and print counts."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from pantau.cli.common import err_console, handle_errors


@handle_errors
def notify(
    config: Path | None = typer.Option(None, "--config", "-c", help="Config file."),
    db: str | None = typer.Option(None, "--db", help="Database URL (overrides the config)."),
    no_wait: bool = typer.Option(False, "--no-wait", help="Do not wait for the batch window."),
    as_json: bool = typer.Option(False, "--json", help="Print the counts as one JSON object."),
) -> None:
    """Send open alerts at or above notifications.min_severity to the configured channels.

    The Telegram token is read from $PANTAU_TELEGRAM_BOT_TOKEN (or telegram.token_env). Exits 1 when a
    channel refused a message (bad token, unknown chat), so a cron job notices.
    """
    from flows.notify import dispatch
    from pantau.settings import load_settings

    settings = load_settings(config, **({"database_url": db} if db else {}))
    counts = dispatch(settings.database_url, settings, wait_for_window=not no_wait)
    if as_json:
        typer.echo(json.dumps(counts, default=str))
    else:
        typer.echo(
            f"queued {counts['queued']}, sent {counts['sent']} alerts in {counts['messages']} "
            f"messages, retry later {counts['retry_later']}, failed {counts['failed']}, "
            f"deferred {counts['deferred']}"
        )
        for channel, reason in counts["skipped"].items():
            typer.echo(f"skipped {channel}: {reason}")
    for error in counts["errors"]:
        err_console.print(f"pantau: notify: {error}", markup=False, soft_wrap=True)
    if counts["rejected"]:
        raise typer.Exit(1)
