"""When the next monitoring run is due, from the election calendar (pure: no clock, no I/O).

The interval follows the stage in force (``schedule.stage_intervals``): hourly in the campaign, every 10
minutes in the quiet period, and so on. A stage boundary never waits for the old, slower interval: a
run falls due at the first moment of the new stage, and from there on the new stage's interval applies.
The caller passes the current time, so a simulated clock runs through an election in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pantau.domain.config import PantauConfig


def stage_boundaries(config: PantauConfig) -> list[datetime]:
    """The instants (UTC) at which the stage in force changes: each stage's first local midnight and
    the midnight after its last day, sorted, without repeats."""
    tz = ZoneInfo(config.timezone)
    points = set()
    for stage in config.stages:
        points.add(datetime.combine(stage.start, time.min, tz).astimezone(UTC))
        points.add(datetime.combine(stage.end + timedelta(days=1), time.min, tz).astimezone(UTC))
    return sorted(points)


def interval_at(config: PantauConfig, when: datetime) -> timedelta:
    """The run interval of the stage in force at ``when``."""
    return config.schedule.interval_for(config.stage_at(when))


def next_run_at(config: PantauConfig, last_run: datetime | None, now: datetime) -> datetime:
    """When the next run is due: ``now`` if none ran yet, else one interval (of the stage in force at
    the last run) after it, or the next stage boundary if that comes first."""
    if last_run is None:
        return now
    due = last_run + interval_at(config, last_run)
    for boundary in stage_boundaries(config):
        if last_run < boundary < due:
            return boundary
    return due


@dataclass(frozen=True, slots=True)
class StageSchedule:
    """One stretch of the calendar with one run interval, as an iCalendar RRULE (RFC 5545).

    ``start`` and ``until`` are local times in the region's zone (``until`` inclusive, None: open
    ended); ``rrule`` holds the same as ``DTSTART``/``UNTIL`` without a zone, which is how Prefect's
    ``RRuleSchedule`` reads them together with its ``timezone``."""

    slug: str
    stage: str
    start: datetime
    until: datetime | None
    interval: timedelta
    rrule: str


def stage_schedules(config: PantauConfig, now: datetime) -> list[StageSchedule]:
    """The election calendar as one schedule per stage: the first run of a stage falls on its first
    local midnight and the next ones every interval of that stage, until the next stage begins (a gap
    between stages belongs to the stage before it, as :meth:`PantauConfig.stage_at` says).

    ``pre_election`` (before the first stage) starts at the latest instant at or before ``now`` that is
    a whole number of its intervals before the first stage, so its runs land on the first stage's
    midnight too; ``post_election`` starts the midnight after the last stage and never ends. Without
    a calendar there is one schedule, ``default``, every ``default_interval`` from today's local
    midnight. The same instants as :func:`next_run_at` when every run starts on time."""
    tz = ZoneInfo(config.timezone)
    local_now = now.astimezone(tz) if now.tzinfo else now.replace(tzinfo=UTC).astimezone(tz)
    schedule = config.schedule
    if not config.stages:
        midnight = datetime.combine(local_now.date(), time.min, tz)
        return [_stage_schedule("default", midnight, None, schedule.default_interval)]
    ordered = sorted(config.stages, key=lambda s: s.start)
    starts = [datetime.combine(s.start, time.min, tz) for s in ordered]
    result = []
    pre = schedule.interval_for("pre_election")
    steps_back = max(0, -(-(starts[0] - local_now) // pre))  # ceil: the first aligned start <= now
    result.append(_stage_schedule("pre_election", starts[0] - steps_back * pre, starts[0], pre))
    for i, stage in enumerate(ordered):
        end = (
            starts[i + 1]
            if i + 1 < len(ordered)
            else datetime.combine(stage.end + timedelta(days=1), time.min, tz)
        )
        result.append(_stage_schedule(stage.name, starts[i], end, schedule.interval_for(stage.name)))
    after = datetime.combine(ordered[-1].end + timedelta(days=1), time.min, tz)
    result.append(_stage_schedule("post_election", after, None, schedule.interval_for("post_election")))
    return [s for s in result if s.until is None or s.until >= s.start]


def _stage_schedule(stage: str, start: datetime, end: datetime | None, interval: timedelta) -> StageSchedule:
    until = end - timedelta(seconds=1) if end is not None else None  # RRULE's UNTIL is inclusive
    seconds = max(1, int(interval.total_seconds()))
    for unit, freq in ((86400, "DAILY"), (3600, "HOURLY"), (60, "MINUTELY"), (1, "SECONDLY")):
        if seconds % unit == 0:
            rule = f"FREQ={freq};INTERVAL={seconds // unit}"
            break
    if until is not None:
        rule += f";UNTIL={until:%Y%m%dT%H%M%S}"
    text = f"DTSTART:{start:%Y%m%dT%H%M%S}\nRRULE:{rule}"
    return StageSchedule(
        slug=f"stage-{stage.replace('_', '-')}",
        stage=stage,
        start=start,
        until=until,
        interval=timedelta(seconds=seconds),
        rrule=text,
    )
