"""The ``rss`` source kind: RSS 2.0, RSS 1.0/RDF and Atom feeds, all parsed by feedparser.

:func:`parse_feed` is a pure function of bytes. Rules for broken feeds (feedparser's ``bozo``):

* an empty document, or one that is not a feed at all (no feed version and no entries), or a feed
  that is not well-formed and yields no entry -> ``CollectResult.error`` with reason ``malformed``;
* a feed that is not well-formed but still yields entries (feedparser's lenient parser) -> the items
  are kept, plus one ``Skipped(MALFORMED, position="feed")`` because entries may be lost or cut;
* a feed whose declared encoding is wrong (feedparser decoded it with another one) -> the items are
  kept, plus one ``Skipped(BAD_ENCODING, position="feed")`` so the source's health shows it.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import feedparser

from pantau.domain.config import SourceConfig
from pantau.domain.errors import ConfigError, FetchError
from pantau.domain.records import CollectedItem, CollectResult, Skipped, SkipReason
from pantau.domain.text import canonical_url
from sources.base import check_options, load_document
from sources.dates import struct_to_utc
from sources.html_article import enrich_from_page, validate_selectors
from sources.html_text import clean_whitespace, html_to_text
from sources.http import HttpFetcher
from sources.registry import register

_HTML_TYPES = ("text/html", "application/xhtml+xml")
# Bozo exceptions that do not lose content: the bytes parsed, only the encoding or media type was off.
_ENCODING_ONLY = (feedparser.CharacterEncodingOverride, feedparser.CharacterEncodingUnknown)
_HARMLESS = (feedparser.NonXMLContentType,)


@register("rss")
class RssSource:
    """Collect a feed from a URL or a file; optionally fetch the pages of teaser-only entries."""

    name = "rss"
    options: tuple[str, ...] = ("fetch_pages", "teaser_chars", "selectors")

    def collect(self, config: SourceConfig, fetcher: HttpFetcher) -> CollectResult:
        check_options(config, self.options)
        return collect_feed(config, fetcher)


def collect_feed(config: SourceConfig, fetcher: HttpFetcher) -> CollectResult:
    """Load and parse the feed of ``config`` (options ``fetch_pages``, ``teaser_chars``, ``selectors``
    already checked by the caller); shared by the ``rss`` and ``factcheck_feed`` kinds."""
    options = config.options
    selectors = validate_selectors(options.get("selectors"), where=f"sources.{config.name}.options.selectors")
    teaser_chars = _teaser_chars(config)
    loaded = load_document(config, fetcher)
    if isinstance(loaded, CollectResult):
        return loaded
    result = parse_feed(loaded.content, source=config.name, base_url=loaded.base_url)
    if options.get("fetch_pages"):
        enrich_teasers(result, fetcher, teaser_chars=teaser_chars, selectors=selectors)
    return result


def _teaser_chars(config: SourceConfig) -> int:
    value = config.options.get("teaser_chars", 400)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(
            "must be a whole number of characters (>= 0)", field=f"sources.{config.name}.options.teaser_chars"
        )
    return value


def enrich_teasers(
    result: CollectResult,
    fetcher: HttpFetcher,
    *,
    teaser_chars: int = 400,
    selectors: Mapping[str, str] | None = None,
) -> None:
    """Replace the text of items shorter than ``teaser_chars`` by their page's main text, in place.
    A page that cannot be fetched keeps the teaser and adds a ``Skipped(FETCH_ERROR, position=url)``."""
    for index, item in enumerate(result.items):
        if len(item.text) >= teaser_chars:
            continue
        try:
            result.items[index] = enrich_from_page(item, fetcher, selectors)
        except FetchError as exc:
            result.skipped.append(
                Skipped(
                    result.source, SkipReason.FETCH_ERROR, f"page not fetched, teaser kept: {exc}", item.url
                )
            )


def parse_feed(content: bytes, *, source: str, base_url: str | None = None) -> CollectResult:
    """Turn the bytes of a feed into items; never raises for bad bytes (see the module docstring)."""
    result = CollectResult(source=source)
    if not content.strip():
        return _fail(result, "empty document")
    headers = {"content-location": base_url} if base_url else {}
    try:
        # A stream, never the bytes themselves: feedparser would treat a str/bytes as a URL or path.
        parsed = feedparser.parse(io.BytesIO(content), response_headers=headers)
    except Exception as exc:  # feedparser is lenient, but a crash on hostile bytes must not end the run
        return _fail(result, f"feedparser failed: {type(exc).__name__}: {exc}")
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    entries = parsed.get("entries") or []
    if not entries:
        if problem is not None and not isinstance(problem, _ENCODING_ONLY + _HARMLESS):
            return _fail(result, f"not a well-formed feed: {_describe(problem)}")
        if not parsed.get("version"):
            return _fail(result, "not a recognisable RSS, RDF or Atom feed")
        return result  # a valid feed with no entries
    if problem is not None and isinstance(problem, _ENCODING_ONLY):
        result.skipped.append(Skipped(source, SkipReason.BAD_ENCODING, _describe(problem), "feed"))
    elif problem is not None and not isinstance(problem, _HARMLESS):
        result.skipped.append(
            Skipped(
                source,
                SkipReason.MALFORMED,
                f"not well-formed, parsed leniently (entries may be lost): {_describe(problem)}",
                "feed",
            )
        )
    feed = parsed.get("feed", {})
    feed_title = clean_whitespace(feed.get("title", "")) or None
    seen: set[str] = set()
    for index, entry in enumerate(entries, start=1):
        _add_entry(result, entry, index, feed_title, seen)
    return result


def _add_entry(result: CollectResult, entry: Any, index: int, feed_title: str | None, seen: set[str]) -> None:
    source, position = result.source, f"entry {index}"
    title = _text_of(entry.get("title"), entry.get("title_detail")) or None
    text = _body(entry)
    if not title and not text:
        result.skipped.append(
            Skipped(source, SkipReason.EMPTY_TEXT, "entry has no title and no text", position)
        )
        return
    url = (entry.get("link") or "").strip() or None
    external_id = (entry.get("id") or "").strip() or None
    keys = {
        k
        for k in (f"id:{external_id}" if external_id else "", f"url:{canonical_url(url)}" if url else "")
        if k
    }
    if keys & seen:
        result.skipped.append(
            Skipped(
                source,
                SkipReason.DUPLICATE_IN_BATCH,
                f"same link or guid as an earlier entry: {url or external_id}",
                position,
            )
        )
        return
    seen.update(keys)
    # dict.get: FeedParserDict.get("updated*") would fall back to "published*" with a deprecation warning
    published_at = struct_to_utc(dict.get(entry, "published_parsed")) or struct_to_utc(
        dict.get(entry, "updated_parsed")
    )
    raw_date = dict.get(entry, "published") or dict.get(entry, "updated")
    if published_at is None and raw_date:
        result.skipped.append(
            Skipped(
                source,
                SkipReason.BAD_DATE,
                f"unparseable date {raw_date!r}; item kept without a date",
                position,
            )
        )
    categories = [t.get("term") for t in entry.get("tags", []) if t.get("term")]
    author = clean_whitespace(entry.get("author", "")) or None
    result.items.append(
        CollectedItem(
            source=source,
            text=text,
            title=title,
            url=url,
            external_id=external_id,
            author=author,
            published_at=published_at,
            raw={"feed_title": feed_title, "categories": categories},
        )
    )


def _body(entry: Any) -> str:
    """The fullest body: every ``content`` value (content:encoded, Atom content) and the summary,
    converted to text; the longest wins, earlier candidates on ties (so content before summary)."""
    candidates = [_text_of(c.get("value"), c) for c in entry.get("content", [])]
    candidates.append(_text_of(entry.get("summary"), entry.get("summary_detail")))
    return max(candidates, key=len, default="")


def _text_of(value: str | None, detail: Any) -> str:
    if not value:
        return ""
    kind = (detail or {}).get("type", "text/html")
    return html_to_text(value) if kind in _HTML_TYPES else clean_whitespace(value)


def _describe(exc: BaseException) -> str:
    line = getattr(exc, "getLineNumber", None)
    where = f" (line {line()})" if callable(line) else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _fail(result: CollectResult, message: str) -> CollectResult:
    result.error = message
    result.error_reason = SkipReason.MALFORMED
    return result
