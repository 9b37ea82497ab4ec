"""Fetching bytes: an HTTP client with a size cap enforced while streaming, and a capped local read.

No retries here: the orchestration layer retries the whole task. Every failure is a
:class:`~pantau.domain.errors.FetchError` whose ``reason`` says what went wrong:

``http_status`` (non-2xx, ``status`` set), ``too_large``, ``timeout``, ``too_many_redirects``,
``network`` (DNS, refused, reset, protocol), ``unsupported_scheme``, ``invalid_url``,
``not_found`` (missing file),
``unreadable`` (a file that exists but cannot be read).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from pantau.domain.config import HttpConfig
from pantau.domain.errors import FetchError

MAX_REDIRECTS = 5


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
    """A small, bounded HTTP GET client. Use as a context manager, or call :meth:`close`.

    ``transport`` is injected in tests (``httpx.MockTransport``); the default is a real network one.
    ``clock`` (monotonic seconds) is injectable so the whole-response deadline can be tested.
    """

    def __init__(self, config: HttpConfig | None = None, transport: httpx.BaseTransport | None = None,
                 *, clock: Callable[[], float] = time.monotonic):
        self.config = config or HttpConfig()
        self._clock = clock
        self._client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(self.config.timeout_seconds),
            headers={"User-Agent": self.config.user_agent},
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
        )

    def __enter__(self) -> HttpFetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def fetch(self, url: str) -> FetchedDocument:
        """GET ``url``; raise :class:`FetchError` on any failure, including a body over ``max_bytes``."""
        try:
            parsed = httpx.URL(url) if "://" in url else None
        except httpx.InvalidURL as exc:
            raise FetchError(f"invalid URL: {exc}", location=url, reason="invalid_url") from exc
        if parsed is None or parsed.scheme not in ("http", "https"):
            raise FetchError("only http and https URLs can be fetched", location=url,
                             reason="unsupported_scheme")
        if not parsed.host:
            raise FetchError("invalid URL: no host", location=url, reason="invalid_url")
        try:
            with self._client.stream("GET", url) as response:
                if not response.is_success:
                    raise FetchError(f"HTTP {response.status_code} {response.reason_phrase}".strip(),
                                     location=url, status=response.status_code, reason="http_status")
                content = self._read_capped(url, response)
                return FetchedDocument(
                    url=url,
                    final_url=str(response.url),
                    status=response.status_code,
                    headers={k.lower(): v for k, v in response.headers.items()},
                    content=content,
                    encoding_hint=response.charset_encoding,
                )
        except httpx.TimeoutException as exc:
            raise FetchError(f"timed out after {self.config.timeout_seconds:g}s ({type(exc).__name__})",
                             location=url, reason="timeout") from exc
        except httpx.TooManyRedirects as exc:
            raise FetchError(f"more than {MAX_REDIRECTS} redirects", location=url,
                             reason="too_many_redirects") from exc
        except httpx.UnsupportedProtocol as exc:
            raise FetchError(str(exc), location=url, reason="unsupported_scheme") from exc
        except httpx.InvalidURL as exc:
            raise FetchError(f"invalid URL: {exc}", location=url, reason="invalid_url") from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"{type(exc).__name__}: {exc}", location=url, reason="network") from exc

    def _read_capped(self, url: str, response: httpx.Response) -> bytes:
        limit = self.config.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(f"Content-Length {declared} exceeds the limit of {limit} bytes",
                             location=url, status=response.status_code, reason="too_large")
        deadline = self._clock() + self.config.timeout_seconds
        chunks: list[bytes] = []
        total = 0
        for chunk in response.iter_bytes():  # decoded (gunzipped) bytes: the cap applies to them
            total += len(chunk)
            if total > limit:
                raise FetchError(f"body exceeds the limit of {limit} bytes", location=url,
                                 status=response.status_code, reason="too_large")
            if self._clock() > deadline:
                raise FetchError(f"body not complete after {self.config.timeout_seconds:g}s",
                                 location=url, reason="timeout")
            chunks.append(chunk)
        return b"".join(chunks)


def read_local(path: str | Path, max_bytes: int) -> bytes:
    """Read a local file, refusing more than ``max_bytes`` (checked while reading, not only by size)."""
    location = str(path)
    try:
        with open(path, "rb") as handle:
            content = handle.read(max_bytes + 1)
    except FileNotFoundError as exc:
        raise FetchError("no such file", location=location, reason="not_found") from exc
    except OSError as exc:  # a directory, no permission, an I/O error
        raise FetchError(f"cannot read: {exc.strerror or exc}", location=location,
                         reason="unreadable") from exc
    if len(content) > max_bytes:
        raise FetchError(f"file exceeds the limit of {max_bytes} bytes", location=location,
                         reason="too_large")
    return content
