"""``pantau backfill``: score a past period again with a new model version (resumable), with a progress
bar and a summary.

``--since``/``--until`` take ISO dates or datetimes; a date or a datetime without offset is local time
in the config's timezone. The period is ``[since, until)``: ``--until 2024-11-28`` stops at midnight
starting the 28th. Interrupted (Ctrl-C, a crash, a killed worker), the same command resumes the job.
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress

from pantau.cli.common import handle_errors, prepare_prefect_env, progress_bars
from pantau.domain.errors import ConfigError

console = Console(highlight=False)


def parse_when(value: str, timezone: str, *, option: str) -> datetime:
    """An ISO date or datetime as an aware datetime; dates and naive datetimes are local to ``timezone``."""
    text = value.strip()
    try:
        if len(text) == 10:
            parsed = datetime.combine(date.fromisoformat(text), time.min)
        else:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"{value!r} is not an ISO date (2024-11-01) or datetime (2024-11-01T08:00+07:00)", field=option
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(timezone))


class _BackfillProgress:
    """One bar over the period's items: starts at those already scored by the version."""

    def __init__(self, progress: Progress):
        self.progress = progress
        self.task: Any = None

    def __call__(self, event: str, data: dict[str, Any]) -> None:
        if event == "backfill_started":
            self.task = self.progress.add_task("Scoring items", total=data["total"], completed=data["done"])
        elif event == "classify_started" and self.task is not None:
            # items that arrived in the period since the start: grow the bar's total
            task = self.progress.tasks[self.task]
            missing = data["items"] - (int(task.total or 0) - int(task.completed))
            if missing > 0:
                self.progress.update(self.task, total=int(task.total or 0) + missing)
        elif event == "batch_done" and self.task is not None:
            self.progress.advance(self.task, data.get("scored", data["size"]))


@handle_errors
def backfill(
    model: Path = typer.Option(..., "--model", "-m", help="Model directory of the new model version."),
    since: str = typer.Option(..., "--since", help="Start of the period (inclusive): ISO date or datetime."),
    until: str = typer.Option(..., "--until", help="End of the period (exclusive): ISO date or datetime."),
    config: Path | None = typer.Option(
        None, "--config", "-c", help="Config file (default: ./pantau.yaml or the bundled demo)."
    ),
    db: str | None = typer.Option(None, "--db", help="Database URL (overrides the config)."),
    runner: str = typer.Option(
        "threads", "--runner", help="threads, dask (a local cluster) or tcp://HOST:PORT (a cluster)."
    ),
    batch_size: int | None = typer.Option(
        None, "--batch-size", min=1, max=100_000, help="Items per task (default: the settings' batch_size)."
    ),
    alerts: bool = typer.Option(
        False,
        "--alerts/--no-alerts",
        help="Also tag items, raise alerts and match claims (default: scores only).",
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also show Prefect's logs (INFO)."),
) -> None:
    """Score the items of a past period with a new model version; rerun to resume. Old scores stay."""
    from pantau.settings import load_settings

    if not model.is_dir():
        raise ConfigError(f"model directory {model} does not exist", field="--model")
    settings = load_settings(config, **({"database_url": db} if db else {}))
    start = parse_when(since, settings.timezone, option="--since")
    end = parse_when(until, settings.timezone, option="--until")
    if start >= end:
        raise ConfigError(
            f"--since ({start.isoformat()}) must be before --until ({end.isoformat()})", field="--since"
        )
    prepare_prefect_env(verbose, hide_run_logs=True)  # a failure is raised and reported below
    from flows.backfill import backfill as backfill_flow
    from flows.resources import classifier_for
    from flows.runners import runner_label, task_runner_for

    task_runner = task_runner_for(runner)
    model_dir = str(model.resolve())
    version = classifier_for(model_dir).version_  # fails early (ModelError); the flow reuses it
    console.print(
        f"[bold]Backfill[/bold] of {start.isoformat()} .. {end.isoformat()} (end excluded) "
        f"with model {escape(version)} from {escape(str(model))}",
        soft_wrap=True,
    )
    console.print(
        f"Database: {escape(settings.database_url)}; runner: {runner_label(task_runner)}; "
        f"alerts {'on' if alerts else 'off'}",
        soft_wrap=True,
    )
    with progress_bars(console, _BackfillProgress):
        summary = backfill_flow.with_options(task_runner=task_runner)(
            database_url=settings.database_url,
            config=settings.region_config.model_dump(mode="json"),
            model_dir=model_dir,
            since=start,
            until=end,
            batch_size=batch_size or settings.batch_size,
            raise_alerts=alerts,
        )
    print_summary(summary)


def print_summary(summary: dict[str, Any]) -> None:
    seconds = summary["seconds"]
    rate = summary["scored"] / seconds if seconds > 0 else 0.0
    resumed = " (resumed)" if summary["resumed"] else ""
    console.print(
        f"Job {summary['job_id']}{resumed} {summary['status']}: {summary['done']} of "
        f"{summary['total']} items in the period scored by {escape(summary['model_version'])}; "
        f"{summary['scored']} scored now, {summary['already_done']} already done before; "
        f"{seconds:.1f} s, {rate:.0f} items/s.",
        soft_wrap=True,
    )
    counts = summary.get("counts") or {}
    flags = {k.removeprefix("flag_"): v for k, v in counts.items() if k.startswith("flag_")}
    if flags:
        console.print(
            "Flags by the new model (this job): "
            + ", ".join(f"{k} {v}" for k, v in sorted(flags.items(), key=lambda kv: -kv[1])),
            soft_wrap=True,
        )
    if counts.get("alerts"):
        console.print(f"New alerts: {counts['alerts']}.")
    console.print(
        "Compare versions per item in the scores table (one row per item and model_version); "
        "see docs/operations.md, 'Backfills'.",
        soft_wrap=True,
    )
