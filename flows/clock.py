"""Clocks for the scheduler: the system clock, and a simulated one that runs election time fast.

``SimulatedClock`` starts at a given instant and moves only when someone sleeps on it (each sleep
advances it by the time asked, after a short real pause), so a test can drive an hour of an election
through ``pantau serve`` in a minute, with the real Prefect runs in between.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """Real time (UTC)."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class SimulatedClock:
    """Time that advances by exactly what is slept, after ``real_pause`` seconds of real time."""

    def __init__(self, start: datetime, real_pause: float = 0.05):
        if start.tzinfo is None:
            raise ValueError("the simulated clock needs an aware start time")
        self._now = start.astimezone(UTC)
        self.real_pause = real_pause

    def now(self) -> datetime:
        return self._now

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(self.real_pause)
        self._now += timedelta(seconds=max(0.0, seconds))
