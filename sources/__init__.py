"""Collect: turn configured sources (feeds, exports, ...) into items. Bytes in, items out.

Imports only ``pantau.domain`` and libraries. The built-in kinds register themselves on import below;
adding a kind is one module plus one line in that import.
"""

from __future__ import annotations

from typing import Any

from pantau.domain.config import HttpConfig, SourceConfig
from pantau.domain.errors import FetchError, ParseError
from pantau.domain.records import CollectResult
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


def fetch_to_items(kind: str, location: str, *, http: HttpConfig | None = None,
                   options: dict[str, Any] | None = None) -> CollectResult:
    """``pantau fetch KIND LOCATION``: run a throwaway source of ``kind`` against a URL or file."""
    config = SourceConfig(name="pantau-fetch", kind=kind, location=location, options=options or {})
    get_source_kind(kind)  # fail fast, before opening a client
    with HttpFetcher(http or HttpConfig()) as fetcher:
        return collect_source(config, fetcher)
