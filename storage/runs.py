"""Run bookkeeping (start, finish, summaries) and source health (last success, last error)."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.columns import as_utc, utcnow
from storage.errors import InvalidValueError, RecordNotFoundError
from storage.models import RUN_STATUSES, Item, ItemSighting, Run, Source


def start_run(session: Session, flow_run_id: str | None = None, *, now: datetime | None = None) -> int:
    """Record that a run started; returns its id (pass it to upsert_items and finish_run)."""
    started = as_utc(now) if now else utcnow()
    run = Run(
        flow_run_id=flow_run_id,
        started_at=started,
        status="running",
        counts={},
        host=socket.gethostname(),
        pid=os.getpid(),
        heartbeat_at=started,
    )
    session.add(run)
    session.flush()
    return run.id


def heartbeat(session: Session, run_id: int, *, now: datetime | None = None) -> None:
    """Record that a run is still alive (each finished step calls this)."""
    session.execute(
        update(Run)
        .where(Run.id == run_id, Run.status == "running")
        .values(heartbeat_at=as_utc(now) if now else utcnow())
    )


def mark_crashed_runs(session: Session, *, stale_after: timedelta, now: datetime | None = None) -> list[int]:
    """Mark 'running' runs that cannot be running any more as 'crashed'; return their ids.

    A run is gone when its process on this host no longer exists (killed, machine restarted), or when
    it has given no heartbeat for ``stale_after`` (a run on another host that died). Its items, scores
    and alerts stay: every step commits whole, and the next run picks up what it left undone.
    """
    now = as_utc(now) if now else utcnow()
    host = socket.gethostname()
    cutoff = now - stale_after
    rows = session.execute(
        select(Run.id, Run.host, Run.pid, Run.heartbeat_at, Run.started_at).where(Run.status == "running")
    ).all()
    crashed = []
    for run_id, run_host, pid, beat, started in rows:
        last = as_utc(beat or started)
        if run_host == host and pid is not None and pid != os.getpid() and not _alive(pid):
            crashed.append((run_id, f"process {pid} on {host} ended without finishing the run"))
        elif last < cutoff:
            crashed.append((run_id, f"no heartbeat since {last.isoformat()} (limit {stale_after})"))
    for run_id, why in crashed:
        session.execute(
            update(Run)
            .where(Run.id == run_id, Run.status == "running")
            .values(status="crashed", error=why, finished_at=now)
        )
    return [run_id for run_id, _ in crashed]


def other_running_runs(session: Session, run_id: int) -> int:
    """How many runs other than ``run_id`` are still 'running' (call after :func:`mark_crashed_runs`)."""
    return (
        session.scalar(select(func.count()).select_from(Run).where(Run.status == "running", Run.id != run_id))
        or 0
    )


def end_flow_run(
    session: Session, flow_run_id: str, *, status: str, error: str | None, now: datetime | None = None
) -> list[int]:
    """Close the still-running Runs of one Prefect flow run as 'failed' or 'crashed' (a failure hook
    calls this); returns their ids. Runs that already ended are left as they are."""
    if status not in ("failed", "crashed"):
        raise InvalidValueError("run status", status, ("failed", "crashed"))
    ids = list(session.scalars(select(Run.id).where(Run.flow_run_id == flow_run_id, Run.status == "running")))
    if ids:
        session.execute(
            update(Run)
            .where(Run.id.in_(ids), Run.status == "running")
            .values(status=status, error=error, finished_at=as_utc(now) if now else utcnow())
        )
    return ids


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    try:  # a zombie (killed, not yet reaped by its parent) is not running
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def finish_run(
    session: Session,
    run_id: int,
    *,
    status: str,
    counts: dict[str, Any],
    error: str | None = None,
    now: datetime | None = None,
) -> None:
    """Record how a run ended: 'completed' or 'failed', its counts (plain JSON data) and any error."""
    if status not in RUN_STATUSES or status == "running":
        raise InvalidValueError("run status", status, ("completed", "failed", "crashed"))
    run = session.get(Run, run_id)
    if run is None:
        raise RecordNotFoundError("run", run_id)
    run.status = status
    run.counts = dict(counts)
    run.error = error
    run.finished_at = as_utc(now) if now else utcnow()
    session.flush()


def record_source_result(
    session: Session, source_id: int, *, ok: bool, item_count: int, error: str | None, at: datetime
) -> None:
    """Update a source's health after collecting from it: success time or error time and message.

    A success leaves the last error in place (its time tells whether it is older than the success).
    """
    source = session.get(Source, source_id)
    if source is None:
        raise RecordNotFoundError("source", source_id)
    at = as_utc(at)
    source.last_item_count = item_count
    if ok:
        source.last_success_at = at
    else:
        source.last_error_at = at
        source.last_error = error
    session.flush()


def last_new_item_at(session: Session) -> dict[int, datetime | None]:
    """Per source id: when it last saw an item (``max(ItemSighting.seen_at)``), None if never."""
    rows = session.execute(
        select(Source.id, func.max(ItemSighting.seen_at))
        .outerjoin(ItemSighting, ItemSighting.source_id == Source.id)
        .group_by(Source.id)
    ).all()
    return {source_id: as_utc(seen) if seen is not None else None for source_id, seen in rows}


def clean_run_starts(session: Session, source_ids: list[int]) -> dict[int, list[datetime]]:
    """Per source id: start times of the runs that collected it without error, oldest first.

    Finished runs are read from their per-source counts (``counts["per_source"]``); a run still in
    progress counts for a source whose last success is not older than the run's start.
    """
    sources = {s.name: s for s in session.scalars(select(Source).where(Source.id.in_(source_ids)))}
    found: dict[int, list[datetime]] = {sid: [] for sid in source_ids}
    ended_badly = ("failed", "crashed")
    for run in session.scalars(select(Run).where(Run.status.not_in(ended_badly)).order_by(Run.started_at)):
        if run.status == "running":
            done = {
                name
                for name, s in sources.items()
                if s.last_success_at is not None and s.last_success_at >= run.started_at
            }
        else:
            done = {e.get("source") for e in (run.counts or {}).get("per_source", []) if not e.get("error")}
        for name in done & set(sources):
            found[sources[name].id].append(run.started_at)
    return found


def _describe(run: Run, items_new: int, items_seen: int) -> dict[str, Any]:
    duration = None
    if run.finished_at is not None:
        duration = (run.finished_at - run.started_at).total_seconds()
    return {
        "id": run.id,
        "flow_run_id": run.flow_run_id,
        "status": run.status,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration_seconds": duration,
        "counts": dict(run.counts or {}),
        "error": run.error,
        "items_new": items_new,
        "items_seen": items_seen,
    }


def run_summary(session: Session, run_id: int) -> dict[str, Any]:
    """A run as a plain dict: its fields, duration, recorded counts, and from the database the number
    of items it stored first (``items_new``) and of item sightings it recorded (``items_seen``)."""
    run = session.get(Run, run_id)
    if run is None:
        raise RecordNotFoundError("run", run_id)
    new = session.scalar(select(func.count()).select_from(Item).where(Item.first_run_id == run_id))
    seen = session.scalar(select(func.count()).select_from(ItemSighting).where(ItemSighting.run_id == run_id))
    return _describe(run, new or 0, seen or 0)


def latest_runs(session: Session, limit: int = 10) -> list[dict[str, Any]]:
    """The newest runs, newest first, each as :func:`run_summary` describes it."""
    runs = list(session.scalars(select(Run).order_by(Run.started_at.desc(), Run.id.desc()).limit(limit)))
    if not runs:
        return []
    ids = [r.id for r in runs]
    new = dict(
        session.execute(
            select(Item.first_run_id, func.count())
            .where(Item.first_run_id.in_(ids))
            .group_by(Item.first_run_id)
        ).all()
    )
    seen = dict(
        session.execute(
            select(ItemSighting.run_id, func.count())
            .where(ItemSighting.run_id.in_(ids))
            .group_by(ItemSighting.run_id)
        ).all()
    )
    return [_describe(r, new.get(r.id, 0), seen.get(r.id, 0)) for r in runs]
