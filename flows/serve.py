"""``pantau serve``: the monitoring flow as a Prefect deployment, run on the election calendar.

A Prefect :class:`~prefect.runner.Runner` registers the deployment ``monitor/pantau-<region>`` and
executes its runs, each in its own process: a run that crashes (killed, out of memory) cannot take the
service down, and Prefect's ``on_crashed`` hook (flows/hooks.py) records it and raises an alert. The
service's own loop decides when a run is due (:func:`pantau.domain.schedule.next_run_at`): it rereads
the config file before every decision, so a stage change, or an edited calendar or interval, takes
effect without a restart. A failed or crashed run is retried after ``retry_after`` rather than a whole
interval later. Between runs, pending notifications go out once per batch window.

Time comes from a :class:`~flows.clock.Clock`; with a simulated clock a test runs an hour of the
election through real Prefect runs in about a minute (each run gets the simulated time as ``as_of``).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flows.clock import Clock, SystemClock
from pantau.domain.config import PantauConfig
from pantau.domain.schedule import interval_at, next_run_at

FINAL_WAIT_POLL = 0.5


@dataclass(frozen=True, slots=True)
class RunPlan:
    """What the service needs to start one run, read fresh from the settings before each run."""

    database_url: str
    config: dict[str, Any]
    model_dir: str | None
    batch_size: int

    @property
    def region(self) -> PantauConfig:
        return PantauConfig.model_validate(self.config)


@dataclass(slots=True)
class ServedRun:
    """One run the service started: when (service time), in which stage, and how it ended."""

    flow_run_id: str
    as_of: datetime
    stage: str | None
    interval: timedelta
    state: str = "PENDING"
    message: str | None = None


@dataclass(slots=True)
class ServiceLog:
    runs: list[ServedRun] = field(default_factory=list)
    config_errors: list[str] = field(default_factory=list)
    notifications: int = 0


class MonitorService:
    """Runs ``monitor`` through a Prefect deployment whenever the stage calendar says it is due.

    ``load_plan`` returns the current :class:`RunPlan` (it should reread the config file); ``until``
    (service time) or ``max_runs`` end the service, otherwise it runs until cancelled.
    ``before_run(as_of)`` is called before each run is started (tests use it to let sources grow).
    """

    def __init__(
        self,
        load_plan: Callable[[], RunPlan],
        *,
        clock: Clock | None = None,
        until: datetime | None = None,
        max_runs: int | None = None,
        retry_after: timedelta = timedelta(minutes=1),
        before_run: Callable[[datetime], None] | None = None,
        on_event: Callable[[str, dict[str, Any]], None] | None = None,
        deployment_name: str | None = None,
        query_seconds: float = 1.0,
    ):
        self.load_plan = load_plan
        self.clock = clock or SystemClock()
        self.until = until
        self.max_runs = max_runs
        self.retry_after = retry_after
        self.before_run = before_run
        self.on_event = on_event or (lambda event, data: None)
        self.deployment_name = deployment_name
        self.query_seconds = query_seconds
        self.log = ServiceLog()
        self._plan: RunPlan | None = None
        self._runner: Any = None

    # --- the loop ---------------------------------------------------------------------------------

    async def run(self) -> ServiceLog:
        from prefect.runner import Runner

        from flows.monitor import monitor

        plan = self._current_plan()
        name = self.deployment_name or f"pantau-{_slug(plan.region.region)}"
        runner = Runner(
            name=f"{name}-runner", query_seconds=self.query_seconds, limit=1, pause_on_shutdown=False
        )
        deployment_id = await runner.aadd_flow(
            monitor,
            name=name,
            concurrency_limit=1,
            tags=["pantau"],
            description="Pantau monitoring run; scheduled by `pantau serve` on the stage calendar.",
        )
        self.on_event("deployment", {"name": f"monitor/{name}", "id": str(deployment_id)})
        runner_task = asyncio.create_task(runner.start())
        self._runner = runner
        try:
            await self._loop(deployment_id)
        finally:
            await runner.astop()
            try:
                await asyncio.wait_for(runner_task, timeout=30)
            except (TimeoutError, asyncio.CancelledError, Exception):  # noqa: BLE001 - shutting down
                runner_task.cancel()
        return self.log

    async def _loop(self, deployment_id: Any) -> None:
        from prefect.client.orchestration import get_client

        last_run: datetime | None = None
        retry_at: datetime | None = None
        async with get_client() as client:
            while True:
                plan = self._current_plan()
                region = plan.region
                now = self.clock.now()
                due = next_run_at(region, last_run, now)
                if retry_at is not None:
                    due = min(due, retry_at)
                if self.until is not None and due >= self.until:
                    return
                if now < due:
                    await self._idle(plan, until=due)
                    continue
                served = await self._run_once(client, deployment_id, plan, now)
                last_run = now
                retry_at = None if served.state == "COMPLETED" else now + self.retry_after
                if self.max_runs is not None and len(self.log.runs) >= self.max_runs:
                    return

    async def _run_once(self, client: Any, deployment_id: Any, plan: RunPlan, now: datetime) -> ServedRun:
        region = plan.region
        if self.before_run is not None:
            self.before_run(now)
        flow_run = await client.create_flow_run_from_deployment(
            deployment_id,
            parameters={
                "database_url": plan.database_url,
                "config": plan.config,
                "model_dir": plan.model_dir,
                "batch_size": plan.batch_size,
                "as_of": now.isoformat(),
            },
            tags=["pantau", f"stage:{region.stage_at(now) or 'none'}"],
        )
        served = ServedRun(
            flow_run_id=str(flow_run.id),
            as_of=now,
            stage=region.stage_at(now),
            interval=interval_at(region, now),
        )
        self.log.runs.append(served)
        self.on_event(
            "run_started",
            {
                "as_of": now,
                "stage": served.stage,
                "interval": served.interval,
                "flow_run_id": served.flow_run_id,
            },
        )
        timeout = region.schedule.run_timeout.total_seconds()
        state = await _wait_final(client, flow_run.id, timeout)
        await self._until_released(flow_run.id)
        served.state = state.type.value if state is not None else "TIMED_OUT"
        served.message = state.message if state is not None else f"no final state after {timeout:.0f} s"
        self.on_event(
            "run_finished",
            {
                "as_of": now,
                "state": served.state,
                "message": served.message,
                "flow_run_id": served.flow_run_id,
            },
        )
        return served

    async def _until_released(self, flow_run_id: Any, timeout: float = 60.0) -> None:
        """Wait until the runner has let go of the run's process: a runner that stops while it still
        tracks a finished run would mark that run cancelled."""
        manager = getattr(self._runner, "_process_manager", None)
        if manager is None or not hasattr(manager, "flow_run_ids"):  # another Prefect version
            await asyncio.sleep(2)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while flow_run_id in manager.flow_run_ids() and loop.time() < deadline:
            await asyncio.sleep(0.2)

    async def _idle(self, plan: RunPlan, *, until: datetime) -> None:
        """Wait until ``until`` (service time) in steps no longer than the notification batch window
        and a minute, sending pending notifications on the way and rereading the config."""
        notifications = plan.region.notifications
        step = min(notifications.batch_window, timedelta(minutes=1)).total_seconds()
        remaining = (until - self.clock.now()).total_seconds()
        await self.clock.sleep(max(0.0, min(step, remaining)))
        if notifications.webhook or notifications.telegram:
            self.log.notifications += await asyncio.to_thread(_dispatch, plan, self.clock.now())

    def _current_plan(self) -> RunPlan:
        """The freshest valid plan; a broken config file keeps the last good one (and is reported)."""
        try:
            plan = self.load_plan()
            plan.region  # noqa: B018 - validates the config
        except Exception as exc:  # noqa: BLE001 - keep monitoring on the last good config
            if self._plan is None:
                raise
            message = f"{type(exc).__name__}: {exc}"
            if not self.log.config_errors or self.log.config_errors[-1] != message:
                self.log.config_errors.append(message)
                self.on_event("config_error", {"error": message})
            return self._plan
        self._plan = plan
        return plan


async def _wait_final(client: Any, flow_run_id: Any, timeout: float) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        flow_run = await client.read_flow_run(flow_run_id)
        if flow_run.state is not None and flow_run.state.is_final():
            return flow_run.state
        await asyncio.sleep(FINAL_WAIT_POLL)
    return None


def _dispatch(plan: RunPlan, now: datetime) -> int:
    from flows.notify.dispatch import dispatch_safely

    return int(dispatch_safely(plan.database_url, plan.config, now=now).get("sent", 0))


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-") or "region"


def ensure_prefect_api() -> Any:
    """Point Prefect at a server: ``$PREFECT_API_URL`` if set, else a local server started here (its
    database: ``$PREFECT_API_DATABASE_CONNECTION_URL``, by default SQLite under ``~/.prefect``).
    Returns the started server (stop it on exit) or None."""
    from prefect.settings import PREFECT_API_URL

    if os.environ.get("PREFECT_API_URL") or PREFECT_API_URL.value():
        return None
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start(timeout=int(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")))
    os.environ["PREFECT_API_URL"] = server.api_url  # the runs' processes inherit it
    return server
