"""Issue 16 rows 5 and 6: limiter memory stays bounded (expiring keys, a key cap), and uvicorn under
Pantau's options ignores X-Forwarded-For unless a trusted proxy is named (a real uvicorn server)."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from webfixtures import free_port

from pantau.web.ratelimit import SlidingWindow
from pantau.web.serving import server_options


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_counts_within_the_window_and_forgets_after_it():
    clock = Clock()
    limiter = SlidingWindow(60, 3, clock=clock)
    assert [limiter.hit("rina") for _ in range(5)] == [1, 2, 3, 3, 3]  # never more than the limit kept
    assert limiter.over("rina") and not limiter.over("budi")
    clock.t += 61
    assert limiter.count("rina") == 0 and not limiter.over("rina")
    limiter.hit("rina")
    limiter.reset("rina")
    assert limiter.count("rina") == 0


def test_expired_keys_are_dropped():
    clock = Clock()
    limiter = SlidingWindow(60, 5, clock=clock)
    for n in range(500):
        limiter.hit(f"user-{n}")
    assert len(limiter) == 500
    clock.t += 61
    limiter.hit("one-more")
    assert len(limiter) == 1


def test_a_flood_of_distinct_keys_stays_within_the_cap():
    clock = Clock()
    limiter = SlidingWindow(900, 20, max_keys=1000, clock=clock)
    for n in range(40_000):  # random usernames, all inside one window
        limiter.hit(f"u:{n:08d}")
        clock.t += 0.001
    assert len(limiter) == 1000
    assert limiter.count("u:00039999") == 1 and limiter.count("u:00000000") == 0  # the oldest went first


def _echo_client(request):
    return PlainTextResponse(request.client.host if request.client else "-")


@pytest.mark.parametrize(("trusted", "seen"), [(None, "127.0.0.1"), ("127.0.0.1", "203.0.113.9")])
def test_forwarded_for_is_ignored_unless_the_proxy_is_trusted(trusted, seen):
    port = free_port()
    app = Starlette(routes=[Route("/", _echo_client)])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **server_options(trusted))
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        got = httpx.get(f"http://127.0.0.1:{port}/", headers={"X-Forwarded-For": "203.0.113.9"}).text
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert got == seen
