"""Prefect state hooks of the monitoring flow: a failed or crashed run raises a ``run_failed`` alert.

Prefect calls :func:`on_run_failure` when a ``monitor`` flow run fails (in the run's process) or
crashes (in the process that served it, e.g. ``pantau serve``, when the run's process was killed).
The hook closes the run's record, raises a high-severity alert for the partners on duty, and pushes
it through the configured notification channels (webhook, Telegram). A hook never raises: a broken
database or channel is logged, not allowed to mask the run's own failure.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from flows.notify.dispatch import dispatch_safely
from flows.resources import engine_for
from pantau.domain.config import PantauConfig
from storage.alerts import raise_alert
from storage.runs import end_flow_run

_log = logging.getLogger(__name__)


def on_run_failure(flow: Any, flow_run: Any, state: Any) -> None:
    """Record the failure and alert (Prefect ``on_failure`` / ``on_crashed`` hook)."""
    try:
        alert_id = record_run_failure(
            dict(flow_run.parameters or {}),
            str(flow_run.id),
            flow_run.name,
            crashed=state.is_crashed(),
            message=state.message or state.name,
        )
    except Exception:  # noqa: BLE001 - a hook must not raise
        _log.exception("could not record the failure of flow run %s", getattr(flow_run, "id", "?"))
        return
    if alert_id is not None:
        parameters = dict(flow_run.parameters or {})
        dispatch_safely(parameters["database_url"], parameters.get("config") or {})


def record_run_failure(
    parameters: dict[str, Any],
    flow_run_id: str,
    name: str,
    *,
    crashed: bool,
    message: str,
    now: datetime | None = None,
) -> int | None:
    """Close the run's record and raise its ``run_failed`` alert (once per flow run); returns the
    new alert's id, or None when it existed already or the parameters name no database."""
    database_url = parameters.get("database_url")
    if not database_url:
        return None
    region = PantauConfig.model_validate(parameters.get("config") or {})
    as_of = _as_of(parameters.get("as_of")) or now or datetime.now(UTC)
    status = "crashed" if crashed else "failed"
    with Session(engine_for(database_url)) as session, session.begin():
        runs = end_flow_run(session, flow_run_id, status=status, error=message)
        alert_id, created = raise_alert(
            session,
            kind="run_failed",
            severity="high",
            reason=f"monitoring run {name} {status}: {message}"[:2000],
            dedupe_key=f"run_failed:{flow_run_id}",
            stage=region.stage_at(as_of),
            details={
                "flow_run_id": flow_run_id,
                "flow_run_name": name,
                "status": status,
                "message": message[:2000],
                "runs": runs,
                "as_of": as_of.isoformat(),
            },
        )
    return alert_id if created else None


def _as_of(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
