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


class _CountingServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.in_flight: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()
        self.served = 0


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        server: _CountingServer = self.server  # type: ignore[assignment]
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
    srv = _CountingServer()
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    srv.shutdown()


def test_limit_names():
    assert limit_name("https://Berita.Example.COM./rss") == "pantau-host-berita.example.com"
    assert limit_name("http://127.0.0.1:8080/x") == "pantau-host-127.0.0.1"
    assert limit_name("examples/feeds/a.xml") is None and limit_name("file:///tmp/a.xml") is None


@pytest.mark.usefixtures("prefect_harness", "fresh_resources")
def test_no_more_than_host_concurrency_fetches_per_host(server, tmp_path):
    from prefect.client.orchestration import get_client

    port = server.server_address[1]
    sources = [{"name": f"feed-{host}-{i}", "kind": "social_export", "silent_after_hours": None,
                "location": f"http://{host}:{port}/feed{k}.jsonl", "options": {"format": "jsonl"}}
               for k, (host, i) in enumerate((h, i) for h in ("127.0.0.1", "localhost") for i in range(5))]
    config = region_config(sources, schedule={"host_concurrency": 2})
    counts = monitor(database_url=f"sqlite:///{tmp_path / 'limits.db'}", config=config)

    assert counts["sources_failed"] == 0 and counts["new"] == 30 and server.served == 10
    assert server.peak == {"127.0.0.1": 2, "localhost": 2}  # in parallel, but two at a time per host
    with get_client(sync_client=True) as client:
        assert client.read_global_concurrency_limit_by_name("pantau-host-localhost").limit == 2
    assert ensure_host_limits(sources, 3) == ["pantau-host-127.0.0.1", "pantau-host-localhost"]
    with get_client(sync_client=True) as client:  # a changed setting resizes the limit
        assert client.read_global_concurrency_limit_by_name("pantau-host-127.0.0.1").limit == 3
