"""The ``x_api_v2`` source kind: posts from Twitter/X API v2 responses saved as JSON or JSONL.

A file holds one response page ``{"data": [tweets], "includes": {"users": [...]}, "meta": ...}``, or
one such page per line (JSONL, as written by most collection scripts), or a JSON list of pages.
Authors come from ``includes.users`` (``author_id`` -> ``username``) and are pseudonymised like
``social_export``; handles in ``public_handles`` stay readable. :func:`parse_x_pages` is pure.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from pantau.domain.config import SourceConfig
from pantau.domain.records import CollectedItem, CollectResult, Skipped, SkipReason
from sources.base import check_options, load_document
from sources.dates import parse_datetime
from sources.guard import Refusal, binary_text, looks_binary, parse_json
from sources.http import HttpFetcher
from sources.pseudonym import Pseudonymiser
from sources.registry import register

OPTIONS = ("author_key", "public_handles")


@register("x_api_v2")
class XApiV2Source:
    """Collect tweets from saved X API v2 responses (a file, or a URL fetched within max_bytes)."""

    name = "x_api_v2"

    def collect(self, config: SourceConfig, fetcher: HttpFetcher) -> CollectResult:
        options = check_options(config, OPTIONS)
        pseudonymise = Pseudonymiser.from_options(
            options.get("author_key"), options.get("public_handles") or ()
        )
        loaded = load_document(config, fetcher)
        if isinstance(loaded, CollectResult):
            return loaded
        return parse_x_pages(loaded.content, source=config.name, pseudonymise=pseudonymise)


def parse_x_pages(content: bytes, *, source: str, pseudonymise: Pseudonymiser | None = None) -> CollectResult:
    """Items of every tweet in the response pages held by ``content``; never raises for bad bytes."""
    pseudonymise = pseudonymise or Pseudonymiser.from_options(None, environ={})
    result = CollectResult(source=source)
    if looks_binary(content):
        result.error, result.error_reason = "not a text file (binary bytes)", SkipReason.BINARY
        return result
    text = content.decode("utf-8", errors="replace").lstrip("\ufeff")
    if not text.strip():
        result.error, result.error_reason = "empty document", SkipReason.MALFORMED
        return result
    seen: set[str] = set()
    pages = 0
    for position, page in _pages(text):
        if isinstance(page, Skipped):
            result.skipped.append(Skipped(source, page.reason, page.detail, position))
            continue
        pages += 1
        _add_page(result, page, position, pseudonymise, seen)
    if pages == 0 and not result.items:
        result.error = 'no X API v2 response page found (expected {"data": [...]} objects)'
        result.error_reason = SkipReason.MALFORMED
    return result


def _pages(text: str) -> Iterator[tuple[str, dict[str, Any] | Skipped]]:
    """``(position, page)`` for a JSON document (object or list of objects) or JSONL lines; each
    line passes the guards of :mod:`sources.guard` (depth, number length) on its own."""
    whole = parse_json(text)
    if not isinstance(whole, Refusal):
        values = whole if isinstance(whole, list) else [whole]
        for index, value in enumerate(values, start=1):
            yield f"page {index}", _as_page(value)
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        value = parse_json(line)
        if isinstance(value, Refusal):
            yield f"line {number}", Skipped("", value.reason, value.detail)
            continue
        yield f"line {number}", _as_page(value)


def _as_page(value: Any) -> dict[str, Any] | Skipped:
    if not isinstance(value, dict):
        return Skipped("", SkipReason.MALFORMED, f"a JSON {type(value).__name__}, not a response page")
    if "data" not in value:
        if isinstance(value.get("errors"), list):
            return Skipped("", SkipReason.MALFORMED, f"API errors: {json.dumps(value['errors'])[:300]}")
        if isinstance(value.get("meta"), dict):
            return {"data": []}  # an empty result page (result_count 0)
        return Skipped("", SkipReason.MISSING_FIELD, "object without a 'data' list")
    data = value["data"]
    if isinstance(data, dict):  # a single-tweet lookup: {"data": {...}}
        data = [data]
    if not isinstance(data, list):
        return Skipped("", SkipReason.MALFORMED, "'data' is not a list")
    return {**value, "data": data}


def _add_page(
    result: CollectResult, page: Mapping[str, Any], position: str, pseudonymise: Pseudonymiser, seen: set[str]
) -> None:
    includes = page.get("includes") if isinstance(page.get("includes"), dict) else {}
    users = {str(u.get("id")): u for u in includes.get("users") or [] if isinstance(u, dict)}
    for index, tweet in enumerate(page["data"], start=1):
        where = f"{position}, tweet {index}"
        record = _tweet_item(tweet, users, result.source, where, pseudonymise)
        if isinstance(record, Skipped):
            result.skipped.append(record)
            continue
        item, problems = record
        if item.external_id in seen:
            result.skipped.append(
                Skipped(
                    result.source,
                    SkipReason.DUPLICATE_IN_BATCH,
                    f"tweet {item.external_id} seen before",
                    where,
                )
            )
            continue
        seen.add(item.external_id or "")
        result.items.append(item)
        result.skipped.extend(problems)


def _tweet_item(
    tweet: Any, users: Mapping[str, Any], source: str, where: str, pseudonymise: Pseudonymiser
) -> tuple[CollectedItem, list[Skipped]] | Skipped:
    if not isinstance(tweet, dict):
        return Skipped(source, SkipReason.MALFORMED, "tweet is not an object", where)
    tweet_id = str(tweet.get("id") or "").strip()
    note = tweet.get("note_tweet") if isinstance(tweet.get("note_tweet"), dict) else {}
    text = note.get("text") or tweet.get("text")
    if not tweet_id or text is None:
        missing = "id" if not tweet_id else "text"
        return Skipped(source, SkipReason.MISSING_FIELD, f"tweet without {missing}", where)
    if not isinstance(text, str):
        return Skipped(source, SkipReason.MALFORMED, "tweet text is not a string", where)
    text = text.replace("\r\n", "\n").strip()
    if not text:
        return Skipped(source, SkipReason.EMPTY_TEXT, "empty text", where)
    if binary_text(text):
        return Skipped(source, SkipReason.BINARY, "the text is binary junk, not words", where)
    user = users.get(str(tweet.get("author_id")), {})
    username = str(user.get("username") or "").strip() or None
    author = pseudonymise(username) if username else None
    public = bool(username) and author == username
    problems: list[Skipped] = []
    created = tweet.get("created_at")
    published_at = parse_datetime(created)
    if created and published_at is None:
        problems.append(
            Skipped(
                source, SkipReason.BAD_DATE, f"unparseable date {created!r}; item kept without a date", where
            )
        )
    raw: dict[str, Any] = {
        "platform": "x",
        "public_metrics": tweet.get("public_metrics")
        if isinstance(tweet.get("public_metrics"), dict)
        else None,
        "conversation_id": tweet.get("conversation_id"),
        "referenced": [r.get("type") for r in tweet.get("referenced_tweets") or [] if isinstance(r, dict)],
        "position": where,
    }
    if pseudonymise.is_development_key:
        raw["author_key"] = "development"
    # The handle in the URL would undo the pseudonym: /i/web/status/<id> opens the same post.
    url = (
        f"https://x.com/{username}/status/{tweet_id}" if public else f"https://x.com/i/web/status/{tweet_id}"
    )
    lang = tweet.get("lang") if isinstance(tweet.get("lang"), str) else None
    return CollectedItem(
        source=source,
        text=text,
        url=url,
        external_id=f"x:{tweet_id}",
        author=author,
        published_at=published_at,
        lang=lang,
        raw=raw,
    ), problems
