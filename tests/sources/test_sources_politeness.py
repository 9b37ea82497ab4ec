"""Polite fetching: conditional GET, Retry-After, per-host pacing, robots.txt, redirect loops, size cap.

Unit tests on httpx.MockTransport with injected clocks, then the real local server of conftest.py.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from pantau.domain.config import HttpConfig, SourceConfig
from pantau.domain.errors import FetchError
from sources import collect_source
from sources.http import HttpFetcher
from sources.politeness import MemoryValidatorStore, ValidatorStore, parse_robots, retry_after_seconds

WALL = datetime(2024, 11, 27, 6, 0, tzinfo=UTC).timestamp()


class FakeTime:
    """A clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _polite(handler, fake: FakeTime | None = None, **kwargs) -> HttpFetcher:
    fake = fake or FakeTime()
    return HttpFetcher(
        HttpConfig(),
        transport=httpx.MockTransport(handler),
        clock=fake.clock,
        sleep=fake.sleep,
        wall_clock=lambda: WALL,
        **kwargs,
    )


def test_memory_store_is_a_validator_store():
    store = MemoryValidatorStore()
    assert isinstance(store, ValidatorStore)
    assert store.get("u") == (None, None)
    store.put("u", '"e"', None)
    assert store.get("u") == ('"e"', None)
    store.put("u", None, None)
    assert store.get("u") == (None, None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        ("Wed, 27 Nov 2024 06:00:30 GMT", 30.0),
        ("Wed, 27 Nov 2024 05:00:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
        ("-3", None),
    ],
)
def test_retry_after_parsing(value, expected):
    assert retry_after_seconds(value, now=lambda: WALL) == expected


def test_conditional_get_sends_validators_and_returns_304():
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.headers))
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        if request.headers.get("if-none-match") == '"abc"':
            return httpx.Response(304)
        return httpx.Response(
            200,
            content=b"<rss/>",
            headers={"ETag": '"abc"', "Last-Modified": "Wed, 20 Nov 2024 01:00:00 GMT"},
        )

    store = MemoryValidatorStore()
    with _polite(handler, validators=store) as fetcher:
        first = fetcher.fetch("https://kabar.example.org/rss")
        second = fetcher.fetch("https://kabar.example.org/rss")
        fresh = fetcher.fetch("https://kabar.example.org/rss", conditional=False)
    assert first.status == 200 and first.content == b"<rss/>"
    assert second.status == 304 and second.content == b""
    assert fresh.status == 200
    assert seen[-2]["if-modified-since"] == "Wed, 20 Nov 2024 01:00:00 GMT"
    assert "if-none-match" not in seen[-1]
    assert store.get("https://kabar.example.org/rss")[0] == '"abc"'


def test_a_304_without_validators_sent_is_an_error():
    with _polite(lambda r: httpx.Response(304)) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch("https://kabar.example.org/rss")
    assert info.value.status == 304


def test_429_retry_after_then_success():
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(503, headers={"Retry-After": "Wed, 27 Nov 2024 06:00:20 GMT"}),
            httpx.Response(200, content=b"ok"),
        ]
    )
    fake = FakeTime()
    with _polite(lambda r: next(answers), fake, respect_robots=False) as fetcher:
        assert fetcher.fetch("https://kabar.example.org/x").content == b"ok"
    assert fake.sleeps[:2] == [7.0, 20.0]


def test_throttle_backoff_is_exponential_and_bounded():
    calls = []

    def handler(request):
        calls.append(1)
        return httpx.Response(503)

    fake = FakeTime()
    with (
        _polite(
            handler, fake, respect_robots=False, throttle_retries=3, backoff_seconds=2, min_interval_seconds=0
        ) as fetcher,
        pytest.raises(FetchError) as info,
    ):
        fetcher.fetch("https://kabar.example.org/x")
    assert info.value.status == 503 and info.value.reason == "http_status"
    assert fake.sleeps == [2, 4, 8] and len(calls) == 4


def test_retry_after_longer_than_max_wait_is_not_waited_for():
    fake = FakeTime()
    answer = httpx.Response(429, headers={"Retry-After": "3600"})
    with _polite(lambda r: answer, fake, respect_robots=False, max_retry_wait=60) as fetcher:
        with pytest.raises(FetchError) as info:
            fetcher.fetch("https://kabar.example.org/x")
    assert info.value.status == 429 and "Retry-After: 3600" in str(info.value)
    assert fake.sleeps == []


def test_other_statuses_are_not_retried():
    calls = []

    def handler(request):
        calls.append(1)
        return httpx.Response(500)

    with _polite(handler, respect_robots=False) as fetcher, pytest.raises(FetchError):
        fetcher.fetch("https://kabar.example.org/x")
    assert len(calls) == 1


def test_per_host_minimum_interval():
    fake = FakeTime()
    ok = httpx.Response(200, content=b"ok")
    with _polite(lambda r: ok, fake, respect_robots=False, min_interval_seconds=2.5) as fetcher:
        fetcher.fetch("https://a.example.org/1")
        fetcher.fetch("https://a.example.org/2")  # waits 2.5 s
        fetcher.fetch("https://b.example.org/1")  # another host: no wait
        fake.now += 1.0
        fetcher.fetch("https://a.example.org/3")  # 1 s passed: waits 1.5 s
    assert fake.sleeps == [2.5, 1.5]


def test_robots_rules_are_fetched_once_per_host_and_respected():
    robots_calls = []

    def handler(request):
        if request.url.path == "/robots.txt":
            robots_calls.append(request.headers["user-agent"])
            return httpx.Response(
                200, text="User-agent: pantau\nDisallow: /arsip\n\nUser-agent: *\nDisallow: /\n"
            )
        return httpx.Response(200, content=b"ok")

    with _polite(handler, min_interval_seconds=0) as fetcher:
        assert fetcher.fetch("https://kabar.example.org/berita/1").content == b"ok"
        fetcher.fetch("https://kabar.example.org/berita/2")
        with pytest.raises(FetchError) as info:
            fetcher.fetch("https://kabar.example.org/arsip/2020")
    assert info.value.reason == "robots"
    assert len(robots_calls) == 1 and robots_calls[0].startswith("Pantau/")


@pytest.mark.parametrize("status", [None, 401, 403, 404, 500])
def test_unavailable_robots_allows_all(status):
    assert parse_robots(status, b"User-agent: *\nDisallow: /\n").can_fetch("Pantau/0.1", "https://x/y")


# --- the real local server -----------------------------------------------------------------------


def test_local_304_makes_the_kind_yield_nothing(http_server):
    config = SourceConfig(name="kabar", kind="rss", location=f"{http_server}/etag")
    with HttpFetcher(HttpConfig(timeout_seconds=5), min_interval_seconds=0) as fetcher:
        first = collect_source(config, fetcher)
        assert fetcher.fetch(f"{http_server}/etag").status == 304
        again = collect_source(config, fetcher)
    assert first.items and first.error is None
    assert again.items == [] and again.skipped == [] and again.error is None


def test_local_429_with_retry_after(http_server):
    fake = FakeTime()
    with HttpFetcher(HttpConfig(timeout_seconds=5), sleep=fake.sleep, clock=fake.clock) as fetcher:
        assert fetcher.fetch(f"{http_server}/throttled").content == b"finally"
    assert 2.0 in fake.sleeps


def test_local_503_with_http_date_retry_after(http_server):
    fake = FakeTime()
    with HttpFetcher(
        HttpConfig(timeout_seconds=5),
        sleep=fake.sleep,
        clock=fake.clock,
        wall_clock=lambda: WALL,
        min_interval_seconds=0,
    ) as fetcher:
        with pytest.raises(FetchError) as info:
            fetcher.fetch(f"{http_server}/busy")
    assert info.value.status == 503 and fake.sleeps == [30.0, 30.0]


def test_local_robots_disallow(http_server):
    with HttpFetcher(HttpConfig(timeout_seconds=5)) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch(f"{http_server}/private/rekap")
    assert info.value.reason == "robots"
    result = collect_source(
        SourceConfig(name="p", kind="rss", location=f"{http_server}/private/x"),
        HttpFetcher(HttpConfig(timeout_seconds=5)),
    )
    assert result.error and "robots" in result.error


def test_local_redirect_loop(http_server):
    with HttpFetcher(HttpConfig(timeout_seconds=5)) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch(f"{http_server}/loop")
    assert info.value.reason == "too_many_redirects"


def test_local_50mb_body_is_aborted_at_the_cap(http_server):
    from tests.sources.conftest import _Handler

    _Handler.huge_sent[0] = 0
    with HttpFetcher(HttpConfig(timeout_seconds=10, max_bytes=1_000_000)) as fetcher:
        with pytest.raises(FetchError) as info:
            fetcher.fetch(f"{http_server}/huge")
    assert info.value.reason == "too_large"
    assert _Handler.huge_sent[0] < 20_000_000  # the server was cut off long before 50 MB
