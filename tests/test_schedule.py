"""The stage calendar's run schedule (pure) and the duration syntax of the config."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from pantau.domain.config import PantauConfig
from pantau.domain.durations import format_duration, parse_duration
from pantau.domain.schedule import interval_at, next_run_at, stage_boundaries, stage_schedules

WIB = ZoneInfo("Asia/Jakarta")


def _config(**schedule) -> PantauConfig:
    return PantauConfig.model_validate(
        {
            "stages": [
                {"name": "campaign", "start": "2024-09-25", "end": "2024-11-23"},
                {"name": "quiet_period", "start": "2024-11-24", "end": "2024-11-26"},
                {"name": "voting_day", "start": "2024-11-27", "end": "2024-11-27"},
                {"name": "disputes", "start": "2024-12-17", "end": "2025-03-31"},
            ],
            "schedule": {
                "default_interval": "2h",
                "stage_intervals": {
                    "campaign": "1h",
                    "quiet_period": "10m",
                    "voting_day": "5m",
                    "post_election": "1d",
                },
                **schedule,
            },
        }
    )


def _wib(*args) -> datetime:
    return datetime(*args, tzinfo=WIB)


def test_first_run_is_due_at_once():
    now = _wib(2024, 10, 1, 9, 17)
    assert next_run_at(_config(), None, now) == now


@pytest.mark.parametrize(
    ("last", "due"),
    [
        (_wib(2024, 10, 1, 9, 0), _wib(2024, 10, 1, 10, 0)),  # campaign: hourly
        (_wib(2024, 11, 23, 23, 30), _wib(2024, 11, 24, 0, 0)),  # the quiet period starts on time
        (_wib(2024, 11, 24, 0, 0), _wib(2024, 11, 24, 0, 10)),  # then every 10 minutes
        (_wib(2024, 11, 26, 23, 58), _wib(2024, 11, 27, 0, 0)),  # voting day starts on time
        (_wib(2024, 11, 27, 12, 0), _wib(2024, 11, 27, 12, 5)),  # every 5 minutes on voting day
        (_wib(2024, 11, 27, 23, 57), _wib(2024, 11, 28, 0, 0)),  # a gap in the calendar: boundary
        (_wib(2024, 11, 28, 9, 0), _wib(2024, 11, 28, 9, 5)),  # gap: the last stage's interval holds
        (_wib(2025, 4, 5, 9, 0), _wib(2025, 4, 6, 9, 0)),  # after the calendar: daily
    ],
)
def test_next_run(last, due):
    assert next_run_at(_config(), last, last + timedelta(seconds=1)) == due


def test_a_late_service_runs_at_once_and_never_twice_for_one_slot():
    config = _config()
    last = _wib(2024, 10, 1, 9, 0)
    late = _wib(2024, 10, 1, 13, 42)
    assert next_run_at(config, last, late) < late  # overdue: the caller runs now
    assert next_run_at(config, late, late) == late + timedelta(hours=1)


def test_boundaries_are_local_midnights_in_utc():
    bounds = stage_boundaries(_config())
    assert bounds[0] == datetime(2024, 9, 24, 17, 0, tzinfo=UTC)  # 25 Sep 00:00 WIB
    assert datetime(2024, 11, 23, 17, 0, tzinfo=UTC) in bounds  # 24 Nov 00:00 WIB
    assert bounds == sorted(set(bounds))


def test_interval_at_uses_default_for_unlisted_and_outside_stages():
    config = _config()
    assert interval_at(config, _wib(2025, 1, 5, 12, 0)) == timedelta(hours=2)  # disputes not listed
    assert interval_at(config, _wib(2024, 1, 5, 12, 0)) == timedelta(hours=2)  # pre_election not listed
    assert interval_at(config, _wib(2024, 11, 25, 12, 0)) == timedelta(minutes=10)


def test_without_a_calendar_the_default_interval_applies():
    config = PantauConfig.model_validate({"schedule": {"default_interval": "45m"}})
    last = _wib(2024, 10, 1, 9, 0)
    assert next_run_at(config, last, last) == last + timedelta(minutes=45)


def test_stage_intervals_must_name_known_stages():
    with pytest.raises(ValidationError, match="schedule.stage_intervals.kampanye: 'kampanye' is not one of"):
        _config(stage_intervals={"kampanye": "1h"})


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("10m", 600),
        ("1h", 3600),
        ("1d", 86400),
        ("1h30m", 5400),
        ("2w", 1209600),
        ("90", 90),
        (45, 45),
        ("1.5h", 5400),
        (" 10 M ", 600),
    ],
)
def test_durations(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("bad", ["soon", "10x", "", "-5m", 0, "h", True, None])
def test_bad_durations_name_the_forms(bad):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(bad)


def test_durations_round_trip_through_the_config():
    dumped = _config().model_dump(mode="json")["schedule"]
    assert dumped["stage_intervals"]["quiet_period"] == "10m" and dumped["default_interval"] == "2h"
    assert format_duration(timedelta(seconds=5405)) == "1h30m5s"
    assert PantauConfig.model_validate({**_config().model_dump(mode="json")}) == _config()


def _occurrences(schedules, tz: str, start: datetime, end: datetime) -> list[datetime]:
    """Every instant the RRULEs give between ``start`` and ``end``, read the way Prefect reads them
    (prefect.client.schemas.schedules.RRuleSchedule: rule times are local times of ``tz``)."""
    from prefect.client.schemas.schedules import RRuleSchedule

    instants = set()
    for s in schedules:
        rule = RRuleSchedule(rrule=s.rrule, timezone=tz).to_rrule()
        instants.update(t.astimezone(UTC) for t in rule.between(start, end, inc=True))
    return sorted(instants)


def test_stage_schedules_give_the_instants_of_the_service_loop():
    """The Prefect schedules and `next_run_at` (the simulated-clock loop) run at the same instants,
    through every stage change of the calendar, gap included (voting day -> disputes)."""
    config = _config()
    now = datetime(2024, 9, 1, tzinfo=UTC)
    schedules = stage_schedules(config, now)
    assert [s.stage for s in schedules] == [
        "pre_election",
        "campaign",
        "quiet_period",
        "voting_day",
        "disputes",
        "post_election",
    ]
    start = schedules[0].start.astimezone(UTC)
    end = datetime(2025, 4, 5, tzinfo=UTC)
    expected = [start]
    while True:
        due = next_run_at(config, expected[-1], expected[-1])
        if due > end:
            break
        expected.append(due)
    assert _occurrences(schedules, config.timezone, start, end) == expected


def test_stage_schedules_are_bounded_by_the_stage_dates_in_local_time():
    config = _config()
    by_stage = {s.stage: s for s in stage_schedules(config, datetime(2024, 9, 1, tzinfo=UTC))}
    assert by_stage["quiet_period"].rrule == (
        "DTSTART:20241124T000000\nRRULE:FREQ=MINUTELY;INTERVAL=10;UNTIL=20241126T235959"
    )
    # the gap after voting day belongs to voting day, as stage_at says
    assert by_stage["voting_day"].until == datetime(2024, 12, 16, 23, 59, 59, tzinfo=WIB)
    assert "UNTIL" not in by_stage["post_election"].rrule
    # pre-election runs land on whole intervals before the campaign's first midnight, from now on
    pre = by_stage["pre_election"]
    assert pre.start <= datetime(2024, 9, 1, tzinfo=UTC) < pre.start + pre.interval
    assert (by_stage["campaign"].start - pre.start) % pre.interval == timedelta(0)


def test_past_pre_election_is_left_out_and_no_calendar_gives_one_schedule():
    stages = [s.stage for s in stage_schedules(_config(), datetime(2024, 10, 1, tzinfo=UTC))]
    assert stages[0] == "campaign"
    bare = PantauConfig.model_validate({"schedule": {"default_interval": "90s"}})
    [only] = stage_schedules(bare, datetime(2024, 10, 1, 5, tzinfo=UTC))
    assert only.stage == "default" and only.until is None
    assert only.rrule == "DTSTART:20241001T000000\nRRULE:FREQ=SECONDLY;INTERVAL=90"
