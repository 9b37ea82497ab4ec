"""The Prefect 3 flow ``monitor``: collect -> store -> classify -> tag -> alert -> match claims.

Thin by design: it resolves settings into plain data, runs one task per source and one task per
batch of items, and records a Run with counts. All work is in :mod:`flows.steps`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.context import get_run_context
from sqlalchemy.exc import DBAPIError

from flows import matching_step, saved_search_step, spike_step, steps, url_answers
from flows.hooks import on_run_failure
from flows.host_limits import ensure_host_limits, host_slot
from flows.notify.dispatch import dispatch_safely
from flows.progress import report
from pantau.domain.config import HttpConfig, PantauConfig
from pantau.domain.errors import FetchError
from pantau.domain.records import CollectResult, SkipReason
from storage.errors import StoreFailedError, db_error_summary


class _NoTracebackForFetchErrors(logging.Filter):
    """A source that cannot be fetched is routine in monitoring: log one line, not a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], FetchError):
            record.exc_info = None
            record.exc_text = None
        return True


logging.getLogger("prefect.task_runs").addFilter(_NoTracebackForFetchErrors())


def _transient(task, task_run, state) -> bool:
    """Retry only fetch failures of remote sources (a missing local file will not reappear)."""
    try:
        state.result()
    except FetchError as exc:
        return exc.location.startswith(("http://", "https://"))
    except Exception:
        return False
    return False


@task(name="collect-source", retry_condition_fn=_transient, cache_policy=None)
def collect_source_task(
    database_url: str, source: dict[str, Any], source_id: int, http: dict[str, Any], run_id: int
) -> dict[str, Any]:
    try:
        return _collect_source(database_url, source, source_id, http, run_id)
    except DBAPIError as exc:  # the source fails, and its message (in the log too) holds no stored values
        raise StoreFailedError(db_error_summary(exc)) from None


def _collect_source(
    database_url: str, source: dict[str, Any], source_id: int, http: dict[str, Any], run_id: int
) -> dict[str, Any]:
    if steps.streams(source):  # stored in batches as it is read: memory does not grow with the export
        with host_slot(source["location"]):
            counts = steps.stream_store(source, http, database_url, source_id, run_id)
        report("source_done", **counts)
        return counts
    with host_slot(source["location"]):
        result = steps.collect(source, http, database_url)
    if result.error_reason == SkipReason.FETCH_ERROR and source["location"].startswith("http"):
        raise FetchError(result.error or "fetch failed", location=source["location"])
    counts = steps.store(database_url, source["name"], source_id, run_id, result)
    report("source_done", **{k: v for k, v in counts.items() if k != "new_ids"})
    return counts


@task(name="fetch-url-answers", cache_policy=None)
def url_answers_task(
    database_url: str, config: dict[str, Any], run_id: int, now: datetime | None
) -> dict[str, int]:
    """The pages of counter-narratives reviewers gave as URLs (flows/url_answers.py)."""
    counts = url_answers.fetch_url_answers(database_url, config, run_id, now=now)
    report("url_answers_done", **counts)
    return counts


@task(name="classify-batch", cache_policy=None)
def classify_batch_task(
    database_url: str, model_dir: str | None, config: dict[str, Any], item_ids: list[int]
) -> dict[str, Any]:
    counts = steps.classify_batch(database_url, model_dir, config, item_ids)
    report("batch_done", size=len(item_ids), **counts)
    return counts


@task(name="match-claims", cache_policy=None)
def match_claims_task(database_url: str, model_dir: str | None, config: dict[str, Any]) -> dict[str, int]:
    counts = matching_step.match_items(database_url, model_dir, config, **config.get("matching", {}))
    report("matching_done", **counts)
    return counts


@task(name="alert-rules", cache_policy=None)
def alert_rules_task(database_url: str, config: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Fold the alerts of one claim into one (alerts.dedupe_claims), then look for volume spikes."""
    folded = spike_step.fold_claims(database_url, config, now=now)["folded"]
    spikes = spike_step.detect_spikes(database_url, config, now=now)
    report("alert_rules_done", folded=folded, **spikes)
    return {"folded": folded, "spikes": spikes}


@task(name="saved-searches", cache_policy=None)
def saved_searches_task(database_url: str, config: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The new alerts of every saved search, one notice per search (flows/saved_search_step.py)."""
    counts = saved_search_step.match_saved_searches(database_url, config, now=now)
    report("saved_searches_done", **{k: v for k, v in counts.items() if k != "errors"})
    return counts


@flow(
    name="monitor",
    log_prints=False,
    validate_parameters=True,
    on_failure=[on_run_failure],
    on_crashed=[on_run_failure],
)
def monitor(
    database_url: str,
    config: dict[str, Any],
    model_dir: str | None = None,
    batch_size: int = 500,
    as_of: datetime | None = None,
) -> dict[str, Any]:
    """One monitoring cycle over every enabled source of ``config``; returns the Run's counts.

    ``as_of`` is the run's notion of "now" for time-window rules (silent sources, spikes,
    notifications): the wall clock by default, a simulated time under a test clock."""
    logger = get_run_logger()
    flow_run_id = str(get_run_context().flow_run.id)
    as_of_utc = (as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)) if as_of else None
    now = as_of_utc or datetime.now(UTC)
    run_id, source_ids = steps.start(database_url, config, flow_run_id)
    sources = [s for s in config.get("sources", []) if s.get("enabled", True)]
    http = config.get("http", {})
    per_host = config.get("schedule", {}).get("host_concurrency", 2)
    try:
        ensure_host_limits(sources, per_host, reset_slots=_alone(database_url, run_id))
    except Exception as exc:  # noqa: BLE001 - without the API, fetches still run (unlimited)
        logger.warning("could not set the per-host fetch limits: %s", exc)
    delays = HttpConfig.model_validate(http).retry_delays()
    report("run_started", run_id=run_id, sources=len(sources))
    try:
        collect = collect_source_task.with_options(retries=len(delays), retry_delay_seconds=delays or 0)
        futures = [collect.submit(database_url, s, source_ids[s["name"]], http, run_id) for s in sources]
        source_counts = []
        for source, future in zip(sources, futures, strict=True):
            future.wait()
            state = future.state
            if state.is_completed():
                source_counts.append(future.result())
            else:
                message = _failure_message(state)
                logger.warning("source %s failed: %s", source["name"], message)
                source_counts.append(
                    _failed_source(database_url, source["name"], source_ids[source["name"]], run_id, message)
                )
                report("source_done", source=source["name"], fetched=0, new=0, duplicate=0, error=message)

        _heartbeat(database_url, run_id)
        silent = steps.check_silent_sources(database_url, config, now=now)
        if silent:
            logger.warning("%s source(s) went silent", len(silent))

        # pages of reviewers' URL answers, stored before scoring so they are scored and matched too;
        # a failure here (never expected: fetch errors are recorded per link) leaves the run going
        answer_state = url_answers_task(database_url, config, run_id, as_of_utc, return_state=True)
        answer_counts = (
            answer_state.result()
            if answer_state.is_completed()
            else {"url_answers_error": _failure_message(answer_state)}
        )

        pending = steps.pending_item_ids(database_url, model_dir, PantauConfig.model_validate(config))
        batches = [pending[i : i + batch_size] for i in range(0, len(pending), batch_size)]
        report("classify_started", items=len(pending), batches=len(batches))
        batch_counts = _classify(database_url, model_dir, config, batches)
        # Claims, known hoaxes and counter-narrative links, over every scored item not yet matched.
        # A failure here leaves the collected and classified items in place (the next run retries).
        match_state = match_claims_task(database_url, model_dir, config, return_state=True)
        if match_state.is_completed():
            match_counts = match_state.result()
        else:
            match_counts = {"error": _failure_message(match_state)}
            logger.warning("claim matching failed: %s", match_counts["error"])
        rules_at = as_of_utc or datetime.now(UTC)  # after this run's items were stored
        alert_counts = alert_rules_task(database_url, config, rules_at, return_state=True)
        counts = steps.merge_counts(source_counts, batch_counts, silent, match_counts)
        counts["run_id"] = run_id
        counts["as_of"] = now.isoformat()
        counts["url_answers"] = answer_counts
        if alert_counts.is_completed():
            rules = alert_counts.result()
            counts.update(claims_folded=rules["folded"], spikes=rules["spikes"])
            counts["alerts"] += rules["spikes"]["raised"]
            if rules["spikes"]["raised"]:
                counts["alerts_by_signal"]["spike"] = rules["spikes"]["raised"]
        else:
            counts["alert_rules_error"] = _failure_message(alert_counts)
            logger.warning("claim folding / spike detection failed: %s", counts["alert_rules_error"])
        # saved searches, after every alert of this run is raised; a failure leaves the run going
        saved_state = saved_searches_task(database_url, config, rules_at, return_state=True)
        counts["saved_searches"] = (
            saved_state.result() if saved_state.is_completed() else {"error": _failure_message(saved_state)}
        )
        counts["notifications"] = dispatch_safely(database_url, config, now=as_of_utc or datetime.now(UTC))
        steps.finish(database_url, run_id, counts)
        logger.info(
            "run %s: %s new, %s duplicate, %s alerts",
            run_id,
            counts["new"],
            counts["duplicate"],
            counts["alerts"],
        )
        return _final_state(counts)
    except BaseException as exc:
        steps.finish(
            database_url, run_id, {"run_id": run_id}, status="failed", error=f"{type(exc).__name__}: {exc}"
        )
        raise


def _final_state(counts: dict[str, Any]) -> Any:
    """The run's end state: Completed, or Completed named 'Partial' (shown by the Prefect UI) when some
    sources failed. Partial keeps the type COMPLETED: the run's work is stored, and a failing source is
    not retried at once (its own retries are spent), it is tried again at the next scheduled run."""
    from prefect.states import Completed

    failed = counts.get("sources_failed", 0)
    if not failed:
        return Completed(data=counts)
    return Completed(
        name="Partial", message=f"{failed} of {counts.get('sources', 0)} sources failed", data=counts
    )


def _classify(
    database_url: str, model_dir: str | None, config: dict[str, Any], batches: list[list[int]]
) -> list[dict[str, Any]]:
    """Score the batches: one after another in this process (SQLite has one writer, and scoring is
    CPU-bound under the GIL), or all at once when the flow runs on a process-based task runner (Dask)."""
    from prefect.context import FlowRunContext
    from prefect.task_runners import ThreadPoolTaskRunner

    runner = FlowRunContext.get().task_runner
    if isinstance(runner, ThreadPoolTaskRunner) or len(batches) < 2:
        return [classify_batch_task(database_url, model_dir, config, b) for b in batches]
    futures = [classify_batch_task.submit(database_url, model_dir, config, b) for b in batches]
    return [f.result() for f in futures]


def _alone(database_url: str, run_id: int) -> bool:
    """No other run is active on this database (dead ones were closed when this one started)."""
    from sqlalchemy.orm import Session

    from flows.resources import engine_for
    from storage.runs import other_running_runs

    with Session(engine_for(database_url)) as session:
        return other_running_runs(session, run_id) == 0


def _heartbeat(database_url: str, run_id: int) -> None:
    from sqlalchemy.orm import Session

    from flows.resources import engine_for
    from storage.runs import heartbeat

    with Session(engine_for(database_url)) as session, session.begin():
        heartbeat(session, run_id)


def _failure_message(state) -> str:
    try:
        state.result()
    except BaseException as exc:  # the task's own exception, re-raised by Prefect
        return str(exc) or type(exc).__name__
    return state.message or "failed"


def _failed_source(database_url: str, name: str, source_id: int, run_id: int, message: str) -> dict[str, Any]:
    result = CollectResult(source=name, error=message, error_reason=SkipReason.FETCH_ERROR)
    return steps.store(database_url, name, source_id, run_id, result)
