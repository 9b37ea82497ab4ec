"""Being a polite client: cache validators, robots.txt rules, per-host pacing and Retry-After.

Pure helpers used by :class:`sources.http.HttpFetcher`; nothing here does network I/O itself
(robots.txt bytes are fetched by the fetcher and handed to :func:`parse_robots`), and time comes from
injected clocks so every rule is testable without waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser


@runtime_checkable
class ValidatorStore(Protocol):
    """Where the ETag / Last-Modified of each fetched URL are kept between fetches.

    The default is in memory (one fetcher's lifetime); a flow may pass a persistent one.
    """

    def get(self, url: str) -> tuple[str | None, str | None]:
        """``(etag, last_modified)`` of the last successful fetch of ``url``, ``(None, None)`` if none."""
        ...

    def put(self, url: str, etag: str | None, last_modified: str | None) -> None:
        """Remember the validators of a successful fetch of ``url``."""
        ...


class MemoryValidatorStore:
    """A :class:`ValidatorStore` in a dict."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[str | None, str | None]] = {}

    def get(self, url: str) -> tuple[str | None, str | None]:
        return self._data.get(url, (None, None))

    def put(self, url: str, etag: str | None, last_modified: str | None) -> None:
        if etag or last_modified:
            self._data[url] = (etag, last_modified)
        else:
            self._data.pop(url, None)


def conditional_headers(store: ValidatorStore, url: str) -> dict[str, str]:
    """``If-None-Match`` / ``If-Modified-Since`` for ``url`` from the store (may be empty)."""
    etag, last_modified = store.get(url)
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def host_key(url: str) -> str:
    """``scheme://host:port`` of a URL, lower-cased: the unit of robots.txt and of pacing."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def robots_url(url: str) -> str:
    return host_key(url) + "/robots.txt"


def parse_robots(status: int | None, content: bytes) -> RobotFileParser:
    """Rules from a robots.txt response. ``status`` None means it could not be fetched at all.

    2xx -> its rules; any other outcome (4xx "no robots.txt", 5xx, network error) -> allow all.
    RFC 9309 asks for "disallow all" on 5xx; we deliberately allow, because the page fetch that
    follows fails on its own when the site is down, and one robots.txt glitch should not silence a
    source for the fetcher's lifetime (see docs/sources.md).
    """
    parser = RobotFileParser()
    if status is not None and 200 <= status < 300:
        parser.parse(content.decode("utf-8", errors="replace").splitlines())
    else:
        parser.allow_all = True
    parser.modified()
    return parser


def retry_after_seconds(value: str | None, *, now: Callable[[], float]) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP-date); None if absent
    or unparseable. ``now`` gives wall-clock epoch seconds (only used for the date form)."""
    if not value or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now())


class HostPacer:
    """Keeps at least ``min_interval`` seconds between the starts of two requests to one host."""

    def __init__(self, min_interval: float, *, clock: Callable[[], float], sleep: Callable[[float], None]):
        self.min_interval = min_interval
        self._clock, self._sleep = clock, sleep
        self._last: dict[str, float] = {}

    def wait(self, url: str) -> None:
        host = host_key(url)
        last = self._last.get(host)
        if last is not None and self.min_interval > 0:
            delay = last + self.min_interval - self._clock()
            if delay > 0:
                self._sleep(delay)
        self._last[host] = self._clock()
