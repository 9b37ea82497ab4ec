"""The ``html`` source kind: one news article page (or a list of them) to one item each.

:func:`parse_article` is a pure function of bytes: it decodes the page (HTTP charset, else valid UTF-8,
else the ``<meta charset>``, else cp1252) and reads metadata (:class:`~sources.html_meta.PageMeta`:
Open Graph, ``article:*``, JSON-LD, ``<time>``; trafilatura's author and htmldate's day only fill
what those lack). The main text comes from per-site CSS ``selectors`` when given and matching
(BeautifulSoup), else from trafilatura, run after Pantau's own pruning (navigation, share, comment,
"baca juga", ad widgets named in Indonesian or English), with link-heavy blocks and inline
boilerplate lines ("Baca juga: ...", credit lines, "Halaman 1 2 3") dropped. When trafilatura gives
nothing, the older hand-written extractor (:func:`heuristic_main_text`) takes over; the reason is
counted in :data:`FALLBACKS`, logged and kept in ``raw["fallback_reason"]``.
:func:`enrich_from_page` replaces a feed item's teaser by the text of its page.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import soupsieve
import trafilatura
from bs4 import BeautifulSoup, Tag
from lxml.html import HtmlElement

from pantau.domain.config import SourceConfig
from pantau.domain.errors import ConfigError, FetchError
from pantau.domain.records import CollectedItem, CollectResult, Skipped, SkipReason
from pantau.domain.text import canonical_url
from sources.base import check_options, failed, load, resolve_location
from sources.dates import parse_datetime
from sources.guard import looks_binary
from sources.html_meta import PageMeta
from sources.html_text import clean_whitespace, parse_html
from sources.http import HttpFetcher
from sources.registry import register

SELECTOR_KEYS = ("title", "body", "author", "published")
OPTIONS = ("urls", "selectors", "timezone")
LOCAL_TZ = ZoneInfo("Asia/Jakarta")  # naive page times are taken as WIB unless options say otherwise
MAX_TRAFILATURA_ELEMENTS = 30_000  # trafilatura's time grows faster than the page: 35k elements ~ 3.5 s
FALLBACKS: Counter[str] = Counter()  # pages where trafilatura gave nothing, by reason (this process)
LOG = logging.getLogger(__name__)
# trafilatura and htmldate log WARNING/ERROR lines ("discarding data", "lxml parsing failed") for pages
# that Pantau handles itself, counted in FALLBACKS and logged once above: keep them out of run logs.
for _name in ("trafilatura", "htmldate", "courlan"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)

_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "embed",
    "svg",
    "canvas",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "button",
    "input",
    "select",
    "textarea",
    "menu",
    "dialog",
    "figure",
)
_JUNK = re.compile(
    r"comment|komentar|disqus|share|sharing|social|sosmed|related|terkait|baca-?juga|"
    r"sidebar|widget|newsletter|subscribe|advert|iklan|\bads?\b|banner|promo|breadcrumb|"
    r"navbar|menu|popular|terpopuler|trending|footer|cookie|tags?-?list|paging|pagination",
    re.IGNORECASE,
)
_TEXT_BLOCKS = ("p", "h2", "h3", "h4", "li", "blockquote", "pre")
_MIN_PARAGRAPH = 25
_MAX_ANCHORS = 10
_MAX_FIELD = 300  # as in sources.html_meta: a longer "author" is not one
_TREE_BLOCKS = ("p", "head", "quote", "list", "item", "table", "row")  # trafilatura's block elements
_MAX_WALK = 64  # ancestors looked at per node; deeper nesting is treated as unrelated
_BR = "\ue000"  # a private-use character standing for <br> while whitespace is collapsed
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE)
# Lines of trafilatura's text that are portal furniture, not article: related links, tag lines,
# short credit lines, ad placeholders, pagination (matched at the start of a line, case-insensitive).
_INLINE_JUNK = re.compile(
    r"(?:baca|simak|lihat|tonton)\s+(?:juga|pula|selengkapnya)\b"
    r"|(?:baca|simak|lihat|tonton)\s*:"
    r"|(?:berita|artikel|video)\s+(?:terkait|lainnya|pilihan)\b"
    r"|(?:tag|tags|topik|kata kunci)\s*:"
    r"|(?:penulis|editor|reporter|pewarta|redaktur|fotografer|kontributor|sumber|foto)\s*:.{0,80}$"
    r"|(?:advertisement|iklan|scroll to continue with content)$"
    r"|halaman\s+(?:selanjutnya|berikutnya|\d+(?:\s+\d+)*(?:\s+(?:selanjutnya|berikutnya))?)$",
    re.IGNORECASE,
)


@register("html")
class HtmlArticleSource:
    """Collect article pages: ``location`` and/or ``options["urls"]`` (URLs or files)."""

    name = "html"

    def collect(self, config: SourceConfig, fetcher: HttpFetcher) -> CollectResult:
        options = check_options(config, OPTIONS)
        where = f"sources.{config.name}.options"
        selectors = validate_selectors(options.get("selectors"), where=f"{where}.selectors")
        timezone = _timezone(options.get("timezone"), where=f"{where}.timezone")
        urls = options.get("urls") or []
        if not isinstance(urls, list | tuple) or not all(isinstance(u, str) for u in urls):
            raise ConfigError("must be a list of URLs or paths", field=f"{where}.urls")
        targets = [t for t in [config.location, *urls] if t and t.strip()]
        result = CollectResult(source=config.name)
        seen: set[str] = set()
        failures: list[FetchError] = []
        for target in targets:
            key = canonical_url(target) or target
            if key in seen:
                result.skipped.append(
                    Skipped(config.name, SkipReason.DUPLICATE_IN_BATCH, "listed twice", target)
                )
                continue
            seen.add(key)
            try:
                loaded = load(resolve_location(target), fetcher)
            except FetchError as exc:
                failures.append(exc)
                reason = SkipReason.TOO_LARGE if exc.reason == "too_large" else SkipReason.FETCH_ERROR
                result.skipped.append(Skipped(config.name, reason, str(exc), target))
                continue
            if loaded.not_modified:
                continue
            if looks_binary(loaded.content):
                result.skipped.append(
                    Skipped(config.name, SkipReason.BINARY, "not an HTML page (binary bytes)", target)
                )
                continue
            item = parse_article(
                loaded.content,
                url=_public_url(target, loaded.base_url),
                encoding_hint=loaded.encoding_hint,
                selectors=selectors,
                source=config.name,
                timezone=timezone,
                fetched_at=datetime.now(UTC),
            )
            if item is None:
                result.skipped.append(
                    Skipped(config.name, SkipReason.EMPTY_TEXT, "no article text found on the page", target)
                )
            else:
                result.items.append(item)
        if failures and len(failures) == len(targets):
            return (
                failed(config.name, failures[0])
                if len(targets) == 1
                else CollectResult(
                    source=config.name,
                    skipped=result.skipped,
                    error=f"all {len(targets)} pages failed",
                    error_reason=SkipReason.FETCH_ERROR,
                )
            )
        return result


def validate_selectors(selectors: Any, *, where: str = "selectors") -> dict[str, str] | None:
    """Check a ``{"title", "body", "author", "published"}`` -> CSS selector map (config mistakes raise)."""
    if not selectors:
        return None
    if not isinstance(selectors, Mapping):
        raise ConfigError("must be a mapping of field -> CSS selector", field=where)
    unknown = sorted(set(selectors) - set(SELECTOR_KEYS))
    if unknown:
        raise ConfigError(
            f"unknown field(s) {', '.join(unknown)}; known: {', '.join(SELECTOR_KEYS)}", field=where
        )
    checked = {k: str(v) for k, v in selectors.items() if v}
    for key, selector in checked.items():
        try:
            soupsieve.compile(selector)
        except soupsieve.SelectorSyntaxError as exc:
            raise ConfigError(f"invalid CSS selector {selector!r}: {exc}", field=f"{where}.{key}") from exc
    return checked


def parse_article(
    content: bytes,
    *,
    url: str | None,
    encoding_hint: str | None = None,
    selectors: Mapping[str, str] | None = None,
    source: str = "html",
    timezone: ZoneInfo = LOCAL_TZ,
    fetched_at: datetime | None = None,
) -> CollectedItem | None:
    """The article on an HTML page, or None when the page has no text. Never raises for bad bytes;
    an invalid CSS selector is a :class:`ConfigError`. Binary bytes (not a page at all) give None.
    ``fetched_at`` (when the page was fetched) dates a relative publication time such as
    "2 jam yang lalu"; without it such a date is left unread."""
    selectors = validate_selectors(selectors)
    if looks_binary(content):
        return None
    try:
        html = decode_html(content, encoding_hint)
        soup = _soup(html)
        return _extract(
            soup,
            html,
            url=url,
            selectors=selectors or {},
            source=source,
            timezone=timezone,
            fetched_at=fetched_at,
        )
    except (RecursionError, ValueError, TypeError, AssertionError, NotImplementedError):
        # bs4/soupsieve on pathological markup (or a selector soupsieve rejects): no item, no crash
        return None


def enrich_from_page(
    item: CollectedItem, fetcher: HttpFetcher, selectors: Mapping[str, str] | None = None
) -> CollectedItem:
    """``item`` with its text replaced by the main text of the page at ``item.url`` when that is longer.

    Author and date are filled in only when the item lacks them. Items without an http(s) URL are
    returned unchanged. Raises :class:`FetchError` when the page cannot be fetched (the caller keeps
    the teaser and records a skip)."""
    if not item.url or not item.url.lower().startswith(("http://", "https://")):
        return item
    doc = fetcher.fetch(item.url, conditional=False)
    if looks_binary(doc.content):
        return item
    page = parse_article(
        doc.content,
        url=doc.final_url,
        encoding_hint=doc.encoding_hint,
        selectors=selectors,
        source=item.source,
        fetched_at=datetime.now(UTC),
    )
    if page is None or len(page.text) <= len(item.text):
        return item
    return dataclasses.replace(
        item,
        text=page.text,
        author=item.author or page.author,
        published_at=item.published_at or page.published_at,
        raw={**item.raw, "page_fetched": True, "teaser_chars": len(item.text)},
    )


def decode_html(content: bytes, encoding_hint: str | None = None) -> str:
    """Text of a page: the HTTP charset if it decodes, else UTF-8 if valid, else the meta charset,
    else cp1252 (then latin-1, which always works). A lying ``<meta charset>`` cannot win over valid
    UTF-8, the most common mistake of small sites."""
    meta = _CHARSET.search(content[:4096])
    candidates = [encoding_hint, "utf-8", meta.group(1).decode("ascii", "ignore") if meta else None, "cp1252"]
    for encoding in candidates:
        if not encoding:
            continue
        try:
            return content.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return content.decode("latin-1")


def _soup(text: str) -> BeautifulSoup:
    return parse_html(text)


def _extract(
    soup: BeautifulSoup,
    html: str,
    *,
    url: str | None,
    selectors: Mapping[str, str],
    source: str,
    timezone: ZoneInfo,
    fetched_at: datetime | None = None,
) -> CollectedItem | None:
    meta = PageMeta.read(soup, selectors)
    root = _select_body(soup, selectors["body"]) if selectors.get("body") else None
    raw: dict[str, Any] = {}
    author, published = meta.author, meta.published
    tree, unparsed = _lxml_tree(html) if root is None or not (author and published) else (None, None)
    if tree is not None and not (author and published):
        found_author, found_day = _trafilatura_metadata(tree, url)
        if not author and found_author:
            author, raw["author_from"] = found_author[:_MAX_FIELD], "trafilatura"
        if not published and found_day:
            published, raw["published_from"] = found_day, "htmldate"  # a day, no time of day
    if root is not None:  # the site's own selector wins over any generic extractor
        _strip_boilerplate(soup)
        text, extractor = _blocks_text(root, keep_all=True), "selectors"
    else:
        text, why = _trafilatura_text(tree) if tree is not None else ("", unparsed)
        extractor = "trafilatura"
        if why:
            FALLBACKS[why] += 1
            LOG.info("%s: no text from trafilatura (%s), using the heuristic", url or "page", why)
            text, extractor = heuristic_main_text(soup)
            raw["fallback_reason"] = why
    text = text.replace("\x00", "").strip()  # NUL would be dropped later, leaving an empty item
    if not text:
        return None
    published_at = (
        parse_datetime(published, default_tz=timezone, relative_to=fetched_at) if published else None
    )
    raw["extractor"] = extractor
    for key, value in (
        ("site_name", meta.site_name),
        ("canonical_url", meta.canonical),
        ("html_lang", meta.lang),
        ("raw_published", published),
    ):
        if value:
            raw[key] = value
    return CollectedItem(
        source=source,
        text=text,
        title=meta.title,
        url=url,
        author=author,
        published_at=published_at,
        raw=raw,
    )


def heuristic_main_text(soup: BeautifulSoup) -> tuple[str, str]:
    """Pantau's older hand-written extractor, kept as trafilatura's fallback and as the benchmark's
    baseline: ``(text, "generic")`` from the block with the most paragraph text (links discounted),
    else ``(text, "fallback")``: the whole ``<article>``, ``<main>`` or ``<body>``. Strips the
    boilerplate from ``soup`` in place."""
    _strip_boilerplate(soup)
    block = _densest_block(soup)
    text = _blocks_text(block) if block is not None else ""
    if text:
        return text, "generic"
    container = soup.find("article") or soup.find("main") or soup.body or soup
    return clean_whitespace(container.get_text("\n")), "fallback"


# --- trafilatura -------------------------------------------------------------------------------------


def _lxml_tree(html: str) -> tuple[HtmlElement | None, str | None]:
    """The page as lxml parses it for trafilatura, or ``(None, reason)``: ``unparsed`` (lxml gives
    up, e.g. on thousands of nested elements) or ``too_many_elements`` (more than
    :data:`MAX_TRAFILATURA_ELEMENTS`, where trafilatura would take seconds; the heuristic is linear)."""
    try:
        tree = trafilatura.load_html(html)
    except Exception:  # a third-party parser on hostile input: the heuristic still reads the page
        return None, "unparsed"
    if tree is None:
        return None, "unparsed"
    if sum(1 for _ in tree.iter()) > MAX_TRAFILATURA_ELEMENTS:
        return None, "too_many_elements"
    return tree, None


def _trafilatura_metadata(tree: HtmlElement, url: str | None) -> tuple[str | None, str | None]:
    """trafilatura's author and htmldate's publication day (``YYYY-MM-DD``), for pages whose meta
    tags, JSON-LD and ``<time>`` say nothing. htmldate's *extensive* search stays off: it takes a
    copyright line for 1 January and a related link's URL for the article's date. Never raises."""
    try:
        found = trafilatura.extract_metadata(tree, default_url=url, extensive=False)
    except Exception:  # metadata is optional; a library bug must not lose the page
        return None, None
    return (found.author or None), (found.date or None)


def _trafilatura_text(tree: HtmlElement) -> tuple[str, str | None]:
    """``(text, None)``: the main text trafilatura finds in ``tree`` after Pantau's pruning (``tree``
    is changed), its blocks one blank line apart, ``<br>`` and list items a line break. Blocks that
    are mostly link text, the headline (``<h1>``) and :data:`_INLINE_JUNK` lines are dropped. The
    text is built from the tree's text nodes (trafilatura's own text output unescapes entities a
    second time: a page showing ``&lt;b&gt;`` would read ``<b>``). ``("", reason)`` when there is
    none: ``trafilatura_empty`` or ``trafilatura_error``."""
    try:
        _prune(tree)
        document = trafilatura.bare_extraction(
            tree, include_comments=False, include_links=True, include_images=False, deduplicate=False
        )
        body = getattr(document, "body", None)
        blocks = [] if body is None else [_tree_block_text(b) for b in body if isinstance(b.tag, str)]
    except Exception as exc:  # a library bug on hostile markup: the caller falls back to the heuristic
        LOG.info("trafilatura failed: %s: %s", type(exc).__name__, exc)
        return "", "trafilatura_error"
    text = clean_whitespace("\n\n".join(block for block in blocks if block))
    return (text, None) if text else ("", "trafilatura_empty")


def _tree_block_text(block: HtmlElement) -> str:
    if block.tag == "head" and block.get("rend") == "h1":
        return ""  # the headline: the item's title
    total = len("".join(block.itertext()).strip())
    links = sum(len("".join(ref.itertext()).strip()) for ref in block.iter("ref"))
    if not total or links > 0.5 * total:
        return ""
    for node in block.iter("lb", *_TREE_BLOCKS):
        if node is not block:  # nested blocks (a heading and a teaser in one item) stay apart
            node.tail = _BR + (node.tail or "")
            node.text = node.text if node.tag == "lb" else _BR + (node.text or "")
    for cell in block.iter("cell"):
        cell.tail = " " + (cell.tail or "")
    lines = (" ".join(part.split()) for part in "".join(block.itertext()).split(_BR))
    return "\n".join(line for line in lines if line and not _INLINE_JUNK.match(line))


def _prune(tree: HtmlElement) -> None:
    """Remove what :func:`_strip_boilerplate` removes for the heuristic (the same tags and class/id
    words), except the ancestors of the first few ``<article>``/``<main>``/``<h1>`` (layout wrappers
    such as ``<form>`` around a whole page or ``class="content has-sidebar"``) and of the element
    whose paragraphs hold the most text (``class="entry-content no-share"`` is the article body,
    whatever its name says). Iterative: deep pages cannot exhaust the stack."""
    wrappers: set[HtmlElement] = set()
    for count, anchor in enumerate(tree.iter("article", "main", "h1")):
        if count >= _MAX_ANCHORS:
            break
        wrappers.update(anchor.iterancestors())
    body = _paragraph_parent(tree)
    if body is not None:
        wrappers.add(body)
        wrappers.update(body.iterancestors())
    junk, stack = [], [tree]
    while stack:
        for child in stack.pop():
            if not isinstance(child.tag, str):
                continue  # a comment or processing instruction
            marks = f"{child.get('class') or ''} {child.get('id') or ''} {child.get('role') or ''}"
            if child not in wrappers and (
                child.tag in _DROP_TAGS or _junk_marks(child.tag, marks, child.get("role"))
            ):
                junk.append(child)
            else:
                stack.append(child)
    for element in junk:
        element.drop_tree()


def _paragraph_parent(tree: HtmlElement) -> HtmlElement | None:
    """The element whose ``<p>`` children hold the most text that is not link text (the
    heuristic's scoring without the grandparent share): the likely article body."""
    scores: dict[HtmlElement, int] = {}
    for paragraph in tree.iter("p"):
        parent = paragraph.getparent()
        if parent is None:
            continue
        length = len(paragraph.text_content().strip())
        links = sum(len(a.text_content().strip()) for a in paragraph.iter("a"))
        if length - links > 0:
            scores[parent] = scores.get(parent, 0) + length - links
    return max(scores, key=scores.__getitem__) if scores else None


def _select_body(soup: BeautifulSoup, selector: str) -> Tag | None:
    found = soup.select(selector)
    if not found:
        return None
    if len(found) == 1:
        return found[0]
    wrapper = soup.new_tag("div")
    for tag in found:
        wrapper.append(tag.extract())
    return wrapper


def _strip_boilerplate(soup: BeautifulSoup) -> None:
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    # A layout wrapper ("content has-sidebar") holds the article itself: it is kept. The ancestors
    # of the first few <article>/<main>/<h1> are collected once, so this stays linear.
    wrappers: set[int] = set()
    for anchor in soup.find_all(("article", "main", "h1"), limit=_MAX_ANCHORS):
        wrappers.update(id(parent) for parent in anchor.parents)
    for tag in [tag for tag in soup.find_all(True) if _is_junk(tag)]:
        # An empty name means it went with an enclosing element already. (Not ``tag.decomposed``: on a
        # live Tag that property falls through to a descendant search, quadratic on nested junk.)
        if tag.name and id(tag) not in wrappers:
            tag.decompose()


def _is_junk(tag: Tag) -> bool:
    attrs = tag.attrs if isinstance(tag.attrs, dict) else {}
    marks = " ".join([*(attrs.get("class") or []), str(attrs.get("id") or ""), str(attrs.get("role") or "")])
    return _junk_marks(tag.name, marks, attrs.get("role"))


def _junk_marks(name: str, marks: str, role: Any) -> bool:
    """Whether an element with these class/id/role words is boilerplate (see :data:`_JUNK`)."""
    if name in ("html", "body", "article", "main"):
        return False
    return bool(marks.strip()) and (bool(_JUNK.search(marks)) or role == "navigation")


def _densest_block(soup: BeautifulSoup) -> Tag | None:
    """The element whose paragraphs hold the most text (link text discounted): the article body.

    One pass over the text nodes, each credited to its nearest ``<p>`` (looking at most
    ``_MAX_WALK`` levels up), so hostile nesting costs linear time."""
    own: dict[int, list[Any]] = {}  # id(p) -> [p, text length, link text length]
    for string in soup.find_all(string=True):
        length = len(string.strip())
        if not length:
            continue
        in_link, parent, steps = False, string.parent, 0
        while parent is not None and steps < _MAX_WALK and parent.name != "p":
            in_link = in_link or parent.name == "a"
            parent, steps = parent.parent, steps + 1
        if parent is None or parent.name != "p":
            continue
        entry = own.setdefault(id(parent), [parent, 0, 0])
        entry[1] += length
        entry[2] += length if in_link else 0
    scores: dict[int, tuple[float, Tag]] = {}
    for paragraph, length, links in own.values():
        if length < _MIN_PARAGRAPH or links > 0.5 * length:
            continue
        parent = paragraph.parent
        for share in (1.0, 0.3):
            if not isinstance(parent, Tag):
                break
            old = scores.get(id(parent), (0.0, parent))[0]
            scores[id(parent)] = (old + share * (length - links), parent)
            parent = parent.parent
    if not scores:
        return None
    return max(scores.values(), key=lambda pair: pair[0])[1]


def _blocks_text(root: Tag, *, keep_all: bool = False) -> str:
    """Paragraph-like blocks under ``root``, one blank line apart; link-heavy lines ("Baca juga")
    dropped unless ``keep_all``. A root without such blocks gives its whole text."""
    parts: list[str] = []
    for block in root.find_all(_TEXT_BLOCKS):
        if _inside_block(block, root):
            continue  # nested inside another block, which is taken whole
        text = _block_text(block)
        if not text:
            continue
        links = sum(len(a.get_text(" ", strip=True)) for a in block.find_all("a"))
        if not keep_all and links > 0.5 * len(text):
            continue
        parts.append(text)
    if not parts:
        return clean_whitespace(root.get_text("\n"))
    return "\n\n".join(parts)


def _block_text(block: Tag) -> str:
    """One block's text: source line breaks are spaces, ``<br>`` is a line break."""
    for br in block.find_all("br"):
        br.replace_with(_BR)
    flat = " ".join(block.get_text(" ").split())
    return "\n".join(line.strip() for line in flat.split(_BR) if line.strip())


def _inside_block(tag: Tag, root: Tag) -> bool:
    parent, steps = tag.parent, 0
    while parent is not None and parent is not root and steps < _MAX_WALK:
        if parent.name in _TEXT_BLOCKS:
            return True
        parent, steps = parent.parent, steps + 1
    return False


def _timezone(value: Any, *, where: str) -> ZoneInfo:
    if not value:
        return LOCAL_TZ
    try:
        return ZoneInfo(str(value))
    except Exception as exc:  # ZoneInfoNotFoundError, ValueError
        raise ConfigError(f"unknown time zone {value!r}", field=where) from exc


def _public_url(target: str, base_url: str) -> str:
    """The URL an item reports: the final URL of a fetch, the ``file://`` URI of a local page."""
    return base_url or target
