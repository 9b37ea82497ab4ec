"""The Prefect flow ``backfill``: score the items of a past period again with a new model version.

Items whose time (``published_at``, else ``collected_at``) falls in ``[since, until)`` and that have no
score from the new version are scored in batches of ``batch_size`` ids (in id order), one task per
batch: one after another on the thread runner, all submitted at once on a Dask runner
(:func:`flows.runners.task_runner_for`). Each batch commits its scores in one transaction; the job row
(:mod:`storage.backfills`) records progress after each committed batch. Killed at any point and rerun
with the same arguments, the flow takes the same job up again and scores only what is still missing:
scores are unique per (item, model version), so no item is ever scored twice for a version. Scores of
other versions stay; analysts compare versions per item (see docs/operations.md).

With ``raise_alerts`` the batches go through :func:`flows.steps.classify_batch` (tags, alerts) and the
matching step runs over the backfilled items; without it (the default of ``pantau backfill``) only the
new scores are written, so a reprocessing run does not flood the review queue with old alerts.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime
from typing import Any

from prefect import flow, task
from sqlalchemy.orm import Session

from classifiers.source_prior import SourcePrior
from flows import matching_step, steps
from flows.failpoints import failpoint
from flows.progress import report
from flows.resources import engine_for, region_classifier
from pantau.domain.config import PantauConfig
from storage import backfills
from storage import repository as repo

MAX_ROUNDS = 5  # items arriving in the period while the backfill runs are picked up by another round


# --- plain steps (no Prefect) ----------------------------------------------------------------------


def score_batch(
    database_url: str, model_dir: str | None, config: dict[str, Any], item_ids: list[int]
) -> dict[str, int]:
    """Score the items of ``item_ids`` still lacking a score from the model, in one transaction.

    Only scores are written (no tags, no alerts). Counts: ``scored`` (new scores), ``flagged``
    (items with a harm flag) and ``flag_<signal>`` per flag.
    """
    region = PantauConfig.model_validate(config)
    model = region_classifier(model_dir, region)
    counts: Counter[str] = Counter()
    with Session(engine_for(database_url)) as session, session.begin():
        rows = repo.items_needing_scores(session, model.version_, item_ids=item_ids)
        prior = SourcePrior.from_config(region.source_prior)
        results = model.score(
            [{"text": r.text, "title": r.title, "url": r.url} for r in rows], source_prior=prior
        )
        for result in results:
            harm = set(result.flags) - {"counter_narrative"}
            counts["flagged"] += bool(harm)
            counts.update(f"flag_{flag}" for flag in result.flags)
        counts["scored"] = repo.save_scores(
            session, model.version_, [(r.id, res) for r, res in zip(rows, results, strict=True)]
        )
        failpoint("classify.before_commit")
    failpoint("classify.after_commit")
    return dict(counts)


def start_job(database_url: str, model_version: str, since: datetime, until: datetime) -> dict[str, Any]:
    with Session(engine_for(database_url)) as session, session.begin():
        job = backfills.start_or_resume(session, model_version, since, until)
    return {"id": job.id, "total": job.total, "done": job.done, "resumed": job.resumed}


def pending(database_url: str, model_version: str, since: datetime, until: datetime) -> list[int]:
    with Session(engine_for(database_url)) as session:
        return backfills.pending_ids(session, model_version, since, until)


def record_batch(database_url: str, job_id: int, counts: dict[str, Any]) -> None:
    plain = {k: int(v) for k, v in counts.items() if isinstance(v, int) and k != "scored"}
    with Session(engine_for(database_url)) as session, session.begin():
        backfills.record_progress(session, job_id, scored=int(counts.get("scored", 0)), counts=plain)


def finish_job(database_url: str, job_id: int, error: str | None = None) -> dict[str, Any]:
    with Session(engine_for(database_url)) as session, session.begin():
        if error is not None:
            backfills.fail(session, job_id, error)
            job = backfills.get_job(session, job_id)
        else:
            job = backfills.finish(session, job_id)
    return {"id": job.id, "status": job.status, "total": job.total, "done": job.done, "counts": job.counts}


# --- Prefect tasks and flow ------------------------------------------------------------------------


@task(name="backfill-batch", cache_policy=None)
def backfill_batch_task(
    database_url: str, model_dir: str | None, config: dict[str, Any], item_ids: list[int], raise_alerts: bool
) -> dict[str, Any]:
    if raise_alerts:
        counts = steps.classify_batch(database_url, model_dir, config, item_ids)
        return {k: v for k, v in counts.items() if k != "by_signal"}
    return score_batch(database_url, model_dir, config, item_ids)


@flow(name="backfill", log_prints=False, validate_parameters=True)
def backfill(
    database_url: str,
    config: dict[str, Any],
    model_dir: str | None,
    since: datetime,
    until: datetime,
    batch_size: int = 500,
    raise_alerts: bool = False,
) -> dict[str, Any]:
    """Score the period's items that lack a score from ``model_dir``'s version; returns a summary."""
    from prefect.context import FlowRunContext
    from prefect.task_runners import ThreadPoolTaskRunner

    started = time.monotonic()
    region = PantauConfig.model_validate(config)
    version = region_classifier(model_dir, region).version_
    job = start_job(database_url, version, since, until)
    report(
        "backfill_started",
        job_id=job["id"],
        model_version=version,
        total=job["total"],
        done=job["done"],
        resumed=job["resumed"],
    )
    sequential = isinstance(FlowRunContext.get().task_runner, ThreadPoolTaskRunner)
    scored, scored_ids, rounds, match_counts = 0, [], 0, None
    try:
        for rounds in range(1, MAX_ROUNDS + 1):  # noqa: B007 (rounds is reported)
            ids = pending(database_url, version, since, until)
            if not ids:
                break
            batches = [ids[i : i + batch_size] for i in range(0, len(ids), batch_size)]
            report("classify_started", items=len(ids), batches=len(batches))
            round_scored = 0
            for batch, counts in _run_batches(
                database_url, model_dir, config, batches, raise_alerts, sequential
            ):
                record_batch(database_url, job["id"], counts)
                round_scored += int(counts.get("scored", 0))
                report("batch_done", size=len(batch), **counts)
            scored += round_scored
            scored_ids += ids
            if round_scored == 0:  # nothing could be scored (e.g. the items vanished): stop trying
                break
        if raise_alerts and scored_ids:
            match_counts = matching_step.match_items(database_url, model_dir, config, item_ids=scored_ids)
            report("matching_done", **match_counts)
    except BaseException as exc:
        finish_job(database_url, job["id"], error=f"{type(exc).__name__}: {exc}")
        raise
    final = finish_job(database_url, job["id"])
    return {
        "job_id": job["id"],
        "model_version": version,
        "status": final["status"],
        "total": final["total"],
        "done": final["done"],
        "already_done": job["done"],
        "resumed": job["resumed"],
        "scored": scored,
        "rounds": rounds,
        "counts": final["counts"],
        "matching": match_counts,
        "seconds": round(time.monotonic() - started, 3),
    }


def _run_batches(
    database_url: str,
    model_dir: str | None,
    config: dict[str, Any],
    batches: list[list[int]],
    raise_alerts: bool,
    sequential: bool,
):
    """Yield (batch, counts) as batches finish: in order on threads, as completed on Dask."""
    if sequential or len(batches) < 2:
        for batch in batches:
            yield batch, backfill_batch_task(database_url, model_dir, config, batch, raise_alerts)
        return
    from prefect.futures import as_completed

    futures = [backfill_batch_task.submit(database_url, model_dir, config, b, raise_alerts) for b in batches]
    batch_of = {f.task_run_id: b for f, b in zip(futures, batches, strict=True)}
    for future in as_completed(futures):
        yield batch_of[future.task_run_id], future.result()
