"""Collect: turn configured sources (feeds, exports, ...) into items. Bytes in, items out.

Imports only ``pantau.domain`` and libraries. The built-in kinds register themselves on import below;
adding a kind is one module plus one line in that import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pantau.domain.config import HttpConfig, SourceConfig
from pantau.domain.errors import FetchError, ParseError
from pantau.domain.records import CollectedItem, CollectResult
from sources import (  # noqa: F401  (registers the built-in kinds)
    crowdtangle,
    factcheck,
    html_article,
    rss,
    social_export,
    telegram,
    whatsapp,
    x_api,
    yudistira,
)
from sources.base import SourceKind, failed
from sources.http import FetchedDocument, HttpFetcher, read_local
from sources.registry import SOURCE_KINDS, get_source_kind, register

__all__ = [
    "SOURCE_KINDS",
    "FetchedDocument",
    "HttpFetcher",
    "SourceKind",
    "collect_source",
    "fetch_streaming",
    "fetch_to_items",
    "get_source_kind",
    "read_local",
    "register",
]


def collect_source(config: SourceConfig, fetcher: HttpFetcher) -> CollectResult:
    """Run one source once. Fetch and parse failures become ``CollectResult.error``;
    an unknown kind raises ``UnknownKindError`` and invalid options ``ConfigError`` (config mistakes)."""
    kind = get_source_kind(config.kind)
    try:
        return kind.collect(config, fetcher)
    except (FetchError, ParseError) as exc:
        return failed(config.name, exc)


def fetch_streaming(
    kind: str,
    location: str,
    on_item: Callable[[CollectedItem], None],
    *,
    http: HttpConfig | None = None,
    options: dict[str, Any] | None = None,
) -> CollectResult:
    """:func:`fetch_to_items`, handing each item to ``on_item`` as it is read instead of keeping it
    (memory does not grow with an export of a streaming kind); the result holds the skips and the
    error, not the items. Kinds without ``stream`` are collected whole, then handed over."""
    config = SourceConfig(name="pantau-fetch", kind=kind, location=location, options=options or {})
    source_kind = get_source_kind(kind)
    with HttpFetcher(http or HttpConfig()) as fetcher:
        if not hasattr(source_kind, "stream"):
            result = collect_source(config, fetcher)
            for item in result.items:
                on_item(item)
            result.items = []
            return result
        result = CollectResult(source=config.name)
        try:
            for record in source_kind.stream(config, fetcher):
                if isinstance(record, CollectedItem):
                    on_item(record)
                else:
                    result.skipped.append(record)
        except (FetchError, ParseError) as exc:
            whole = failed(config.name, exc)
            result.error, result.error_reason = whole.error, whole.error_reason
        return result


def fetch_to_items(
    kind: str, location: str, *, http: HttpConfig | None = None, options: dict[str, Any] | None = None
) -> CollectResult:
    """``pantau fetch KIND LOCATION``: run a throwaway source of ``kind`` against a URL or file."""
    config = SourceConfig(name="pantau-fetch", kind=kind, location=location, options=options or {})
    get_source_kind(kind)  # fail fast, before opening a client
    with HttpFetcher(http or HttpConfig()) as fetcher:
        return collect_source(config, fetcher)
