"""HttpFetcher and read_local: unit tests on httpx.MockTransport, then a real local HTTP server."""

from __future__ import annotations

import httpx
import pytest

from pantau.domain.config import HttpConfig
from pantau.domain.errors import FetchError
from sources.http import HttpFetcher, read_local


def _fetcher(handler, **config) -> HttpFetcher:
    return HttpFetcher(HttpConfig(**config), transport=httpx.MockTransport(handler), sleep=lambda s: None)


def test_fetch_returns_document_with_user_agent_and_charset():
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["ua"] = request.headers["user-agent"]
        return httpx.Response(
            200, content=b"<rss/>", headers={"Content-Type": "text/xml; charset=ISO-8859-1"}
        )

    with _fetcher(handler, user_agent="PantauTest/1") as fetcher:
        doc = fetcher.fetch("https://feeds.example.org/rss")
    assert seen["ua"] == "PantauTest/1"
    assert doc.content == b"<rss/>"
    assert doc.status == 200
    assert doc.final_url == "https://feeds.example.org/rss"
    assert doc.encoding_hint.lower() == "iso-8859-1"
    assert doc.headers["content-type"].startswith("text/xml")


def test_fetch_follows_redirects_and_reports_final_url():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/old":
            return httpx.Response(301, headers={"Location": "https://feeds.example.org/new"})
        return httpx.Response(200, content=b"ok")

    with _fetcher(handler) as fetcher:
        doc = fetcher.fetch("https://feeds.example.org/old")
    assert doc.url == "https://feeds.example.org/old"
    assert doc.final_url == "https://feeds.example.org/new"


@pytest.mark.parametrize("status", [403, 404, 500, 503])
def test_non_2xx_is_a_fetch_error_with_status(status):
    with _fetcher(lambda r: httpx.Response(status)) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch("https://feeds.example.org/x")
    assert info.value.status == status
    assert info.value.reason == "http_status"


def test_body_over_max_bytes_is_aborted_while_streaming():
    chunks_sent = []

    def body():
        for _ in range(1000):
            chunks_sent.append(1)
            yield b"y" * 1000

    with _fetcher(lambda r: httpx.Response(200, content=body()), max_bytes=5000) as fetcher:
        with pytest.raises(FetchError) as info:
            fetcher.fetch("https://feeds.example.org/huge")
    assert info.value.reason == "too_large"
    assert len(chunks_sent) < 100  # stopped early, did not read the whole body


def test_declared_content_length_over_cap_is_refused_before_reading():
    response = httpx.Response(200, content=b"z" * 10, headers={"Content-Length": "999999"})
    with _fetcher(lambda r: response, max_bytes=100) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch("https://feeds.example.org/declared")
    assert info.value.reason == "too_large"


def test_transport_errors_become_fetch_errors():
    def refuse(request):
        raise httpx.ConnectError("connection refused", request=request)

    def slow(request):
        raise httpx.ReadTimeout("timed out", request=request)

    with _fetcher(refuse) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch("https://feeds.example.org/")
    assert info.value.reason == "network"
    with _fetcher(slow) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch("https://feeds.example.org/")
    assert info.value.reason == "timeout"


def test_whole_body_deadline_uses_the_injected_clock():
    ticks = iter(range(0, 1000, 10))  # every call advances 10 "seconds"

    def body():
        yield from (b"a", b"b", b"c")

    fetcher = HttpFetcher(
        HttpConfig(timeout_seconds=25),
        transport=httpx.MockTransport(lambda r: httpx.Response(200, content=body())),
        clock=lambda: next(ticks),
    )
    with fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch("https://feeds.example.org/drip")
    assert info.value.reason == "timeout"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://feeds.example.org/x", "unsupported_scheme"),
        ("/etc/passwd", "unsupported_scheme"),
        ("file:///etc/passwd", "unsupported_scheme"),
        ("http://", "invalid_url"),
    ],
)
def test_only_http_urls_are_fetched(url, reason):
    with _fetcher(lambda r: httpx.Response(200)) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch(url)
    assert info.value.reason == reason


def test_read_local_caps_size_and_reports_missing(tmp_path):
    small = tmp_path / "a.xml"
    small.write_bytes(b"12345")
    assert read_local(small, 5) == b"12345"
    with pytest.raises(FetchError) as info:
        read_local(small, 4)
    assert info.value.reason == "too_large"
    with pytest.raises(FetchError) as info:
        read_local(tmp_path / "nope.xml", 10)
    assert info.value.reason == "not_found"
    with pytest.raises(FetchError) as info:
        read_local(tmp_path, 10)
    assert info.value.reason == "unreadable"


# --- a real server on 127.0.0.1 ---------------------------------------------------------------


def test_local_server_feed_redirect_and_user_agent(http_server):
    with HttpFetcher(HttpConfig(timeout_seconds=5), min_interval_seconds=0) as fetcher:
        doc = fetcher.fetch(f"{http_server}/feed.xml")
        assert b"Kabar Pesisir Sampang" in doc.content
        assert doc.encoding_hint == "utf-8"
        moved = fetcher.fetch(f"{http_server}/redirect")
        assert moved.final_url == f"{http_server}/feed.xml"
        assert moved.content == doc.content
        assert fetcher.fetch(f"{http_server}/agent").content.decode().startswith("Pantau/")


def test_local_server_errors(http_server):
    with HttpFetcher(HttpConfig(timeout_seconds=5), min_interval_seconds=0) as fetcher:
        for path, status in (("/missing", 404), ("/error", 500)):
            with pytest.raises(FetchError) as info:
                fetcher.fetch(http_server + path)
            assert info.value.status == status
        with pytest.raises(FetchError) as info:
            fetcher.fetch(f"{http_server}/loop")
        assert info.value.reason == "too_many_redirects"


@pytest.mark.parametrize("path", ["/big", "/big-declared"])
def test_local_server_body_over_cap_is_aborted(http_server, path):
    with HttpFetcher(HttpConfig(timeout_seconds=5, max_bytes=100_000)) as fetcher:
        with pytest.raises(FetchError) as info:
            fetcher.fetch(http_server + path)
    assert info.value.reason == "too_large"


def test_local_server_slow_response_times_out(http_server):
    with HttpFetcher(HttpConfig(timeout_seconds=0.2)) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch(f"{http_server}/slow")
    assert info.value.reason == "timeout"


def test_local_server_unreachable_port():
    with HttpFetcher(HttpConfig(timeout_seconds=2)) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch("http://127.0.0.1:9/")  # discard port: nothing listens
    assert info.value.reason in ("network", "timeout")
