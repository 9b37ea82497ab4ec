"""Per-host fetch limits: many sources on one web server are never fetched more than
`schedule.host_concurrency` at a time (a Prefect global concurrency limit per host)."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from flows.host_limits import ensure_host_limits, limit_name
from flows.monitor import monitor
from tests.flows.posts import post, region_config

WHEN = datetime(2024, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


# Loopback addresses of their own, so no other test's limits (or leaked slots) interfere.
HOSTS = ("127.0.0.4", "127.0.0.5")


class _Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.in_flight: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()
        self.served = 0


class _CountingServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, port: int, stats: _Stats):
        super().__init__((host, port), _Handler)
        self.stats = stats


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        server = self.server.stats  # type: ignore[attr-defined]
        if self.path == "/robots.txt":
            self.send_response(404)
            self.end_headers()
            return
        host = self.headers["Host"].split(":")[0]
        with server.lock:
            server.in_flight[host] += 1
            server.peak[host] = max(server.peak[host], server.in_flight[host])
        time.sleep(0.4)
        n = int(self.path.strip("/").split(".")[0].removeprefix("feed"))
        body = "".join(json.dumps(post(n * 10 + i, WHEN)) + "\n" for i in range(3)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        with server.lock:
            server.in_flight[host] -= 1
            server.served += 1

    def log_message(self, *args):
        pass


@pytest.fixture()
def server():
    """One port on two loopback addresses (two hosts), counting requests in flight per host."""
    stats = _Stats()
    first = _CountingServer(HOSTS[0], 0, stats)
    servers = [first, _CountingServer(HOSTS[1], first.server_address[1], stats)]
    for srv in servers:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    stats.port = first.server_address[1]
    yield stats
    for srv in servers:
        srv.shutdown()


def test_limit_names():
    assert limit_name("https://Berita.Example.COM./rss") == "pantau-host-berita.example.com"
    assert limit_name("http://127.0.0.1:8080/x") == "pantau-host-127.0.0.1"
    assert limit_name("examples/feeds/a.xml") is None and limit_name("file:///tmp/a.xml") is None


@pytest.mark.usefixtures("prefect_harness", "fresh_resources")
def test_no_more_than_host_concurrency_fetches_per_host(server, tmp_path):
    from prefect.client.orchestration import get_client

    port = server.port
    sources = [
        {
            "name": f"feed-{host}-{i}",
            "kind": "social_export",
            "silent_after_hours": None,
            "location": f"http://{host}:{port}/feed{k}.jsonl",
            "options": {"format": "jsonl"},
        }
        for k, (host, i) in enumerate((h, i) for h in HOSTS for i in range(5))
    ]
    config = region_config(sources, schedule={"host_concurrency": 2})
    counts = monitor(database_url=f"sqlite:///{tmp_path / 'limits.db'}", config=config)

    assert counts["sources_failed"] == 0 and counts["new"] == 30 and server.served == 10
    assert server.peak == dict.fromkeys(HOSTS, 2)  # in parallel, but two at a time per host
    with get_client(sync_client=True) as client:
        assert client.read_global_concurrency_limit_by_name("pantau-host-127.0.0.5").limit == 2
    assert ensure_host_limits(sources, 3) == ["pantau-host-127.0.0.4", "pantau-host-127.0.0.5"]
    with get_client(sync_client=True) as client:  # a changed setting resizes the limit
        assert client.read_global_concurrency_limit_by_name("pantau-host-127.0.0.4").limit == 3


@pytest.mark.usefixtures("prefect_harness", "fresh_resources")
def test_a_run_alone_frees_the_slots_a_killed_run_left_taken(server, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate

    source = {
        "name": "feed-leak",
        "kind": "social_export",
        "silent_after_hours": None,
        "location": f"http://{HOSTS[0]}:{server.port}/feed7.jsonl",
        "options": {"format": "jsonl"},
    }
    name = limit_name(source["location"])
    ensure_host_limits([source], 1)
    with get_client(sync_client=True) as client:  # what a run killed mid-fetch leaves behind
        client.update_global_concurrency_limit(name, GlobalConcurrencyLimitUpdate(active_slots=1))
    ensure_host_limits([source], 1)  # without reset_slots nothing is freed (other runs may hold them)
    with get_client(sync_client=True) as client:
        assert client.read_global_concurrency_limit_by_name(name).active_slots == 1

    config = region_config([source], schedule={"host_concurrency": 1})
    counts = monitor(database_url=f"sqlite:///{tmp_path / 'alone.db'}", config=config)
    assert counts["sources_failed"] == 0 and counts["new"] == 3
    with get_client(sync_client=True) as client:
        assert client.read_global_concurrency_limit_by_name(name).active_slots == 0
