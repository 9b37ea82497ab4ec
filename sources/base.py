"""The contract of a source kind, and the helpers every kind shares (where a location points, failures).

A source kind turns one configured source into a :class:`CollectResult`. It never raises for bad
input: a whole-source failure sets ``CollectResult.error`` / ``error_reason``; a bad record becomes a
:class:`Skipped` with a typed :class:`SkipReason`. Invalid *options* (a config mistake) raise
:class:`ConfigError` before any I/O.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol, runtime_checkable
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from pantau.domain.config import SourceConfig
from pantau.domain.errors import ConfigError, FetchError, ParseError
from pantau.domain.records import CollectResult, SkipReason
from sources.guard import looks_binary
from sources.http import HttpFetcher, read_local


@runtime_checkable
class SourceKind(Protocol):
    """One kind of source (``rss``, ``social_export``, ...), registered under ``name``."""

    name: str

    def collect(self, config: SourceConfig, fetcher: HttpFetcher) -> CollectResult:
        """Collect every item of ``config``; never raise for bad input (see the module docstring)."""
        ...


@dataclass(frozen=True, slots=True)
class Location:
    """Where a source reads from: exactly one of ``url`` (http/https) and ``path`` is set."""

    url: str | None = None
    path: Path | None = None

    @property
    def base_url(self) -> str:
        """A URL for resolving relative links: the URL itself, or the file's ``file://`` URI."""
        return self.url if self.url else self.path.resolve().as_uri()  # type: ignore[union-attr]

    @property
    def suffix(self) -> str:
        """The lower-case file extension of the URL path or file (``.csv``), '' if none."""
        name = urlsplit(self.url).path if self.url else str(self.path)
        return Path(name).suffix.lower()


@dataclass(frozen=True, slots=True)
class Loaded:
    """The bytes behind a location, with the URL to resolve relative links against."""

    content: bytes
    base_url: str
    encoding_hint: str | None = None
    not_modified: bool = False  # a 304 answer to a conditional GET: no content, nothing new


def resolve_location(location: str) -> Location:
    """Decide whether ``location`` is a URL to fetch or a file to read.

    ``http://`` / ``https://`` -> URL; ``file://`` -> that path; anything else without a scheme is a
    file path, absolute or relative to the current directory (a config loader resolves paths relative
    to the config file before we see them). Other schemes raise ``FetchError(reason="unsupported_scheme")``.
    """
    text = location.strip()
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        return Location(url=text)
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise FetchError("file:// URLs must be local", location=location, reason="unsupported_scheme")
        return Location(path=Path(url2pathname(unquote(parts.path))))
    if "://" in text:
        raise FetchError(f"unsupported URL scheme {scheme!r}", location=location, reason="unsupported_scheme")
    return Location(path=Path(text))  # also Windows paths like C:\feeds\x.xml


def load(location: Location, fetcher: HttpFetcher) -> Loaded:
    """All the bytes of a location, capped at ``fetcher.config.max_bytes`` either way."""
    if location.url:
        doc = fetcher.fetch(location.url)
        return Loaded(doc.content, doc.final_url, doc.encoding_hint, not_modified=doc.status == 304)
    assert location.path is not None
    return Loaded(read_local(location.path, fetcher.config.max_bytes), location.base_url)


@contextmanager
def open_stream(location: Location, fetcher: HttpFetcher) -> Iterator[BinaryIO]:
    """A binary stream over a location: a local file is streamed (no size cap, bounded memory);
    an HTTP body is fetched whole (capped at ``max_bytes``) and wrapped; a 304 is an empty stream."""
    if location.url:
        yield io.BytesIO(fetcher.fetch(location.url).content)
        return
    assert location.path is not None
    try:
        handle = open(location.path, "rb")
    except FileNotFoundError as exc:
        raise FetchError("no such file", location=str(location.path), reason="not_found") from exc
    except OSError as exc:
        raise FetchError(
            f"cannot read: {exc.strerror or exc}", location=str(location.path), reason="unreadable"
        ) from exc
    with handle:
        yield handle


_FETCH_REASONS = {"too_large": SkipReason.TOO_LARGE}


def load_document(config: SourceConfig, fetcher: HttpFetcher) -> Loaded | CollectResult:
    """The bytes of ``config.location``, or the result to return when there is nothing to parse:
    the failure (a typed error result; ``binary`` for bytes that are not text at all) or, on
    304 Not Modified, an empty result."""
    try:
        loaded = load(resolve_location(config.location), fetcher)
    except FetchError as exc:
        return failed(config.name, exc)
    if loaded.not_modified:
        return CollectResult(source=config.name)
    if looks_binary(loaded.content):
        return CollectResult(
            source=config.name, error="not a text document (binary bytes)", error_reason=SkipReason.BINARY
        )
    return loaded


def failed(source: str, exc: FetchError | ParseError) -> CollectResult:
    """A result for a source that failed as a whole: the error message and a typed reason."""
    if isinstance(exc, FetchError):
        reason = _FETCH_REASONS.get(exc.reason, SkipReason.FETCH_ERROR)
    else:
        try:
            reason = SkipReason(exc.reason)
        except ValueError:
            reason = SkipReason.MALFORMED
    return CollectResult(source=source, error=str(exc), error_reason=reason)


def check_options(config: SourceConfig, known: Collection[str]) -> Mapping[str, Any]:
    """Reject option names a kind does not know (typos would otherwise be silently ignored)."""
    unknown = sorted(set(config.options) - set(known))
    if unknown:
        raise ConfigError(
            f"unknown option(s) {', '.join(unknown)} for kind {config.kind!r}; "
            f"known: {', '.join(sorted(known)) or '(none)'}",
            field=f"sources.{config.name}.options",
        )
    return config.options
