"""Shared fixtures for the sources tests: the fixture folder and a real local HTTP server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


class _Handler(BaseHTTPRequestHandler):
    """Routes: /feed.xml, /redirect (-> /feed.xml), /loop (redirects forever), /missing (404),
    /error (500), /big (2 MB without Content-Length), /big-declared (Content-Length 2 MB),
    /slow (answers after 1 s), /agent (echoes the User-Agent); politeness: /robots.txt (disallows
    /private), /etag (ETag + Last-Modified, 304 when they match), /throttled (429 with Retry-After: 2
    on the first request, then 200), /busy (always 503, Retry-After as an HTTP-date), /huge (50 MB
    streamed without Content-Length; ``huge_sent`` counts the bytes actually written).
    /yudistira (JSON debunks when the key "kunci-uji" comes as X-API-Key or ?key=, else 401).
    Pages: /page/<name> serves tests/sources/fixtures/pages/<name>; /t/s/<channel> a Telegram preview."""

    counts: dict[str, int] = {}
    huge_sent: list[int] = [0]

    def do_GET(self) -> None:  # noqa: N802 (the http.server API)
        try:
            self._route()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client aborted on purpose (size cap, timeout)

    def _route(self) -> None:
        if self.path == "/feed.xml":
            self._send(
                200,
                (FIXTURES / "rss20_content_encoded.xml").read_bytes(),
                "application/rss+xml; charset=utf-8",
            )
        elif self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/feed.xml")
            self.end_headers()
        elif self.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.end_headers()
        elif self.path == "/missing":
            self._send(404, b"not here", "text/plain")
        elif self.path == "/error":
            self._send(500, b"boom", "text/plain")
        elif self.path in ("/big", "/big-declared"):
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            if self.path == "/big-declared":
                self.send_header("Content-Length", str(2_000_000))
            self.end_headers()
            for _ in range(200):
                self.wfile.write(b"x" * 10_000)
        elif self.path == "/slow":
            time.sleep(1.0)
            self._send(200, b"<rss/>", "application/xml")
        elif self.path == "/robots.txt":
            self._send(200, b"User-agent: *\nDisallow: /private\n", "text/plain")
        elif self.path == "/etag":
            self._conditional()
        elif self.path == "/throttled":
            self.counts[self.path] = self.counts.get(self.path, 0) + 1
            if self.counts[self.path] == 1:
                self._send(429, b"slow down", "text/plain", {"Retry-After": "2"})
            else:
                self._send(200, b"finally", "text/plain")
        elif self.path == "/busy":
            self._send(503, b"busy", "text/plain", {"Retry-After": "Wed, 27 Nov 2024 06:00:30 GMT"})
        elif self.path == "/huge":
            self._huge()
        elif self.path.startswith("/page/"):
            name = self.path.removeprefix("/page/").split("?")[0]
            path = FIXTURES / "pages" / name
            if "/" in name or not path.is_file():
                self._send(404, b"no page", "text/plain")
            else:
                kind = "text/html" if name.endswith(".html") else "application/octet-stream"
                self._send(200, path.read_bytes(), kind)
        elif self.path.startswith("/t/s/"):
            before = self.path.partition("?before=")[2]
            name = {"": "channel_page1.html", "119": "channel_page2.html", "114": "channel_page3.html"}.get(
                before
            )
            body = (FIXTURES / "telegram" / name).read_bytes() if name else b"<main class='tgme_main'></main>"
            self._send(200, body, "text/html; charset=utf-8")
        elif self.path.startswith("/yudistira"):
            keyed = self.headers.get("X-API-Key") == "kunci-uji" or self.path.endswith("?key=kunci-uji")
            if keyed:
                body = (FIXTURES / "factcheck" / "yudistira.json").read_bytes()
                self._send(200, body, "application/json")
            else:
                self._send(401, b'{"error": "invalid key"}', "application/json")
        elif self.path == "/agent":
            self._send(200, self.headers.get("User-Agent", "").encode(), "text/plain")
        else:
            self._send(404, b"unknown route", "text/plain")

    def _conditional(self) -> None:
        etag, modified = '"v1"', "Wed, 20 Nov 2024 01:00:00 GMT"
        if self.headers.get("If-None-Match") == etag or self.headers.get("If-Modified-Since") == modified:
            self.send_response(304)
            self.end_headers()
            return
        body = (FIXTURES / "rss20_content_encoded.xml").read_bytes()
        self._send(200, body, "application/rss+xml", {"ETag": etag, "Last-Modified": modified})

    def _huge(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        block = b"<p>" + b"x" * 65_530 + b"</p>"
        for _ in range(50_000_000 // len(block)):
            self.wfile.write(block)
            self.huge_sent[0] += len(block)

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the http.server API)
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


@pytest.fixture(scope="module")
def http_server() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 (port chosen by the OS); yields its base URL."""
    server = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
