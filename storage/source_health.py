"""Source health and recent runs, for the operators' page ``/sources`` and ``/api/v1/sources`` (issue 17).

Per source (the configured ones and any others stored): kind, enabled, last success and last error,
its new / duplicate / skipped items in each of the last N runs and its skip reasons over them (read
from ``runs.counts["per_source"]``, written by ``flows.steps.merge_counts``), and whether it is silent
by the rule of ``flows.steps.check_silent_sources``, with its open ``silent_source`` alerts.

Per run: its state (``running``, ``completed``, ``partial``: completed with a failed part, ``failed``,
``crashed``), times, host, totals and error. Counts are JSON written by earlier versions too, so every
value is read defensively: a missing or mistyped field counts as absent, never as an error.

Bounded queries only: the sources, one ``max(seen_at)`` per source, the last N runs, and the open
``silent_source`` alerts (at most MAX_OPEN_ALERTS), whatever the history holds. The silent rule for a
source that never yielded an item counts its clean runs within those N runs only (the flow counts
all of them), so with a long history it can say "not yet silent" where the flow already alerted; the
source's open alert is shown either way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pantau.domain.config import SourceConfig
from storage.columns import as_utc, utcnow
from storage.models import Alert, Run, Source
from storage.runs import last_new_item_at

RUN_STATES = ("running", "completed", "partial", "failed", "crashed")
#: the parts of a completed run that can fail without failing the run (keys of ``RunRow.problems``)
RUN_PROBLEMS = ("sources_failed", "matching", "alert_rules", "url_answers")
RUN_TOTALS = ("sources", "sources_failed", "fetched", "new", "duplicate", "skipped", "alerts")
MAX_OPEN_ALERTS = 500
#: open silent_source alerts kept per source (the newest); ``open_silent_count`` has them all
ALERTS_PER_SOURCE = 5


@dataclass(frozen=True, slots=True)
class SourceRun:
    """One source in one run: what its per-source counts say (``error`` when collecting it failed)."""

    run_id: int
    started_at: datetime
    fetched: int
    new: int
    duplicate: int
    skipped: int
    error: str | None


@dataclass(frozen=True, slots=True)
class SilentAlert:
    id: int
    created_at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """A source's health. ``runs`` has one entry per run of the window, newest first: None where the
    run recorded nothing for the source (it was running, failed as a whole, or skipped the source)."""

    name: str
    kind: str | None
    enabled: bool
    configured: bool
    stored: bool
    last_success_at: datetime | None
    last_error_at: datetime | None
    last_error: str | None
    last_item_count: int | None
    last_new_item_at: datetime | None
    silent_after_hours: float | None
    silent: bool
    quiet_hours: float | None
    open_silent_count: int
    open_silent_alerts: list[SilentAlert]
    runs: list[SourceRun | None]
    skip_reasons: dict[str, int]
    notes: dict[str, int]

    @property
    def error_is_current(self) -> bool:
        """The last error is newer than the last success (the source is failing now)."""
        if self.last_error_at is None:
            return False
        return self.last_success_at is None or self.last_error_at > self.last_success_at


@dataclass(frozen=True, slots=True)
class RunRow:
    """One run for the runs table. ``totals`` holds the counts present (RUN_TOTALS); ``problems`` the
    failed parts of a completed run (code -> detail: a count of sources or an error message)."""

    id: int
    flow_run_id: str | None
    status: str
    state: str
    started_at: datetime
    finished_at: datetime | None
    heartbeat_at: datetime | None
    duration_seconds: float | None
    host: str | None
    totals: dict[str, int]
    error: str | None
    problems: dict[str, str] = field(default_factory=dict)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _reasons(value: Any) -> dict[str, int]:
    if not isinstance(value, Mapping):
        return {}
    return {k: _int(v) for k, v in value.items() if isinstance(k, str) and _int(v)}


def _per_source(counts: Any) -> dict[str, Mapping[str, Any]]:
    """A run's per-source entries by source name (a later entry for a name wins)."""
    entries = counts.get("per_source") if isinstance(counts, Mapping) else None
    if not isinstance(entries, list):
        return {}
    return {e["source"]: e for e in entries if isinstance(e, Mapping) and isinstance(e.get("source"), str)}


def run_problems(counts: Any) -> dict[str, str]:
    """The parts of a run that failed though the run completed: sources, claim matching, the alert rules
    (folding and spikes), the fetch of reviewers' URL answers."""
    if not isinstance(counts, Mapping):
        return {}
    found: dict[str, str] = {}
    failed = _int(counts.get("sources_failed"))
    if failed:
        found["sources_failed"] = str(failed)
    matching = counts.get("matching")
    if isinstance(matching, Mapping) and matching.get("error"):
        found["matching"] = str(matching["error"])
    if counts.get("alert_rules_error"):
        found["alert_rules"] = str(counts["alert_rules_error"])
    answers = counts.get("url_answers")
    if isinstance(answers, Mapping) and answers.get("url_answers_error"):
        found["url_answers"] = str(answers["url_answers_error"])
    return found


def run_state(status: str, counts: Any) -> str:
    """One of RUN_STATES: the stored status, except a completed run with a failed part is 'partial'."""
    if status == "completed" and run_problems(counts):
        return "partial"
    return status if status in RUN_STATES else "failed"


def _row(run: Run) -> RunRow:
    counts = run.counts if isinstance(run.counts, Mapping) else {}
    duration = None
    if run.finished_at is not None:
        duration = max((run.finished_at - run.started_at).total_seconds(), 0.0)
    return RunRow(
        id=run.id,
        flow_run_id=run.flow_run_id,
        status=run.status,
        state=run_state(run.status, counts),
        started_at=run.started_at,
        finished_at=run.finished_at,
        heartbeat_at=run.heartbeat_at,
        duration_seconds=duration,
        host=run.host,
        totals={k: _int(counts[k]) for k in RUN_TOTALS if k in counts},
        error=run.error,
        problems=run_problems(counts),
    )


def _newest_runs(session: Session, limit: int, offset: int = 0) -> list[Run]:
    stmt = select(Run).order_by(Run.started_at.desc(), Run.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(stmt))


def recent_runs(session: Session, *, limit: int = 50, offset: int = 0) -> tuple[int, list[RunRow]]:
    """(all runs, the ``limit`` newest after ``offset``), newest first."""
    total = session.scalar(select(func.count()).select_from(Run)) or 0
    return total, [_row(r) for r in _newest_runs(session, limit, offset)]


def _source_run(run: Run, entry: Mapping[str, Any] | None) -> SourceRun | None:
    if entry is None:
        return None
    return SourceRun(
        run_id=run.id,
        started_at=run.started_at,
        fetched=_int(entry.get("fetched")),
        new=_int(entry.get("new")),
        duplicate=_int(entry.get("duplicate")),
        skipped=sum(_reasons(entry.get("skipped")).values()),
        error=_text(entry.get("error")),
    )


def _clean_starts(
    runs: Sequence[Run], entries: list[dict[str, Mapping[str, Any]]], source: Source
) -> list[datetime]:
    """Start times of the window's runs that collected ``source`` without error, oldest first (the rule
    of ``storage.runs.clean_run_starts``, within the window)."""
    starts = []
    for run, per_source in zip(runs, entries, strict=True):
        if run.status in ("failed", "crashed"):
            continue
        if run.status == "running":
            clean = source.last_success_at is not None and source.last_success_at >= run.started_at
        else:
            entry = per_source.get(source.name)
            clean = entry is not None and not entry.get("error")
        if clean:
            starts.append(run.started_at)
    return sorted(starts)


def source_health(
    session: Session,
    configured: Sequence[SourceConfig] = (),
    *,
    window: int = 10,
    now: datetime | None = None,
) -> list[SourceHealth]:
    """Every configured source (config order), then every other stored source (by name), over the
    ``window`` newest runs. ``now`` is the silent rule's clock (the wall clock by default)."""
    now = as_utc(now) if now else utcnow()
    stored = {s.name: s for s in session.scalars(select(Source))}
    last_new = last_new_item_at(session)
    runs = _newest_runs(session, window)
    entries = [_per_source(r.counts) for r in runs]
    alerts = session.execute(
        select(Alert.id, Alert.source_id, Alert.created_at, Alert.reason)
        .where(Alert.kind == "silent_source", Alert.status == "open", Alert.source_id.is_not(None))
        .order_by(Alert.created_at.desc(), Alert.id.desc())
        .limit(MAX_OPEN_ALERTS)
    ).all()
    open_counts = dict(
        session.execute(
            select(Alert.source_id, func.count())
            .where(Alert.kind == "silent_source", Alert.status == "open", Alert.source_id.is_not(None))
            .group_by(Alert.source_id)
        ).all()
    )
    by_source: dict[int, list[SilentAlert]] = {}
    for alert_id, source_id, created_at, reason in alerts:
        kept = by_source.setdefault(source_id, [])
        if len(kept) < ALERTS_PER_SOURCE:
            kept.append(SilentAlert(id=alert_id, created_at=created_at, reason=reason))

    configs = {c.name: c for c in configured}
    names = list(configs) + sorted(n for n in stored if n not in configs)
    out = []
    for name in names:
        cfg, row = configs.get(name), stored.get(name)
        per_run = [_source_run(r, e.get(name)) for r, e in zip(runs, entries, strict=True)]
        skips: dict[str, int] = {}
        notes: dict[str, int] = {}
        for e in entries:
            for target, key in ((skips, "skipped"), (notes, "notes")):
                for reason, n in _reasons((e.get(name) or {}).get(key)).items():
                    target[reason] = target.get(reason, 0) + n
        enabled = cfg.enabled if cfg is not None else bool(row is not None and row.enabled)
        threshold = cfg.silent_after_hours if cfg is not None else None
        newest = last_new.get(row.id) if row is not None else None
        silent, quiet = False, None
        if row is not None:
            since = newest
            if since is None:
                starts = _clean_starts(runs, entries, row)
                since = starts[0] if len(starts) >= 2 else None
            if since is not None:
                quiet = max((now - since).total_seconds() / 3600, 0.0)
                silent = enabled and threshold is not None and quiet >= threshold
        out.append(
            SourceHealth(
                name=name,
                kind=cfg.kind if cfg is not None else (row.kind if row is not None else None),
                enabled=enabled,
                configured=cfg is not None,
                stored=row is not None,
                last_success_at=row.last_success_at if row is not None else None,
                last_error_at=row.last_error_at if row is not None else None,
                last_error=row.last_error if row is not None else None,
                last_item_count=row.last_item_count if row is not None else None,
                last_new_item_at=newest,
                silent_after_hours=threshold,
                silent=silent,
                quiet_hours=quiet,
                open_silent_count=open_counts.get(row.id, 0) if row is not None else 0,
                open_silent_alerts=by_source.get(row.id, []) if row is not None else [],
                runs=per_run,
                skip_reasons=dict(sorted(skips.items(), key=lambda kv: (-kv[1], kv[0]))),
                notes=dict(sorted(notes.items(), key=lambda kv: (-kv[1], kv[0]))),
            )
        )
    return out
