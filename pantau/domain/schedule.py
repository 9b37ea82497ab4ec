"""When the next monitoring run is due, from the election calendar (pure: no clock, no I/O).

The interval follows the stage in force (``schedule.stage_intervals``): hourly in the campaign, every 10
minutes in the quiet period, and so on. A stage boundary never waits for the old, slower interval: a
run falls due at the first moment of the new stage, and from there on the new stage's interval applies.
The caller passes the current time, so a simulated clock runs through an election in seconds.
"""

from __future__ import annotations

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
