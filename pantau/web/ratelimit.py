"""Sliding-window counters with bounded memory, for the sign-in, API and tipline limits.

Each key (a username, a client address, a token) keeps the times of its recent hits, at most ``limit``
of them (more are never needed to say "over the limit"). Keys whose last hit left the window are
dropped as the counter is used, and at most ``max_keys`` keys are kept: past that, the keys hit least
recently go first. Memory is therefore bounded by ``max_keys * limit`` timestamps whatever the
traffic (random usernames included), at the price that under a flood of distinct keys the oldest
ones are forgotten early, which only ever makes the limit more lenient for them.

Written here rather than taken from a library: the ``limits`` package's memory storage expires keys
only by time (a flood of distinct keys inside one window still grows without bound) and runs a timer
thread; this is one small class with no thread, tested in tests/web/test_ratelimit.py.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable


class SlidingWindow:
    """Hits per key within the last ``window_s`` seconds, remembering at most ``max_keys`` keys."""

    def __init__(
        self,
        window_s: float,
        limit: int,
        *,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ):
        if window_s <= 0 or limit < 1 or max_keys < 1:
            raise ValueError("window_s > 0, limit >= 1 and max_keys >= 1 are required")
        self.window_s = window_s
        self.limit = limit
        self.max_keys = max_keys
        self.clock = clock
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()  # least recently hit first

    def __len__(self) -> int:
        return len(self._hits)

    def _expire(self, now: float) -> None:
        while self._hits:
            key, hits = next(iter(self._hits.items()))
            if hits and now - hits[-1] <= self.window_s:
                break
            del self._hits[key]

    def count(self, key: str) -> int:
        """Hits of ``key`` within the window (at most ``limit``)."""
        now = self.clock()
        self._expire(now)
        hits = self._hits.get(key)
        if not hits:
            return 0
        while hits and now - hits[0] > self.window_s:
            hits.popleft()
        return len(hits)

    def over(self, key: str) -> bool:
        """Whether ``key`` reached the limit within the window."""
        return self.count(key) >= self.limit

    def hit(self, key: str) -> int:
        """Record one hit of ``key``; returns its count within the window."""
        now = self.clock()
        self._expire(now)
        hits = self._hits.pop(key, None)
        if hits is None:
            hits = deque(maxlen=self.limit)
        hits.append(now)
        self._hits[key] = hits  # now the most recently hit
        while len(self._hits) > self.max_keys:
            self._hits.popitem(last=False)
        while hits and now - hits[0] > self.window_s:
            hits.popleft()
        return len(hits)

    def reset(self, key: str) -> None:
        """Forget ``key`` (e.g. a successful sign-in clears that username's failures)."""
        self._hits.pop(key, None)
