"""``pantau serve``: the monitoring flow as a Prefect deployment with one schedule per election stage.

A Prefect :class:`~prefect.runner.Runner` registers the deployment ``monitor/pantau-<region>``, with
one RRULE schedule per stage (:func:`pantau.domain.schedule.stage_schedules`: the stage's interval,
bounded by its dates, in the region's time zone), and executes its runs, each in its own process: a
run that crashes (killed, out of memory) cannot take the service down, and Prefect's ``on_crashed``
hook (flows/hooks.py) records it and raises an alert. Prefect's scheduler creates the runs, so the
Prefect UI shows the schedules and the upcoming runs. The service rereads the config file every poll:
an edited calendar, interval or source list updates the deployment's schedules and parameters at once
(Prefect replaces the upcoming runs). It starts one run at once, skips scheduled runs that fell due
while nobody served them (no backlog of missed runs), retries a failed or crashed run after
``retry_after`` when the next scheduled run is later than that, and sends pending notifications once
per batch window.

With a simulated :class:`~flows.clock.Clock` (tests) Prefect's scheduler cannot follow the clock, so
the schedules are registered inactive and the service decides itself when a run is due
(:func:`pantau.domain.schedule.next_run_at`, the same instants) and passes the simulated time as
``as_of``; a test runs an hour of the election through real Prefect runs in about a minute.

:meth:`MonitorService.request_stop` (``pantau serve`` calls it on SIGTERM or SIGINT) ends the service:
a run in progress is cancelled through Prefect (its process gets SIGTERM; every step commits whole, and
the flow records the run as failed with the reason), the runner stops, and :meth:`run` returns.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flows.clock import Clock, SystemClock
from pantau.domain.config import PantauConfig
from pantau.domain.schedule import interval_at, next_run_at, stage_schedules

FINAL_WAIT_POLL = 0.5
STOP_WAIT_SECONDS = 4.0  # how long a stop waits for a cancelled run to end before its process is killed
SHUTDOWN_MESSAGE = "pantau serve was stopped (SIGTERM/SIGINT) while the run was in progress"


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

    def parameters(self) -> dict[str, Any]:
        return {
            "database_url": self.database_url,
            "config": self.config,
            "model_dir": self.model_dir,
            "batch_size": self.batch_size,
        }


@dataclass(slots=True)
class ServedRun:
    """One run the service started or saw: when (service time), in which stage, and how it ended.

    ``state`` is Prefect's state type (COMPLETED, FAILED, CRASHED, CANCELLED, TIMED_OUT); ``state_name``
    its name, e.g. ``Partial`` for a completed run in which some sources failed."""

    flow_run_id: str
    as_of: datetime
    stage: str | None
    interval: timedelta
    state: str = "PENDING"
    state_name: str | None = None
    message: str | None = None


@dataclass(slots=True)
class ServiceLog:
    runs: list[ServedRun] = field(default_factory=list)
    config_errors: list[str] = field(default_factory=list)
    notifications: int = 0
    schedule_updates: int = 0
    skipped_missed: int = 0
    stopped_by_signal: bool = False


class MonitorService:
    """Serves ``monitor`` as a Prefect deployment scheduled per election stage.

    ``load_plan`` returns the current :class:`RunPlan` (it should reread the config file); ``until``
    (service time) or ``max_runs`` (finished runs) end the service, otherwise it runs until
    :meth:`request_stop`. ``scheduled`` (default: true with the system clock) chooses Prefect's
    scheduler over the service's own loop. ``before_run(as_of)`` is called before each run the service
    itself starts (tests use it to let sources grow).
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
        scheduled: bool | None = None,
        poll_seconds: float = 2.0,
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
        self.scheduled = isinstance(self.clock, SystemClock) if scheduled is None else scheduled
        self.poll_seconds = poll_seconds
        self.log = ServiceLog()
        self._plan: RunPlan | None = None
        self._registered: RunPlan | None = None
        self._runner: Any = None
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_requested = False

    # --- stopping ---------------------------------------------------------------------------------

    def request_stop(self) -> None:
        """Ask the service to stop (safe from a signal handler or another thread)."""
        self._stop_requested = True
        self.log.stopped_by_signal = True
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)

    @property
    def stopping(self) -> bool:
        return self._stop_requested

    async def _pause(self, seconds: float) -> None:
        """Sleep ``seconds`` of real time, or less when a stop is requested."""
        assert self._stop is not None
        try:
            await asyncio.wait_for(self._stop.wait(), timeout=max(0.0, seconds))
        except TimeoutError:
            pass

    # --- the service ------------------------------------------------------------------------------

    async def run(self) -> ServiceLog:
        from prefect.runner import Runner

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        if self._stop_requested:
            self._stop.set()
        plan = self._current_plan()
        self.name = self.deployment_name or f"pantau-{_slug(plan.region.region)}"
        runner = Runner(
            name=f"{self.name}-runner", query_seconds=self.query_seconds, limit=1, pause_on_shutdown=False
        )
        self._runner = runner
        deployment_id = await self._register(plan)
        self.on_event(
            "deployment",
            {
                "name": f"monitor/{self.name}",
                "id": str(deployment_id),
                "schedules": len(stage_schedules(plan.region, self.clock.now())),
                "scheduled": self.scheduled,
            },
        )
        from prefect.client.orchestration import get_client

        async with get_client() as client:
            if self.scheduled:
                await self._skip_missed_runs(client, deployment_id)
            runner_task = await self._start_runner(runner)
            try:
                if self.scheduled:
                    await self._scheduled_loop(client, deployment_id)
                else:
                    await self._clock_loop(client, deployment_id)
            finally:
                await self._shutdown(client, deployment_id, runner, runner_task)
        return self.log

    async def _start_runner(self, runner: Any) -> asyncio.Task:
        """Start the runner, keeping the caller's SIGTERM handler: Prefect's own would end the process
        with ``sys.exit`` (or stop the runner behind the service's back) instead of a clean stop."""
        main = threading.current_thread() is threading.main_thread()
        handler = signal.getsignal(signal.SIGTERM) if main else None
        task = asyncio.create_task(runner.start())
        await asyncio.sleep(0)  # runner.start() installs its handler before its first await
        if main and handler is not None:
            signal.signal(signal.SIGTERM, handler)
        return task

    async def _register(self, plan: RunPlan) -> Any:
        """Create or update the deployment: the plan's parameters and one schedule per stage."""
        from flows.monitor import monitor

        self._registered = plan
        return await self._runner.aadd_flow(
            monitor,
            name=self.name,
            schedules=self.schedules_for(plan),
            parameters=plan.parameters(),
            concurrency_limit=1,
            tags=["pantau"],
            description=(
                "Pantau monitoring run, scheduled per election stage (one RRULE schedule per stage, "
                "in the region's time zone) by `pantau serve`."
            ),
        )

    def schedules_for(self, plan: RunPlan) -> list[Any]:
        """Prefect schedules for the plan's calendar (inactive under a simulated clock)."""
        from prefect.schedules import Schedule

        region = plan.region
        return [
            Schedule(rrule=s.rrule, timezone=region.timezone, slug=s.slug, active=self.scheduled)
            for s in stage_schedules(region, self.clock.now())
        ]

    # --- Prefect's scheduler (system clock) --------------------------------------------------------

    async def _scheduled_loop(self, client: Any, deployment_id: Any) -> None:
        started = self.clock.now()
        seen: set[str] = set()
        await self._fill_schedule(client, deployment_id)
        first = await self._start_run(client, deployment_id, self._current_plan(), started, as_of=None)
        self.on_event("next_run", await self._next_run(client, deployment_id))
        last_dispatch = self.clock.now()
        while not self._stop_requested:
            plan = self._current_plan()
            if plan != self._registered:
                await self._register(plan)
                await self._fill_schedule(client, deployment_id)
                self.log.schedule_updates += 1
                self.on_event("schedule_updated", await self._next_run(client, deployment_id))
            for flow_run in await self._recent_runs(client, deployment_id, since=started):
                run_id = str(flow_run.id)
                if run_id in seen or flow_run.state is None:
                    continue
                served = self._served(run_id, flow_run, plan)
                if not flow_run.state.is_final():
                    if served.state == "PENDING" and flow_run.state.is_running():
                        served.state = "RUNNING"
                        if run_id != first.flow_run_id:
                            self.on_event("run_started", self._started_event(served))
                    continue
                seen.add(run_id)
                await self._until_released(flow_run.id)  # else stopping the runner marks it cancelled
                self._finish(served, flow_run.state)
                next_run = await self._next_run(client, deployment_id)
                if served.state in ("FAILED", "CRASHED", "TIMED_OUT") and not self._stop_requested:
                    due = self.clock.now() + self.retry_after
                    if next_run.get("at") is None or next_run["at"] > due:
                        await self._start_run(client, deployment_id, plan, due, as_of=None, at=due)
                        next_run = {**next_run, "at": due, "retry": True}
                self.on_event("next_run", next_run)
            if self.max_runs is not None and len(seen) >= self.max_runs:
                return
            if (self.clock.now() - last_dispatch) >= plan.region.notifications.batch_window:
                last_dispatch = self.clock.now()
                await self._notify(plan)
            await self._pause(self.poll_seconds)

    def _served(self, run_id: str, flow_run: Any, plan: RunPlan) -> ServedRun:
        for served in self.log.runs:
            if served.flow_run_id == run_id:
                return served
        when = flow_run.expected_start_time or self.clock.now()
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        region = plan.region
        served = ServedRun(
            flow_run_id=run_id, as_of=when, stage=region.stage_at(when), interval=interval_at(region, when)
        )
        self.log.runs.append(served)
        return served

    async def _recent_runs(self, client: Any, deployment_id: Any, *, since: datetime) -> list[Any]:
        from prefect.client.schemas.filters import (
            DeploymentFilter,
            DeploymentFilterId,
            FlowRunFilter,
            FlowRunFilterExpectedStartTime,
        )
        from prefect.client.schemas.sorting import FlowRunSort

        return await client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
            flow_run_filter=FlowRunFilter(
                expected_start_time=FlowRunFilterExpectedStartTime(
                    after_=since - timedelta(minutes=1), before_=self.clock.now() + timedelta(seconds=5)
                )
            ),
            sort=FlowRunSort.EXPECTED_START_TIME_ASC,
            limit=200,
        )

    async def _scheduled_runs(self, client: Any, deployment_id: Any, *, limit: int = 1) -> list[Any]:
        from prefect.client.schemas.filters import (
            DeploymentFilter,
            DeploymentFilterId,
            FlowRunFilter,
            FlowRunFilterState,
            FlowRunFilterStateType,
        )
        from prefect.client.schemas.objects import StateType
        from prefect.client.schemas.sorting import FlowRunSort

        return await client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))
            ),
            sort=FlowRunSort.EXPECTED_START_TIME_ASC,
            limit=limit,
        )

    async def _next_run(self, client: Any, deployment_id: Any) -> dict[str, Any]:
        """The stage in force and the next scheduled run (Prefect's, else the calendar's)."""
        region = self._current_plan().region
        now = self.clock.now()
        upcoming = [
            r for r in await self._scheduled_runs(client, deployment_id, limit=10) if r.auto_scheduled
        ]
        at = upcoming[0].expected_start_time if upcoming else None
        if at is None:
            at = next_run_at(region, now, now)
        return {"now": now, "stage": region.stage_at(now), "interval": interval_at(region, now), "at": at}

    async def _fill_schedule(self, client: Any, deployment_id: Any) -> None:
        """Ask the server to create the upcoming runs now, rather than at its scheduler's next loop
        (up to a minute later), so the UI and ``pantau serve`` show them at once."""
        try:
            await client._client.post(f"/deployments/{deployment_id}/schedule", json={})
        except Exception:  # noqa: BLE001 - the scheduler service does it anyway
            pass

    async def _skip_missed_runs(self, client: Any, deployment_id: Any) -> None:
        """Scheduled runs that fell due while no service ran them are marked cancelled ('Skipped'):
        the runner would otherwise work off the whole backlog at once. The service's first run
        takes their place."""
        from prefect.states import Cancelled

        now = self.clock.now()
        for flow_run in await self._scheduled_runs(client, deployment_id, limit=200):
            expected = flow_run.expected_start_time
            if expected is not None and expected < now:
                await client.set_flow_run_state(
                    flow_run.id,
                    Cancelled(name="Skipped", message="fell due while pantau serve was not running"),
                    force=True,
                )
                self.log.skipped_missed += 1

    # --- the service's own loop (simulated clock) --------------------------------------------------

    async def _clock_loop(self, client: Any, deployment_id: Any) -> None:
        last_run: datetime | None = None
        retry_at: datetime | None = None
        while not self._stop_requested:
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
            if self.before_run is not None:
                self.before_run(now)
            served = await self._start_run(client, deployment_id, plan, now, as_of=now)
            state = await self._wait_final(client, served.flow_run_id, region.schedule.run_timeout)
            if self._stop_requested and state is None:
                return
            await self._until_released(served.flow_run_id)
            self._finish(served, state, timeout=region.schedule.run_timeout)
            last_run = now
            retry_at = None if served.state == "COMPLETED" else now + self.retry_after
            if self.max_runs is not None and len(self.log.runs) >= self.max_runs:
                return

    async def _wait_final(self, client: Any, flow_run_id: Any, timeout: timedelta) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout.total_seconds()
        while loop.time() < deadline and not self._stop_requested:
            flow_run = await client.read_flow_run(flow_run_id)
            if flow_run.state is not None and flow_run.state.is_final():
                return flow_run.state
            await self._pause(FINAL_WAIT_POLL)
        return None

    async def _idle(self, plan: RunPlan, *, until: datetime) -> None:
        """Wait until ``until`` (service time) in steps no longer than the notification batch window
        and a minute, sending pending notifications on the way and rereading the config."""
        notifications = plan.region.notifications
        step = min(notifications.batch_window, timedelta(minutes=1)).total_seconds()
        remaining = (until - self.clock.now()).total_seconds()
        await self.clock.sleep(max(0.0, min(step, remaining)))
        await self._notify(plan)

    # --- shared -----------------------------------------------------------------------------------

    async def _start_run(
        self,
        client: Any,
        deployment_id: Any,
        plan: RunPlan,
        when: datetime,
        *,
        as_of: datetime | None,
        at: datetime | None = None,
    ) -> ServedRun:
        """Create a run of the deployment now (or scheduled ``at``); ``as_of`` is passed to the flow."""
        from prefect.states import Scheduled

        region = plan.region
        parameters = plan.parameters()
        if as_of is not None:
            parameters["as_of"] = as_of.isoformat()
        flow_run = await client.create_flow_run_from_deployment(
            deployment_id,
            parameters=parameters,
            tags=["pantau", f"stage:{region.stage_at(when) or 'none'}"],
            state=Scheduled(scheduled_time=at) if at is not None else None,
        )
        served = ServedRun(
            flow_run_id=str(flow_run.id),
            as_of=when,
            stage=region.stage_at(when),
            interval=interval_at(region, when),
        )
        self.log.runs.append(served)
        if at is None:
            self.on_event("run_started", self._started_event(served))
        return served

    def _started_event(self, served: ServedRun) -> dict[str, Any]:
        return {
            "as_of": served.as_of,
            "stage": served.stage,
            "interval": served.interval,
            "flow_run_id": served.flow_run_id,
        }

    def _finish(self, served: ServedRun, state: Any, timeout: timedelta | None = None) -> None:
        if state is None:
            served.state = "TIMED_OUT"
            served.message = f"no final state after {timeout.total_seconds() if timeout else 0:.0f} s"
        else:
            served.state = state.type.value
            served.state_name = state.name
            served.message = state.message
        self.on_event(
            "run_finished",
            {
                "as_of": served.as_of,
                "state": served.state,
                "state_name": served.state_name,
                "message": served.message,
                "flow_run_id": served.flow_run_id,
            },
        )

    async def _notify(self, plan: RunPlan) -> None:
        notifications = plan.region.notifications
        if notifications.webhook or notifications.telegram:
            self.log.notifications += await asyncio.to_thread(_dispatch, plan, self.clock.now())

    async def _until_released(self, flow_run_id: Any, timeout: float = 60.0) -> None:
        """Wait until the runner has let go of the run's process: a runner that stops while it still
        tracks a finished run would mark that run cancelled."""
        manager = getattr(self._runner, "_process_manager", None)
        if manager is None or not hasattr(manager, "flow_run_ids"):  # another Prefect version
            await asyncio.sleep(2)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while str(flow_run_id) in {str(i) for i in manager.flow_run_ids()} and loop.time() < deadline:
            await asyncio.sleep(0.2)

    async def _shutdown(
        self, client: Any, deployment_id: Any, runner: Any, runner_task: asyncio.Task
    ) -> None:
        """Cancel a run still in progress (when stopping early), then stop the runner."""
        if self._stop_requested:
            await self._cancel_in_flight(client)
            await self._kill_leftovers(client)
        await runner.astop()
        try:
            await asyncio.wait_for(runner_task, timeout=STOP_WAIT_SECONDS if self._stop_requested else 30)
        except (TimeoutError, asyncio.CancelledError, Exception):  # noqa: BLE001 - shutting down
            runner_task.cancel()

    async def _cancel_in_flight(self, client: Any) -> None:
        from prefect.states import Cancelling

        pending = [r for r in self.log.runs if r.state in ("PENDING", "RUNNING")]
        for served in pending:
            flow_run = await client.read_flow_run(served.flow_run_id)
            if flow_run.state is None or flow_run.state.is_final():
                continue
            if flow_run.state.is_scheduled():  # a retry not yet started: drop it
                from prefect.states import Cancelled

                await client.set_flow_run_state(flow_run.id, Cancelled(message=SHUTDOWN_MESSAGE), force=True)
                continue
            await client.set_flow_run_state(flow_run.id, Cancelling(message=SHUTDOWN_MESSAGE), force=True)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STOP_WAIT_SECONDS
        for served in pending:
            while loop.time() < deadline:
                flow_run = await client.read_flow_run(served.flow_run_id)
                if flow_run.state is None or flow_run.state.is_final():
                    if flow_run.state is not None:
                        served.state = flow_run.state.type.value
                        served.state_name = flow_run.state.name
                        served.message = flow_run.state.message
                    break
                await asyncio.sleep(0.2)

    async def _kill_leftovers(self, client: Any) -> None:
        """A cancelled run whose process did not end in time (a thread stuck in a slow fetch keeps it
        alive) is killed. Every step commits whole, so nothing is half-written; its Run record is
        closed as crashed (``storage.runs.mark_crashed_runs``: its process is gone) and its Prefect
        state set to Cancelled."""
        from prefect.states import Cancelled

        manager = getattr(self._runner, "_process_manager", None)
        if manager is None or not hasattr(manager, "flow_run_ids"):
            return
        killed = []
        for flow_run_id in list(manager.flow_run_ids()):
            try:
                await manager.kill(flow_run_id, force=True)
            except Exception:  # noqa: BLE001 - gone meanwhile
                continue
            killed.append(flow_run_id)
        for flow_run_id in killed:
            await client.set_flow_run_state(flow_run_id, Cancelled(message=SHUTDOWN_MESSAGE), force=True)
            for served in self.log.runs:
                if served.flow_run_id == str(flow_run_id):
                    served.state, served.state_name, served.message = (
                        "CANCELLED",
                        "Cancelled",
                        SHUTDOWN_MESSAGE,
                    )
        if killed and self._plan is not None:
            await asyncio.to_thread(_close_dead_runs, self._plan.database_url)

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


def _close_dead_runs(database_url: str) -> None:
    from sqlalchemy.orm import Session

    from flows.resources import engine_for
    from storage.runs import mark_crashed_runs

    with Session(engine_for(database_url)) as session, session.begin():
        mark_crashed_runs(session, stale_after=timedelta(days=365))


def _dispatch(plan: RunPlan, now: datetime) -> int:
    from flows.notify.dispatch import dispatch_safely

    return int(dispatch_safely(plan.database_url, plan.config, now=now).get("sent", 0))


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-") or "region"
