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
    /slow (answers after 1 s), /agent (echoes the User-Agent)."""

    def do_GET(self) -> None:  # noqa: N802 (the http.server API)
        try:
            self._route()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client aborted on purpose (size cap, timeout)

    def _route(self) -> None:
        if self.path == "/feed.xml":
            self._send(200, (FIXTURES / "rss20_content_encoded.xml").read_bytes(),
                       "application/rss+xml; charset=utf-8")
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
        elif self.path == "/agent":
            self._send(200, self.headers.get("User-Agent", "").encode(), "text/plain")
        else:
            self._send(404, b"unknown route", "text/plain")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
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
