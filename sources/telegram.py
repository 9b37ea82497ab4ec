"""The ``telegram`` source kind: public channels read from their web preview, ``https://t.me/s/<name>``.

:func:`parse_channel_page` is a pure function of one page's bytes; the kind pages backwards with
``?before=<id>`` until ``options["since"]`` or ``max_pages``. Channels are public broadcasters, so the
channel handle is the item's author (not pseudonymised); a post's signature (a person) is not kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from bs4 import Tag

from pantau.domain.config import SourceConfig
from pantau.domain.errors import ConfigError, FetchError
from pantau.domain.records import CollectedItem, CollectResult, Skipped, SkipReason
from sources.base import check_options, failed, load, resolve_location
from sources.dates import parse_datetime
from sources.guard import looks_binary
from sources.html_article import decode_html
from sources.html_text import clean_whitespace, html_to_text, parse_html
from sources.http import HttpFetcher
from sources.registry import register

OPTIONS = ("since", "max_pages", "base_url")
DEFAULT_BASE = "https://t.me"
_CHANNEL = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,}$")
_TME = re.compile(
    r"^(?:https?://)?(?:www\.)?(?:t|telegram)\.me/(?:s/)?([A-Za-z][A-Za-z0-9_]{3,})/?(?:[?#].*)?$",
    re.IGNORECASE,
)
_VIEWS = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*([KMB]?)\s*$", re.IGNORECASE)
_MULTIPLIER = {"": 1, "K": 1_000, "M": 1_000_000, "B": 1_000_000_000}


@dataclass(slots=True)
class ChannelPage:
    """What one preview page holds: items and skips, the smallest post id seen, whether it looked like
    a channel page at all, and the ``before`` id of its "load older" link (None when there is none)."""

    items: list[CollectedItem] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    oldest_id: int | None = None
    is_channel_page: bool = False
    before: int | None = None


def channel_name(location: str) -> str | None:
    """The channel of ``@name``, ``t.me/name``, ``t.me/s/name`` or ``https://t.me/s/name``; None for
    anything else (a local file, another URL)."""
    text = location.strip()
    if text.startswith("@") and _CHANNEL.match(text[1:]):
        return text[1:]
    match = _TME.match(text)
    return match.group(1) if match else None


def parse_views(text: str | None) -> int | None:
    """``"1.2K"`` -> 1200, ``"3.4M"`` -> 3 400 000, ``"987"`` -> 987; None when unreadable."""
    match = _VIEWS.match(text or "")
    if not match:
        return None
    number = float(match.group(1).replace(",", "."))
    return int(round(number * _MULTIPLIER[match.group(2).upper()]))


@register("telegram")
class TelegramSource:
    """Collect a public channel's recent posts (or one saved preview page from a file)."""

    name = "telegram"

    def collect(self, config: SourceConfig, fetcher: HttpFetcher) -> CollectResult:
        options = check_options(config, OPTIONS)
        where = f"sources.{config.name}.options"
        since = _since(options.get("since"), where=f"{where}.since")
        max_pages = options.get("max_pages", 5)
        if isinstance(max_pages, bool) or not isinstance(max_pages, int) or max_pages < 1:
            raise ConfigError("must be a whole number >= 1", field=f"{where}.max_pages")
        channel = channel_name(config.location)
        base = str(options.get("base_url") or DEFAULT_BASE).rstrip("/")
        first = f"{base}/s/{channel}" if channel else config.location
        try:
            loaded = load(resolve_location(first), fetcher)
        except FetchError as exc:
            return failed(config.name, exc)
        result = CollectResult(source=config.name)
        if loaded.not_modified:
            return result
        if looks_binary(loaded.content):
            result.error, result.error_reason = "not a web page (binary bytes)", SkipReason.BINARY
            return result
        page = parse_channel_page(loaded.content, source=config.name, encoding_hint=loaded.encoding_hint)
        if not page.is_channel_page:
            result.error = "not a Telegram channel preview page (is the web preview of the channel enabled?)"
            result.error_reason = SkipReason.MALFORMED
            return result
        seen: set[str] = set()
        for number in range(1, max_pages + 1):
            stop = _add_page(result, page, since, seen)
            if stop or not channel or number == max_pages or page.oldest_id is None:
                break
            before = page.before or page.oldest_id
            url = f"{base}/s/{channel}?before={before}"
            try:
                doc = fetcher.fetch(url, conditional=False)
            except FetchError as exc:
                result.skipped.append(
                    Skipped(config.name, SkipReason.FETCH_ERROR, f"older page not fetched: {exc}", url)
                )
                break
            older = parse_channel_page(doc.content, source=config.name, encoding_hint=doc.encoding_hint)
            if older.oldest_id is None or older.oldest_id >= page.oldest_id:
                break  # no progress: the end of the channel, or a page that repeats itself
            page = older
        result.items.sort(key=lambda item: _post_number(item.external_id))
        return result


def _add_page(result: CollectResult, page: ChannelPage, since: datetime | None, seen: set[str]) -> bool:
    """Add a page's items newer than ``since``; True when the page reached back past ``since``."""
    reached = False
    for item in page.items:
        if since is not None and item.published_at is not None and item.published_at < since:
            reached = True
            continue
        if item.external_id in seen:
            result.skipped.append(
                Skipped(result.source, SkipReason.DUPLICATE_IN_BATCH, "post seen on a newer page", item.url)
            )
            continue
        seen.add(item.external_id or "")
        result.items.append(item)
    result.skipped.extend(page.skipped)
    return reached


def parse_channel_page(content: bytes, *, source: str, encoding_hint: str | None = None) -> ChannelPage:
    """Posts of one ``t.me/s/<channel>`` page, oldest first as on the page. Never raises for bad bytes."""
    page = ChannelPage()
    try:
        soup = parse_html(decode_html(content, encoding_hint))
        page.is_channel_page = bool(soup.find(class_=re.compile(r"^tgme_")))
        more = soup.find("a", class_="tme_messages_more")
        if isinstance(more, Tag):
            page.before = _int(more.get("data-before"))
        for index, message in enumerate(soup.find_all("div", class_="tgme_widget_message"), start=1):
            _add_message(page, message, index, source)
    except (RecursionError, ValueError, TypeError, AssertionError):
        page.skipped.append(Skipped(source, SkipReason.MALFORMED, "page could not be parsed", "page"))
    return page


def _add_message(page: ChannelPage, message: Tag, index: int, source: str) -> None:
    post = str(message.get("data-post") or "").strip()
    channel, _, number = post.partition("/")
    post_id = _int(number)
    if not channel or post_id is None:
        page.skipped.append(
            Skipped(source, SkipReason.MISSING_FIELD, "message without data-post", f"message {index}")
        )
        return
    page.oldest_id = post_id if page.oldest_id is None else min(page.oldest_id, post_id)
    url = f"https://t.me/{channel}/{post_id}"
    if "service_message" in (message.get("class") or []):
        page.skipped.append(Skipped(source, SkipReason.EMPTY_TEXT, "service message", url))
        return
    text_tag = message.find(class_="tgme_widget_message_text")
    text = html_to_text(text_tag.decode_contents()) if isinstance(text_tag, Tag) else ""
    if not text:
        page.skipped.append(Skipped(source, SkipReason.EMPTY_TEXT, "post without text (media only)", url))
        return
    time_tag = message.find("time")
    raw_time = str(time_tag.get("datetime") or "") if isinstance(time_tag, Tag) else ""
    published_at = parse_datetime(raw_time) if raw_time else None
    if raw_time and published_at is None:
        page.skipped.append(
            Skipped(
                source, SkipReason.BAD_DATE, f"unparseable date {raw_time!r}; item kept without a date", url
            )
        )
    views_tag = message.find(class_="tgme_widget_message_views")
    forwarded = message.find(class_="tgme_widget_message_forwarded_from_name")
    owner = message.find(class_="tgme_widget_message_owner_name")
    raw: dict[str, Any] = {
        "platform": "telegram",
        "channel": channel,
        "post_id": post_id,
        "views": parse_views(views_tag.get_text()) if isinstance(views_tag, Tag) else None,
        "forwarded_from": _text(forwarded),
    }
    if isinstance(forwarded, Tag) and forwarded.get("href"):
        raw["forwarded_from_url"] = str(forwarded.get("href"))
    if owner is not None:
        raw["channel_title"] = _text(owner)
    page.items.append(
        CollectedItem(
            source=source,
            text=text,
            url=url,
            external_id=f"telegram:{post}",
            author=channel,
            published_at=published_at,
            raw=raw,
        )
    )


def _text(tag: Any) -> str | None:
    return clean_whitespace(tag.get_text(" ")) or None if isinstance(tag, Tag) else None


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 19 else None


def _post_number(external_id: str | None) -> int:
    return _int((external_id or "").rpartition("/")[2]) or 0


def _since(value: Any, *, where: str) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    parsed = parse_datetime(value)
    if parsed is None:
        raise ConfigError(f"not an ISO date: {value!r}", field=where)
    return parsed
