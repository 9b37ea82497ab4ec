"""``pantau serve``: monitor unattended, as often as the election stage asks, until stopped."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.markup import escape

from pantau.cli.common import fail, handle_errors, prepare_prefect_env
from pantau.domain.durations import format_duration

console = Console(highlight=False)


@handle_errors
def serve(
    config: Path | None = typer.Option(
        None, "--config", "-c", help="Config file (default: ./pantau.yaml or the bundled demo)."
    ),
    db: str | None = typer.Option(None, "--db", help="Database URL (overrides the config)."),
    max_runs: int | None = typer.Option(None, "--max-runs", min=1, help="Stop after this many runs."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show Prefect's logs."),
) -> None:
    """Run the monitoring flow on the stage calendar (schedule.stage_intervals) as a Prefect deployment.

    Uses the Prefect server at $PREFECT_API_URL, or starts a local one. The config file is reread
    before every run: stage changes and edits need no restart. Stop with Ctrl-C.
    """
    from pantau.settings import load_settings

    overrides = {"database_url": db} if db else {}
    first = load_settings(config, **overrides)  # fail fast on a broken config
    prepare_prefect_env(verbose)
    from flows.serve import MonitorService, RunPlan, ensure_prefect_api

    def load_plan() -> RunPlan:
        settings = load_settings(config, **overrides)
        return RunPlan(
            database_url=settings.database_url,
            config=settings.region_config.model_dump(mode="json"),
            model_dir=str(settings.model_dir) if settings.model_dir else None,
            batch_size=settings.batch_size,
        )

    tz = ZoneInfo(first.timezone)
    console.print(
        f"[bold]Pantau[/bold] serving [bold]{escape(first.region)}[/bold] from "
        f"{first.config_file}; database {first.database_url}"
    )
    server = ensure_prefect_api()
    if server is not None:
        console.print(
            f"Started a local Prefect server at {server.api_url} (set PREFECT_API_URL to use your own)."
        )
    service = MonitorService(load_plan, max_runs=max_runs, on_event=_Printer(tz))
    try:
        asyncio.run(service.run())
    except KeyboardInterrupt:
        console.print("Stopped.")
    except OSError as exc:
        fail(f"cannot reach the Prefect API: {exc}")
    finally:
        if server is not None:
            server.stop()
    runs = service.log.runs
    bad = sum(1 for r in runs if r.state != "COMPLETED")
    console.print(f"{len(runs)} run(s), {bad} not completed.")


class _Printer:
    """One line per service event, times in the region's time zone."""

    def __init__(self, tz: ZoneInfo):
        self.tz = tz

    def __call__(self, event: str, data: dict[str, Any]) -> None:
        if event == "deployment":
            console.print(f"Deployment {escape(data['name'])} registered.")
        elif event == "run_started":
            console.print(
                f"{self._t(data['as_of'])} run started (stage {escape(str(data['stage']))}, "
                f"every {format_duration(data['interval'])})"
            )
        elif event == "run_finished":
            colour = "green" if data["state"] == "COMPLETED" else "red"
            message = f": {escape(data['message'] or '')}" if data["state"] != "COMPLETED" else ""
            state = f"[{colour}]{data['state'].lower()}[/{colour}]"
            console.print(f"{self._t(data['as_of'])} run {state}{message}")
        elif event == "config_error":
            console.print(
                "[red]config not reloaded, keeping the last good one:[/red] " + escape(data["error"])
            )

    def _t(self, when: datetime) -> str:
        return when.astimezone(self.tz).strftime("%Y-%m-%d %H:%M %Z")
