"""Conditional GET across runs: the ETag of run 1 is kept in the database and sent by run 2."""

from __future__ import annotations

import http.server
import threading

import pytest

from flows.monitor import monitor

pytestmark = pytest.mark.usefixtures("prefect_harness", "fresh_resources")

ETAG = '"kabar-v1"'
FEED = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Kabar Contoh</title><link>http://kabar.example/</link>
<item><title>KPU Sampang membuka pendaftaran relawan demokrasi</title>
<link>http://kabar.example/relawan</link><pubDate>Wed, 20 Nov 2024 08:15:00 +0700</pubDate>
<description>Warga Sampang diajak menjadi relawan demokrasi menjelang pilkada.</description></item>
<item><title>Bawaslu memantau kampanye di Torjun</title>
<link>http://kabar.example/torjun</link><pubDate>Thu, 21 Nov 2024 10:00:00 GMT</pubDate>
<description>Pengawas kecamatan mencatat kampanye berjalan tertib.</description></item>
</channel></rss>"""


class _FeedWithEtag(http.server.BaseHTTPRequestHandler):
    if_none_match: list[str | None] = []

    def do_GET(self):  # noqa: N802
        if self.path != "/rss":
            self.send_response(404)
            self.end_headers()
            return
        sent = self.headers.get("If-None-Match")
        type(self).if_none_match.append(sent)
        if sent == ETAG:
            self.send_response(304)
            self.send_header("ETag", ETAG)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        self.send_header("Content-Length", str(len(FEED)))
        self.send_header("ETag", ETAG)
        self.end_headers()
        self.wfile.write(FEED)

    def log_message(self, *args):
        pass


def test_second_run_sends_if_none_match_and_counts_a_304_as_ok(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FeedWithEtag)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"sqlite:///{tmp_path / 'flow.db'}"
    config = {
        "sources": [
            {"name": "kabar-contoh", "kind": "rss", "location": f"http://127.0.0.1:{server.server_port}/rss"}
        ]
    }
    try:
        first = monitor(database_url=url, config=config)
        second = monitor(database_url=url, config=config)
    finally:
        server.shutdown()
    assert _FeedWithEtag.if_none_match == [None, ETAG]
    assert first["new"] == 2 and first["sources_failed"] == 0
    (source,) = second["per_source"]
    assert source["error"] is None and source["fetched"] == 0 and source["new"] == 0
    assert second["sources_failed"] == 0
