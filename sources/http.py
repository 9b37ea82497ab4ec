"""Fetching bytes politely: an HTTP client with a size cap enforced while streaming, and a capped local read.

Politeness (helpers in :mod:`sources.politeness`): conditional GET from a validator store (a 304 is
returned as a document with ``status=304`` and no content), robots.txt checked once per host, at
least ``min_interval_seconds`` between requests to one host, and ``Retry-After`` honoured on 429/503
with a few bounded retries. No other retries here: the orchestration layer retries the whole task.
Every failure is a :class:`~pantau.domain.errors.FetchError` whose ``reason`` says what went wrong:

``http_status`` (non-2xx, ``status`` set), ``too_large``, ``timeout``, ``too_many_redirects``,
``network`` (DNS, refused, reset, protocol), ``unsupported_scheme``, ``invalid_url``,
``robots`` (disallowed by the site's robots.txt), ``not_found`` (missing file),
``unreadable`` (a file that exists but cannot be read).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.robotparser import RobotFileParser

import httpx

from pantau.domain.config import HttpConfig
from pantau.domain.errors import FetchError
from sources.inflate import ENCODINGS, InflateError, inflate
from sources.politeness import (
    HostPacer,
    MemoryValidatorStore,
    ValidatorStore,
    conditional_headers,
    host_key,
    parse_robots,
    retry_after_seconds,
    robots_url,
)

MAX_REDIRECTS = 5
ROBOTS_MAX_BYTES = 512_000  # like Google: rules past 500 KiB are ignored
THROTTLED = (429, 503)


@dataclass(frozen=True, slots=True)
class FetchedDocument:
    """The bytes of one HTTP response and what we know about them (headers are lower-cased)."""

    url: str
    final_url: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""
    encoding_hint: str | None = None  # the charset of the Content-Type header, if any


class HttpFetcher:
    """A small, bounded, polite HTTP GET client. Use as a context manager, or call :meth:`close`.

    ``transport`` is injected in tests (``httpx.MockTransport``); the default is a real network one.
    ``clock`` (monotonic seconds), ``sleep`` and ``wall_clock`` (epoch seconds, for HTTP-date
    ``Retry-After``) are injectable so deadlines, pacing and back-off can be tested without waiting.
    ``validators`` stores ETag / Last-Modified per URL (in memory by default).
    ``throttle_retries`` extra attempts after a 429/503, waiting ``Retry-After`` or else
    ``backoff_seconds * 2**n``; a wait longer than ``max_retry_wait`` is not attempted (the error
    is raised at once, so the scheduler can come back later).
    """

    def __init__(
        self,
        config: HttpConfig | None = None,
        transport: httpx.BaseTransport | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
        validators: ValidatorStore | None = None,
        min_interval_seconds: float = 1.0,
        respect_robots: bool = True,
        throttle_retries: int = 2,
        backoff_seconds: float = 1.0,
        max_retry_wait: float = 60.0,
    ):
        self.config = config or HttpConfig()
        self.validators: ValidatorStore = validators if validators is not None else MemoryValidatorStore()
        self.respect_robots = respect_robots
        self.throttle_retries = throttle_retries
        self.backoff_seconds = backoff_seconds
        self.max_retry_wait = max_retry_wait
        self._clock, self._sleep, self._wall_clock = clock, sleep, wall_clock
        self._pacer = HostPacer(min_interval_seconds, clock=clock, sleep=sleep)
        self._robots: dict[str, RobotFileParser] = {}
        self._client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(self.config.timeout_seconds),
            # only encodings sources.inflate decodes within the cap (no br/zstd even if installed)
            headers={"User-Agent": self.config.user_agent, "Accept-Encoding": "gzip, deflate"},
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
        )

    def __enter__(self) -> HttpFetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def fetch(
        self, url: str, *, conditional: bool = True, headers: Mapping[str, str] | None = None
    ) -> FetchedDocument:
        """GET ``url``; raise :class:`FetchError` on any failure, including a body over ``max_bytes``.

        With ``conditional`` (the default) the stored validators are sent and a ``304 Not Modified``
        comes back as a document with ``status=304`` and empty content. ``headers`` are extra request
        headers (e.g. an API key); they never appear in error messages."""
        _check_url(url)
        if self.respect_robots and not self.allowed(url):
            raise FetchError("disallowed by robots.txt", location=url, reason="robots")
        validators = conditional_headers(self.validators, url) if conditional else {}
        request_headers = {**(headers or {}), **validators}
        attempt = 0
        while True:
            self._pacer.wait(url)
            doc = self._exchange(url, request_headers, self.config.max_bytes)
            if doc.status in THROTTLED and attempt < self.throttle_retries:
                delay = retry_after_seconds(doc.headers.get("retry-after"), now=self._wall_clock)
                delay = self.backoff_seconds * 2**attempt if delay is None else delay
                if delay <= self.max_retry_wait:
                    self._sleep(delay)
                    attempt += 1
                    continue
            break
        if doc.status == 304 and validators:
            return doc.document
        if not 200 <= doc.status < 300:
            after = doc.headers.get("retry-after")
            hint = f" (Retry-After: {after})" if after and doc.status in THROTTLED else ""
            raise FetchError(
                f"HTTP {doc.status} {doc.reason}{hint}".rstrip(),
                location=url,
                status=doc.status,
                reason="http_status",
            )
        if conditional:
            self.validators.put(url, doc.headers.get("etag"), doc.headers.get("last-modified"))
        return doc.document

    def allowed(self, url: str) -> bool:
        """Whether robots.txt of the URL's host lets our user agent fetch it (fetched once per host)."""
        host = host_key(url)
        if host not in self._robots:
            try:
                doc = self._exchange(robots_url(url), {}, min(ROBOTS_MAX_BYTES, self.config.max_bytes))
                self._robots[host] = parse_robots(doc.status, doc.document.content)
            except FetchError:
                self._robots[host] = parse_robots(None, b"")
        return self._robots[host].can_fetch(self.config.user_agent, url)

    def _exchange(self, url: str, headers: dict[str, str], limit: int) -> _Response:
        """One GET (redirects followed). The body is read (capped) only for a 2xx answer."""
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                content = self._read_capped(url, response, limit) if response.is_success else b""
                return _Response(
                    FetchedDocument(
                        url=url,
                        final_url=str(response.url),
                        status=response.status_code,
                        headers={k.lower(): v for k, v in response.headers.items()},
                        content=content,
                        encoding_hint=response.charset_encoding,
                    ),
                    response.reason_phrase,
                )
        except httpx.TimeoutException as exc:
            raise FetchError(
                f"timed out after {self.config.timeout_seconds:g}s ({type(exc).__name__})",
                location=url,
                reason="timeout",
            ) from exc
        except httpx.TooManyRedirects as exc:
            raise FetchError(
                f"more than {MAX_REDIRECTS} redirects", location=url, reason="too_many_redirects"
            ) from exc
        except httpx.UnsupportedProtocol as exc:
            raise FetchError(str(exc), location=url, reason="unsupported_scheme") from exc
        except httpx.InvalidURL as exc:
            raise FetchError(f"invalid URL: {exc}", location=url, reason="invalid_url") from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"{type(exc).__name__}: {exc}", location=url, reason="network") from exc

    def _read_capped(self, url: str, response: httpx.Response, limit: int) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(
                f"Content-Length {declared} exceeds the limit of {limit} bytes",
                location=url,
                status=response.status_code,
                reason="too_large",
            )
        deadline = self._clock() + self.config.timeout_seconds
        chunks: list[bytes] = []
        total = 0
        for chunk in self._decoded(url, response, limit):  # the cap applies to the decoded bytes
            total += len(chunk)
            if total > limit:
                raise FetchError(
                    f"body exceeds the limit of {limit} bytes",
                    location=url,
                    status=response.status_code,
                    reason="too_large",
                )
            if self._clock() > deadline:
                raise FetchError(
                    f"body not complete after {self.config.timeout_seconds:g}s",
                    location=url,
                    reason="timeout",
                )
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def _decoded(url: str, response: httpx.Response, limit: int) -> Iterator[bytes]:
        """The body's decoded bytes; gzip/deflate are inflated a bounded step at a time (a bomb
        cannot expand one network chunk into many MB), other encodings are left to httpx."""
        encodings = [e.strip().lower() for e in response.headers.get("content-encoding", "").split(",")]
        encodings = [e for e in encodings if e and e != "identity"]
        if response.is_stream_consumed:  # the body was read already (a test's MockTransport)
            yield from response.iter_bytes()
            return
        if not encodings:
            yield from response.iter_raw()
            return
        if len(encodings) > 1 or encodings[0] not in ENCODINGS:
            yield from response.iter_bytes()
            return
        try:
            yield from inflate(response.iter_raw(), encodings[0], limit)
        except InflateError as exc:
            raise FetchError(str(exc), location=url, status=response.status_code, reason="network") from exc


@dataclass(frozen=True, slots=True)
class _Response:
    document: FetchedDocument
    reason: str

    @property
    def status(self) -> int:
        return self.document.status

    @property
    def headers(self) -> dict[str, str]:
        return self.document.headers


def _check_url(url: str) -> None:
    try:
        parsed = httpx.URL(url) if "://" in url else None
    except httpx.InvalidURL as exc:
        raise FetchError(f"invalid URL: {exc}", location=url, reason="invalid_url") from exc
    if parsed is None or parsed.scheme not in ("http", "https"):
        raise FetchError("only http and https URLs can be fetched", location=url, reason="unsupported_scheme")
    if not parsed.host:
        raise FetchError("invalid URL: no host", location=url, reason="invalid_url")


def read_local(path: str | Path, max_bytes: int) -> bytes:
    """Read a local file, refusing more than ``max_bytes`` (checked while reading, not only by size)."""
    location = str(path)
    try:
        with open(path, "rb") as handle:
            content = handle.read(max_bytes + 1)
    except FileNotFoundError as exc:
        raise FetchError("no such file", location=location, reason="not_found") from exc
    except OSError as exc:  # a directory, no permission, an I/O error
        raise FetchError(
            f"cannot read: {exc.strerror or exc}", location=location, reason="unreadable"
        ) from exc
    if len(content) > max_bytes:
        raise FetchError(
            f"file exceeds the limit of {max_bytes} bytes", location=location, reason="too_large"
        )
    return content
