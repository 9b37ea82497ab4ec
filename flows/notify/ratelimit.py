"""A token bucket per channel: at most ``per_minute`` messages in any minute, bursts up to that many.

The clock is injected (``now()`` returning seconds on a monotonic scale, ``sleep(seconds)``), so tests
advance a fake clock instead of sleeping. The dispatcher starts a bucket in debt by the messages the
channel already sent in the last minute (read from the outbox), so the limit holds across runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class SystemClock:
    """The real clock: ``time.monotonic`` and ``time.sleep``."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class TokenBucket:
    """``per_minute`` tokens, refilled continuously; one token per message."""

    def __init__(
        self,
        per_minute: int,
        now: Callable[[], float],
        sleep: Callable[[float], None],
        *,
        already_used: int = 0,
    ):
        if per_minute < 1:
            raise ValueError(f"per_minute must be at least 1, got {per_minute}")
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # tokens per second
        self._now = now
        self._sleep = sleep
        self._tokens = max(0.0, self.capacity - already_used)
        self._at = now()
        self.waited = 0.0

    def _refill(self) -> None:
        t = self._now()
        self._tokens = min(self.capacity, self._tokens + (t - self._at) * self.rate)
        self._at = t

    def wait_needed(self) -> float:
        """Seconds until a token is free (0 when one is)."""
        self._refill()
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate

    def acquire(self, max_wait: float | None = None) -> bool:
        """Take a token, sleeping until one is free; False (none taken) if that needs over ``max_wait``."""
        wait = self.wait_needed()
        if wait > 0:
            if max_wait is not None and wait > max_wait:
                return False
            self._sleep(wait)
            self.waited += wait
            self._refill()
        self._tokens = max(0.0, self._tokens - 1)
        return True

    def pause(self, seconds: float) -> None:
        """Sleep ``seconds`` (a receiver's ``retry_after``) and start again from an empty bucket."""
        self._sleep(seconds)
        self.waited += seconds
        self._refill()
        self._tokens = 0.0
