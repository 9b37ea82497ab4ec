"""Metadata of an article page: title, author, publication time, site name, canonical URL, language.

Read from the whole page *before* boilerplate is stripped (bylines often sit in a ``<header>``).
Precedence: per-site CSS selectors, then Open Graph / ``article:*`` meta tags, then JSON-LD, then
visible markup (``<h1>``, ``<time datetime>``, byline classes), then ``<title>``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from bs4 import BeautifulSoup, Tag

from sources.html_text import clean_whitespace

_BYLINE = re.compile(r"byline|author|penulis|reporter|writer|wartawan", re.IGNORECASE)
_BYLINE_PREFIX = re.compile(
    r"^\s*(penulis|reporter|pewarta|oleh|by|author|wartawan)\b\s*[:|\-]?\s*", re.IGNORECASE
)
_MAX_FIELD = 300  # a "title" or "author" longer than this is not one


@dataclass(frozen=True, slots=True)
class PageMeta:
    title: str | None = None
    author: str | None = None
    published: str | None = None
    site_name: str | None = None
    canonical: str | None = None
    lang: str | None = None

    @classmethod
    def read(cls, soup: BeautifulSoup, selectors: Mapping[str, str]) -> PageMeta:
        metas = _meta_map(soup)
        ld = list(_json_ld(soup))
        title = (
            _selected(soup, selectors.get("title"))
            or metas.get("og:title")
            or metas.get("twitter:title")
            or _ld_value(ld, "headline")
            or _text(soup.find("h1"))
            or _text(soup.find("title"))
        )
        author = (
            _selected(soup, selectors.get("author"))
            or _not_url(metas.get("author"))
            or _not_url(metas.get("article:author"))
            or _ld_author(ld)
            or _byline(soup)
        )
        published = (
            _selected_time(soup, selectors.get("published"))
            or metas.get("article:published_time")
            or _ld_value(ld, "datePublished")
            or _time_tag(soup)
            or metas.get("pubdate")
            or metas.get("publishdate")
            or metas.get("date")
            or metas.get("dc.date")
        )
        canonical = None
        link = soup.find("link", rel="canonical")
        if isinstance(link, Tag):
            href = str(link.get("href") or "").strip()
            canonical = href if href.lower().startswith(("http://", "https://")) else None
        html = soup.find("html")
        lang = str(html.get("lang") or "").strip() or None if isinstance(html, Tag) else None
        return cls(
            title=_short(title),
            author=_short(_strip_prefix(author)),
            published=_short(published),
            site_name=_short(metas.get("og:site_name")),
            canonical=canonical,
            lang=_short(lang),
        )


def _meta_map(soup: BeautifulSoup) -> dict[str, str]:
    """``<meta property|name|itemprop=... content=...>``, keys lower-cased, first one wins."""
    found: dict[str, str] = {}
    for meta in soup.find_all("meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop")
        value = meta.get("content")
        if isinstance(key, str) and isinstance(value, str) and value.strip():
            found.setdefault(key.strip().lower(), clean_whitespace(value))
    return found


def _json_ld(soup: BeautifulSoup) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object on the page (lists and ``@graph`` flattened); broken JSON is ignored."""
    for script in soup.find_all("script", type=re.compile(r"ld\+json", re.IGNORECASE)):
        try:
            data = json.loads(script.string or script.get_text() or "")
        except (ValueError, RecursionError):
            continue
        stack = [data]
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(reversed(node))
            elif isinstance(node, dict):
                yield node
                if isinstance(node.get("@graph"), list):
                    stack.extend(reversed(node["@graph"]))


def _ld_value(ld: list[dict[str, Any]], key: str) -> str | None:
    for node in ld:
        value = node.get(key)
        if isinstance(value, str) and value.strip():
            return clean_whitespace(value)
    return None


def _ld_author(ld: list[dict[str, Any]]) -> str | None:
    for node in ld:
        author = node.get("author")
        for candidate in author if isinstance(author, list) else [author]:
            if isinstance(candidate, dict):
                candidate = candidate.get("name")
            if isinstance(candidate, str) and candidate.strip():
                return clean_whitespace(candidate)
    return None


def _byline(soup: BeautifulSoup) -> str | None:
    for tag in soup.find_all(["span", "div", "p", "a", "address"], class_=_BYLINE, limit=5):
        text = _text(tag)
        if text and len(text) <= 80:
            return text
    link = soup.find("a", rel="author")
    return _text(link) if isinstance(link, Tag) else None


def _time_tag(soup: BeautifulSoup) -> str | None:
    for tag in soup.find_all("time", limit=5):
        value = tag.get("datetime")
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _selected(soup: BeautifulSoup, selector: str | None) -> str | None:
    if not selector:
        return None
    tag = soup.select_one(selector)
    if tag is None:
        return None
    return _text(tag) or (str(tag.get("content") or "").strip() or None)


def _selected_time(soup: BeautifulSoup, selector: str | None) -> str | None:
    if not selector:
        return None
    tag = soup.select_one(selector)
    if tag is None:
        return None
    for attribute in ("datetime", "content", "data-time"):
        value = tag.get(attribute)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return _text(tag)


def _text(tag: Any) -> str | None:
    if not isinstance(tag, Tag):
        return None
    return clean_whitespace(tag.get_text(" ")) or None


def _not_url(value: str | None) -> str | None:
    return None if not value or value.lower().startswith(("http://", "https://", "javascript:")) else value


def _strip_prefix(author: str | None) -> str | None:
    return _BYLINE_PREFIX.sub("", author).strip() or None if author else None


def _short(value: str | None) -> str | None:
    return value[:_MAX_FIELD] if value else None
