"""Property-based tests: random bytes and random markup-ish text thrown at every parser.

The contract under test: bad input never raises out of a parser or a kind's ``collect`` (only the
documented ``ParseError`` of ``tipline_message`` may). Examples are bounded so the suite stays fast.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pantau.domain.config import SourceConfig
from pantau.domain.errors import ParseError
from pantau.domain.records import CollectedItem, CollectResult
from sources import HttpFetcher, collect_source
from sources.factcheck import verdict_of
from sources.html_article import parse_article
from sources.rss import parse_feed
from sources.telegram import parse_channel_page, parse_views
from sources.tipline import tipline_message
from sources.whatsapp import parse_chat
from sources.x_api import parse_x_pages
from sources.yudistira import parse_yudistira

# PANTAU_PROPERTY_EXAMPLES=2000 for a long bug hunt; the default keeps the suite fast.
EXAMPLES = int(os.environ.get("PANTAU_PROPERTY_EXAMPLES", "60"))
FAST = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

MARKUP = [
    "<",
    ">",
    "</",
    "/>",
    "<p>",
    "</p>",
    "<div>",
    "</div>",
    "<br>",
    "<script>",
    "</script>",
    "<style>",
    "<nav>",
    "<article>",
    "<h1>",
    "<title>",
    "</title>",
    "<meta charset='latin-1'>",
    "<meta property='og:title' content='",
    "'>",
    "<a href='javascript:alert(1)'>",
    "</a>",
    "<time datetime='2024-13-99'>",
    "<script type='application/ld+json'>{\"author\":",
    "<?xml version='1.0' encoding='utf-8'?>",
    "<rss version='2.0'>",
    "<channel>",
    "<item>",
    "</item>",
    "<title>",
    "<link>",
    "<description>",
    "<![CDATA[",
    "]]>",
    "<feed xmlns='http://www.w3.org/2005/Atom'>",
    "<entry>",
    "<pubDate>",
    "&amp;",
    "&#0;",
    "&#xD800;",
    "&nbsp;",
    "&bogus;",
    "\x00",
    "\ufeff",
    "\u200e",
    "<div class='tgme_widget_message' data-post='c/",
    "'>",
    "<div class='tgme_widget_message_text'>",
    "<span class='tgme_widget_message_views'>",
    "1.2K",
    "9" * 30,
    "<a class='tme_messages_more' data-before='",
    "\n",
    " ",
    "Sampang",
    "hoaks",
]
LINES = [
    "27/11/24 06.15 - ",
    "[27/11/2024, 06:15:09] ",
    "11/27/24, 6:15 AM - ",
    "99/99/99 99.99 - ",
    "31/02/24 25.61 - ",
    "Nama: ",
    "+62 812: ",
    "<Media omitted>",
    "\u200e",
    "\n",
    "\r\n",
    ",",
    ";",
    "\t",
    '"',
    '""',
    "{",
    "}",
    "[",
    "]",
    ":",
    '"text"',
    '"data"',
    '"id"',
    '"author"',
    '"created_at"',
    '"includes"',
    '"users"',
    '"username"',
    "null",
    "true",
    "1e309",
    "-1",
    "Message",
    "URL",
    "Post Created",
    "User Name",
    "2024-11-20 08:15:30 EST",
    "x" * 50,
    "é",
    "\x80\x81",
    "\ud7ff",
]

markup_text = st.lists(st.one_of(st.sampled_from(MARKUP), st.text(max_size=12)), max_size=60).map("".join)
line_text = st.lists(st.one_of(st.sampled_from(LINES), st.text(max_size=12)), max_size=60).map("".join)
any_bytes = st.one_of(
    st.binary(max_size=3000),
    markup_text.map(lambda t: t.encode("utf-8", "surrogatepass")),
    markup_text.map(lambda t: t.encode("cp1252", "ignore")),
    line_text.map(lambda t: t.encode("utf-8", "surrogatepass")),
)


@FAST
@given(any_bytes)
def test_rss_parse_feed_never_raises(content):
    assert isinstance(parse_feed(content, source="p", base_url="https://x.example.org/"), CollectResult)


@FAST
@given(any_bytes)
def test_html_article_never_raises(content):
    item = parse_article(content, url="https://x.example.org/a")
    assert item is None or (isinstance(item, CollectedItem) and item.text)


@FAST
@given(any_bytes, st.sampled_from([None, "utf-8", "latin-1", "nonsense", "utf-16"]))
def test_html_article_with_encoding_hints_never_raises(content, hint):
    parse_article(content, url=None, encoding_hint=hint)


@FAST
@given(any_bytes)
def test_telegram_page_never_raises(content):
    page = parse_channel_page(content, source="p")
    assert all(item.text for item in page.items)


@FAST
@given(st.text(max_size=20))
def test_parse_views_never_raises(text):
    views = parse_views(text)
    assert views is None or views >= 0


@FAST
@given(any_bytes)
def test_x_api_never_raises(content):
    assert isinstance(parse_x_pages(content, source="p"), CollectResult)


@FAST
@given(any_bytes)
def test_whatsapp_never_raises(content):
    result = parse_chat(content, source="p")
    assert all(item.text for item in result.items)


@FAST
@given(any_bytes)
def test_yudistira_never_raises(content):
    assert isinstance(parse_yudistira(content, source="p"), CollectResult)


@FAST
@given(st.one_of(st.text(max_size=80), markup_text))
def test_verdict_of_never_raises(title):
    assert verdict_of(title)[0] in ("false", "misleading", "clarification", "true", "unknown")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
payloads = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "text": json_values,
            "sender": json_values,
            "url": json_values,
            "forwarded_from": json_values,
            "attachments": json_values,
        },
    ),
)


@FAST
@given(payloads)
def test_tipline_raises_only_parse_error(payload):
    try:
        item = tipline_message(payload, received_at=datetime(2024, 11, 27, tzinfo=UTC))
    except ParseError:
        return
    assert item.text and item.author


# --- whole kinds on files (collect never raises for bad bytes) -----------------------------------

_DIR = Path(tempfile.mkdtemp(prefix="pantau-props-"))
_FETCHER = HttpFetcher()
atexit.register(shutil.rmtree, _DIR, ignore_errors=True)
atexit.register(_FETCHER.close)


@pytest.mark.parametrize(
    ("kind", "suffix", "options"),
    [
        ("social_export", ".jsonl", {}),
        ("social_export", ".csv", {}),
        ("crowdtangle_csv", ".csv", {}),
        ("whatsapp_export", ".txt", {}),
        ("x_api_v2", ".jsonl", {}),
        ("html", ".html", {}),
        ("telegram", ".html", {}),
        ("rss", ".xml", {}),
        ("factcheck_feed", ".xml", {}),
    ],
)
@settings(
    max_examples=max(5, EXAMPLES // 3),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(content=any_bytes)
def test_collect_never_raises(kind, suffix, options, content):
    path = _DIR / f"{kind}{suffix}"
    path.write_bytes(content)
    result = collect_source(
        SourceConfig(name="props", kind=kind, location=str(path), options=options), _FETCHER
    )
    assert isinstance(result, CollectResult)
    assert all(isinstance(item, CollectedItem) and item.text for item in result.items)
