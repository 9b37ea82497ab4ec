"""Backfill jobs: one row per (model version, period) that records a reprocessing run and its progress.

A backfill scores the items of a period ``[start, end)`` (by item time: ``published_at``, else
``collected_at``) with one model version. :func:`start_or_resume` creates the job row or, for the same
version and period, takes the existing one up again (``INSERT ... ON CONFLICT DO NOTHING``, so two
processes starting the same job never fail or duplicate it); :func:`pending_ids` lists what is left;
:func:`record_progress`, :func:`finish` and :func:`fail` keep the row current. Progress is derived from
the scores themselves (``done`` = items of the period scored by the version), so a job killed at any
point reports the truth when resumed. Functions take a Session and leave committing to the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from storage.claims import item_time
from storage.columns import as_utc, utcnow
from storage.dialect import upsert_insert
from storage.errors import InvalidValueError, RecordNotFoundError
from storage.models import Backfill, Item, Score


@dataclass(frozen=True, slots=True)
class BackfillJob:
    """A snapshot of a backfill row. ``resumed``: the row existed before this start."""

    id: int
    model_version: str
    period_start: datetime
    period_end: datetime
    status: str
    total: int
    done: int
    counts: dict[str, Any]
    resumed: bool = False


def _check_period(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start, end = as_utc(start), as_utc(end)
    if start >= end:
        raise InvalidValueError(
            "backfill period", f"{start.isoformat()} .. {end.isoformat()}", ("a start before its end",)
        )
    return start, end


def _in_period(start: datetime, end: datetime) -> Any:
    return (item_time >= start) & (item_time < end)


def start_or_resume(
    session: Session, model_version: str, start: datetime, end: datetime, *, now: datetime | None = None
) -> BackfillJob:
    """The job row for (version, period), created or set running again, with total/done recounted."""
    start, end = _check_period(start, end)
    now = as_utc(now) if now else utcnow()
    stmt = (
        upsert_insert(session, Backfill.__table__)
        .values(
            model_version=model_version,
            period_start=start,
            period_end=end,
            status="running",
            created_at=now,
            updated_at=now,
            total=0,
            done=0,
            counts={},
        )
        .on_conflict_do_nothing(index_elements=["model_version", "period_start", "period_end"])
    )
    created = session.execute(stmt.returning(Backfill.id)).scalar_one_or_none()
    job_id = (
        created
        if created is not None
        else session.execute(
            select(Backfill.id).where(
                Backfill.model_version == model_version,
                Backfill.period_start == start,
                Backfill.period_end == end,
            )
        ).scalar_one()
    )
    total, done = count_period(session, model_version, start, end)
    session.execute(
        update(Backfill)
        .where(Backfill.id == job_id)
        .values(status="running", error=None, finished_at=None, updated_at=now, total=total, done=done)
    )
    return _snapshot(session, job_id, resumed=created is None)


def count_period(session: Session, model_version: str, start: datetime, end: datetime) -> tuple[int, int]:
    """(items in the period, of which scored by ``model_version``)."""
    start, end = _check_period(start, end)
    scored = exists().where(Score.item_id == Item.id, Score.model_version == model_version)
    row = session.execute(
        select(func.count(Item.id), func.count(Item.id).filter(scored)).where(_in_period(start, end))
    ).one()
    return int(row[0]), int(row[1])


def pending_ids(
    session: Session, model_version: str, start: datetime, end: datetime, *, limit: int | None = None
) -> list[int]:
    """Ids of the period's items with no score from ``model_version``, in id order."""
    start, end = _check_period(start, end)
    scored = exists().where(Score.item_id == Item.id, Score.model_version == model_version)
    stmt = select(Item.id).where(_in_period(start, end), ~scored).order_by(Item.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def record_progress(
    session: Session, job_id: int, *, scored: int, counts: dict[str, int], now: datetime | None = None
) -> None:
    """Add one committed batch: ``scored`` new scores and its counts (summed into the row's counts)."""
    job = _get(session, job_id)
    merged = dict(job.counts or {})
    for key, value in counts.items():
        merged[key] = int(merged.get(key, 0)) + int(value)
    session.execute(
        update(Backfill)
        .where(Backfill.id == job_id)
        .values(done=Backfill.done + scored, counts=merged, updated_at=as_utc(now) if now else utcnow())
    )


def finish(session: Session, job_id: int, *, now: datetime | None = None) -> BackfillJob:
    """Mark the job completed, with total and done recounted from the database."""
    job = _get(session, job_id)
    total, done = count_period(session, job.model_version, job.period_start, job.period_end)
    now = as_utc(now) if now else utcnow()
    session.execute(
        update(Backfill)
        .where(Backfill.id == job_id)
        .values(status="completed", total=total, done=done, error=None, finished_at=now, updated_at=now)
    )
    return _snapshot(session, job_id)


def fail(session: Session, job_id: int, error: str, *, now: datetime | None = None) -> None:
    """Mark the job failed with its error (a rerun with the same arguments resumes it)."""
    now = as_utc(now) if now else utcnow()
    _get(session, job_id)
    session.execute(
        update(Backfill)
        .where(Backfill.id == job_id)
        .values(status="failed", error=error, finished_at=now, updated_at=now)
    )


def get_job(session: Session, job_id: int) -> BackfillJob:
    return _snapshot(session, job_id)


def _get(session: Session, job_id: int) -> Backfill:
    job = session.get(Backfill, job_id, populate_existing=True)
    if job is None:
        raise RecordNotFoundError("backfill", job_id)
    return job


def _snapshot(session: Session, job_id: int, *, resumed: bool = False) -> BackfillJob:
    job = _get(session, job_id)
    return BackfillJob(
        job.id,
        job.model_version,
        as_utc(job.period_start),
        as_utc(job.period_end),
        job.status,
        job.total,
        job.done,
        dict(job.counts or {}),
        resumed,
    )
