"""``pantau serve``: monitor unattended on the election calendar (Prefect schedules per stage) until
stopped; SIGTERM or SIGINT stop it cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
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
FORCED_EXIT = 130  # a second signal while stopping: leave at once


@handle_errors
def serve(
    config: Path | None = typer.Option(
        None, "--config", "-c", help="Config file (default: ./pantau.yaml or the bundled demo)."
    ),
    db: str | None = typer.Option(None, "--db", help="Database URL (overrides the config)."),
    max_runs: int | None = typer.Option(
        None, "--max-runs", min=1, help="Stop after this many finished runs."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show Prefect's logs."),
) -> None:
    """Serve the monitoring flow as a Prefect deployment with one schedule per election stage.

    Uses the Prefect server at $PREFECT_API_URL, or starts `prefect server start` locally (its UI
    shows the schedules and upcoming runs). The config file is reread every few seconds: calendar and
    interval edits update the schedules without a restart. SIGTERM or Ctrl-C stop it: a run in
    progress is cancelled (nothing is left half-written) and the command exits 0.
    """
    from pantau.settings import load_settings

    overrides = {"database_url": db} if db else {}
    first = load_settings(config, **overrides)  # fail fast on a broken config
    prepare_prefect_env(verbose)
    from flows.prefect_server import LocalPrefectServer, PrefectServerError, prefect_api_configured
    from flows.serve import MonitorService, RunPlan

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
    service = MonitorService(load_plan, max_runs=max_runs, on_event=_Printer(tz))
    stopper = _Stopper(service)
    server = None
    with stopper.installed():
        if not prefect_api_configured():
            server = LocalPrefectServer()
            console.print("Starting a local Prefect server (set PREFECT_API_URL to use your own) ...")
            try:
                server.start()
            except PrefectServerError as exc:
                fail(str(exc))
            os.environ["PREFECT_API_URL"] = server.api_url  # the runs' processes inherit it
            console.print(f"Prefect UI: {server.ui_url} (schedules and upcoming runs under Deployments)")
        try:
            if not stopper.signalled:
                with _api_settings(server):
                    asyncio.run(service.run())
        except OSError as exc:
            fail(f"cannot reach the Prefect API: {exc}")
        finally:
            if server is not None:
                server.stop()
    runs = [r for r in service.log.runs if r.state not in ("PENDING", "RUNNING")]
    bad = sum(1 for r in runs if r.state != "COMPLETED")
    partial = sum(1 for r in runs if r.state == "COMPLETED" and r.state_name not in (None, "Completed"))
    extra = f", {partial} partial" if partial else ""
    if stopper.signalled:
        console.print(f"Stopped by {stopper.signalled}.")
    console.print(f"{len(runs)} run(s), {bad} not completed{extra}.")


def _api_settings(server: Any) -> Any:
    """Point this process's Prefect client at the server started here. Prefect reads its settings
    once, before the server existed, so the exported ``PREFECT_API_URL`` alone reaches only the child
    processes: the service would talk to a temporary in-process server while the runs talk to this one
    (and lose their deployment concurrency slot)."""
    if server is None:
        return contextlib.nullcontext()
    from prefect.settings import PREFECT_API_URL, temporary_settings

    return temporary_settings({PREFECT_API_URL: server.api_url})


class _Stopper:
    """SIGTERM/SIGINT handlers: the first asks the service to stop, a second one leaves at once."""

    def __init__(self, service: Any):
        self.service = service
        self.signalled: str | None = None
        self._previous: dict[int, Any] = {}

    def __call__(self, signum: int, frame: Any) -> None:
        name = signal.Signals(signum).name
        if self.signalled:
            console.print(f"{name} again: leaving without waiting.")
            os._exit(FORCED_EXIT)
        self.signalled = name
        console.print(f"{name}: stopping (a run in progress is cancelled) ...")
        self.service.request_stop()

    def installed(self):
        stopper = self

        class _Installed:
            def __enter__(self_inner):
                for signum in (signal.SIGTERM, signal.SIGINT):
                    try:
                        stopper._previous[signum] = signal.signal(signum, stopper)
                    except ValueError:  # not the main thread (e.g. a test runner's worker)
                        pass
                return stopper

            def __exit__(self_inner, *exc: Any) -> None:
                for signum, handler in stopper._previous.items():
                    signal.signal(signum, handler)

        return _Installed()


class _Printer:
    """One line per service event, times in the region's time zone."""

    def __init__(self, tz: ZoneInfo):
        self.tz = tz

    def __call__(self, event: str, data: dict[str, Any]) -> None:
        if event == "deployment":
            how = "one schedule per stage" if data.get("scheduled", True) else "inactive: simulated clock"
            console.print(
                f"Deployment {escape(data['name'])} registered ({data.get('schedules', 0)} schedules, {how})."
            )
        elif event == "run_started":
            console.print(
                f"{self._t(data['as_of'])} run started (stage {escape(str(data['stage']))}, "
                f"every {format_duration(data['interval'])})"
            )
        elif event == "run_finished":
            name = data.get("state_name")
            if data["state"] == "COMPLETED" and name in (None, "Completed"):
                console.print(f"{self._t(data['as_of'])} run [green]completed[/green]")
            else:
                label = escape((name or data["state"]).lower())
                message = f": {escape(data['message'] or '')}" if data.get("message") else ""
                console.print(f"{self._t(data['as_of'])} run [red]{label}[/red]{message}")
        elif event in ("next_run", "schedule_updated"):
            prefix = "Schedule updated from the config. " if event == "schedule_updated" else ""
            retry = " (a retry)" if data.get("retry") else ""
            at = self._t(data["at"]) if data.get("at") else "none"
            console.print(
                f"{prefix}Stage in force: {escape(str(data['stage']))} (every "
                f"{format_duration(data['interval'])}); next run {at}{retry}"
            )
        elif event == "config_error":
            console.print(
                "[red]config not reloaded, keeping the last good one:[/red] " + escape(data["error"])
            )

    def _t(self, when: datetime) -> str:
        return when.astimezone(self.tz).strftime("%Y-%m-%d %H:%M %Z")
