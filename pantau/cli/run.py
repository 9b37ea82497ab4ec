"""``pantau run``: one monitoring cycle with a progress display and a summary that says what next.

Exit status: 0 every source and step ok; 1 the run completed but a source failed (or a later step:
reviewers' links, claim matching, alert rules); 2 bad usage or config. ``--quiet`` prints only the
errors (stderr) and the one-line run summary; ``--verbose`` adds Prefect's own logs at INFO, which
are otherwise kept off the console (failures are in the summary).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from pantau.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_UNUSABLE,
    err_console,
    fail,
    handle_errors,
    prepare_prefect_env,
    progress_bars,
)

console = Console(highlight=False)


class _ProgressReporter:
    """Turns the flow's progress events into two bars: sources collected, items classified."""

    def __init__(self, progress: Progress):
        self.progress = progress
        self.collect_task: Any = None
        self.classify_task: Any = None

    def __call__(self, event: str, data: dict[str, Any]) -> None:
        if event == "run_started":
            self.collect_task = self.progress.add_task("Collecting sources", total=data["sources"])
        elif event == "source_done" and self.collect_task is not None:
            self.progress.advance(self.collect_task)
        elif event == "classify_started":
            self.classify_task = self.progress.add_task("Classifying items", total=data["items"])
        elif event == "batch_done" and self.classify_task is not None:
            self.progress.advance(self.classify_task, data["size"])


@handle_errors
def run(
    config: Path | None = typer.Option(
        None, "--config", "-c", help="Config file (default: ./pantau.yaml or the bundled demo)."
    ),
    db: str | None = typer.Option(None, "--db", help="Database URL (overrides the config)."),
    runner: str = typer.Option(
        "threads", "--runner", help="threads (default), dask (a local cluster) or tcp://HOST:PORT."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also show Prefect's logs (INFO)."),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="Print only errors and the one-line run summary."
    ),
) -> None:
    """Run one monitoring cycle: collect, store, classify, tag and alert.

    Exits 0 when every source was collected, 1 when the run completed but a source (or a later step)
    failed, 2 on a usage or config error.
    """
    from pantau.settings import load_settings

    if quiet and verbose:
        fail("--quiet and --verbose exclude each other", EXIT_UNUSABLE)
    overrides = {"database_url": db} if db else {}
    settings = load_settings(config, **overrides)
    prepare_prefect_env(verbose, quiet=quiet, hide_run_logs=True)
    from flows.monitor import monitor
    from flows.runners import runner_label, task_runner_for

    task_runner = task_runner_for(runner)
    flow = monitor.with_options(task_runner=task_runner)
    params = {
        "database_url": settings.database_url,
        "config": settings.region_config.model_dump(mode="json"),
        "model_dir": str(settings.model_dir) if settings.model_dir else None,
        "batch_size": settings.batch_size,
    }
    if quiet:
        counts = flow(**params)
        for problem in run_problems(counts):
            err_console.print(f"pantau: error: {problem}", markup=False, soft_wrap=True)
        console.print(summary_line(counts), markup=False, soft_wrap=True)
        raise typer.Exit(exit_status(counts))

    enabled = sum(1 for s in settings.sources if s.enabled)
    off = len(settings.sources) - enabled
    console.print(
        f"[bold]Pantau[/bold] monitoring [bold]{escape(settings.region)}[/bold] with {enabled} "
        f"sources{f' ({off} disabled)' if off else ''} from {settings.config_file}",
        soft_wrap=True,
    )
    console.print(
        f"Database: {settings.database_url}"
        + ("" if runner == "threads" else f"; runner: {runner_label(task_runner)}")
    )
    with progress_bars(console, _ProgressReporter):
        counts = flow(**params)
    print_summary(counts, settings.database_url, db_given=db is not None, config=config)
    raise typer.Exit(exit_status(counts))


def failed_sources(counts: dict[str, Any]) -> list[dict[str, Any]]:
    """The per-source counts of the sources that ended with an error in this run."""
    return [s for s in counts.get("per_source", []) if s.get("error")]


def run_problems(counts: dict[str, Any]) -> list[str]:
    """One line per failure of a completed run: each failed source, then each failed later step."""
    problems = [f"source {s['source']} failed: {s['error']}" for s in failed_sources(counts)]
    steps = (
        ("reviewers' counter-narrative links", (counts.get("url_answers") or {}).get("url_answers_error")),
        ("claim matching", (counts.get("matching") or {}).get("error")),
        ("claim folding / spike detection", counts.get("alert_rules_error")),
        ("saved searches", (counts.get("saved_searches") or {}).get("error")),
    )
    problems += [f"{step} failed: {error}" for step, error in steps if error]
    return problems


def exit_status(counts: dict[str, Any]) -> int:
    """0 when the run had no failure, 1 when a source or a step failed (the rest still ran)."""
    return EXIT_FAILURE if run_problems(counts) else EXIT_OK


def summary_line(counts: dict[str, Any]) -> str:
    """The run's totals in one line (``--quiet`` prints only this, and the errors)."""
    reasons = ", ".join(f"{k}: {v}" for k, v in counts.get("skipped_reasons", {}).items()) or "none"
    failed = failed_sources(counts)
    sources = f" {len(failed)} of {len(counts.get('per_source', []))} sources failed." if failed else ""
    return (
        f"Run {counts.get('run_id')}: fetched {counts['fetched']}, new {counts['new']}, "
        f"duplicate {counts['duplicate']}, skipped {counts['skipped']} ({reasons}); "
        f"scored {counts['scored']}, flagged {counts['flagged']}, new alerts {counts['alerts']}.{sources}"
    )


def print_summary(counts: dict[str, Any], database_url: str, *, db_given: bool, config: Path | None) -> None:
    """The per-source table, the run totals, the most urgent alerts, and the next steps."""
    table = Table(title="Sources", title_justify="left")
    for col in ("source", "fetched", "new", "duplicate", "skipped", "status"):
        table.add_column(col, justify="left" if col in ("source", "status") else "right")
    for s in counts.get("per_source", []):
        reasons = s.get("skipped", {})
        skipped = str(sum(reasons.values()))
        if reasons:
            skipped += " (" + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())) + ")"
        if s.get("notes"):
            skipped += "; kept with notes: " + ", ".join(f"{k} {v}" for k, v in sorted(s["notes"].items()))
        status = f"[red]failed: {escape(s['error'])}[/red]" if s.get("error") else "[green]ok[/green]"
        table.add_row(
            escape(s["source"]), str(s["fetched"]), str(s["new"]), str(s["duplicate"]), skipped, status
        )
    console.print(table)
    console.print(escape(summary_line(counts)), soft_wrap=True)
    by_signal = counts.get("alerts_by_signal", {})
    if by_signal:
        console.print(
            "New alerts by signal: "
            + ", ".join(f"{k} {v}" for k, v in sorted(by_signal.items(), key=lambda kv: -kv[1]))
        )
    matching = counts.get("matching") or {}
    if matching:
        failed = f" (matching failed: {escape(matching['error'])})" if matching.get("error") else ""
        console.print(
            f"Claims: {matching.get('claims_new', 0)} new, {matching.get('claim_items', 0)} items "
            f"grouped, {matching.get('links', 0)} counter-narratives linked, "
            f"{matching.get('known_hoax_alerts', 0)} known-hoax alerts{failed}."
        )
    answers = counts.get("url_answers") or {}
    if answers.get("url_answers_tried"):
        console.print(
            f"Counter-narrative links from reviewers: {answers['url_answers_fetched']} of "
            f"{answers['url_answers_tried']} pages fetched and stored (the rest retried later)."
        )
    if answers.get("url_answers_error"):
        console.print(
            f"[red]Reviewers' counter-narrative links failed: {escape(answers['url_answers_error'])}[/red]"
        )
    if counts.get("alert_rules_error"):
        console.print(
            f"[red]Claim folding / spike detection failed: {escape(counts['alert_rules_error'])}[/red]"
        )
    _print_top_alerts(database_url)
    opts = (f" --config {config}" if config else "") + (f" --db {database_url}" if db_given else "")
    console.print("\n[bold]Next:[/bold]")
    console.print(f"  • Review the most urgent open alerts:  pantau alerts --status open{opts}")
    console.print(
        f"  • Focus on one signal or district:    pantau alerts --signal violence_threat "
        f"--district Omben{opts}"
    )
    console.print(f"  • Export alerts for analysis:         pantau alerts --format json{opts} > alerts.jsonl")
    console.print(f"  • Outcome report for a forum meeting:  pantau report -o report{opts}")
    console.print(f"  • Review in the browser:               pantau web{opts}")
    console.print(f"  • Monitor unattended, on the calendar: pantau serve{opts}")
    console.print("  • Score any JSONL file yourself:       pantau classify posts.jsonl -o scored.jsonl")
    console.print("  • Monitor your own sources:            pantau init, then edit pantau.yaml")


def _print_top_alerts(database_url: str, limit: int = 5) -> None:
    from sqlalchemy.orm import Session

    from flows.resources import engine_for
    from storage.repository import query_alerts

    with Session(engine_for(database_url)) as session:
        top = query_alerts(session, status="open", limit=limit)
    if not top:
        console.print("No open alerts.")
        return
    table = Table(title=f"Most urgent open alerts (top {len(top)})", title_justify="left")
    for col in ("id", "severity", "signal", "stage", "district", "title"):
        table.add_column(col)
    for a in top:
        table.add_row(
            str(a.id),
            a.severity,
            a.signal or a.kind,
            a.stage or "-",
            a.district or "-",
            _snippet(a),
        )
    console.print(table)


def _snippet(alert: Any, width: int = 70) -> str:

    text = alert.item_title or alert.item_snippet or alert.reason or ""
    text = " ".join(text.split())
    return escape(text[:width] + ("…" if len(text) > width else ""))
