"""The ``telegram`` kind: preview pages parsed from fixtures, locations, paging back with ?before=."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pantau.domain.config import HttpConfig, SourceConfig
from pantau.domain.errors import ConfigError
from pantau.domain.records import SkipReason
from sources import HttpFetcher, collect_source, fetch_to_items
from sources.telegram import channel_name, parse_channel_page, parse_views


@pytest.mark.parametrize(
    ("location", "name"),
    [
        ("@kabarsampang_contoh", "kabarsampang_contoh"),
        ("t.me/s/kabarsampang_contoh", "kabarsampang_contoh"),
        ("https://t.me/kabarsampang_contoh", "kabarsampang_contoh"),
        ("https://t.me/s/abcd_e/", "abcd_e"),
        ("http://telegram.me/abcde?x=1", "abcde"),
        ("channel.html", None),
        ("/tmp/t.me.html", None),
        ("@ab", None),
        ("https://example.org/s/abcde", None),
    ],
)
def test_channel_name(location, name):
    assert channel_name(location) == name


@pytest.mark.parametrize(
    ("text", "views"),
    [
        ("1.2K", 1200),
        ("987", 987),
        ("3.4M", 3_400_000),
        ("1,5K", 1500),
        (" 12 ", 12),
        ("?", None),
        ("", None),
    ],
)
def test_parse_views(text, views):
    assert parse_views(text) == views


def test_parse_first_page(fixtures):
    page = parse_channel_page((fixtures / "telegram" / "channel_page1.html").read_bytes(), source="tg")
    assert page.is_channel_page and page.before == 119 and page.oldest_id == 119
    first, hoax, signed, odd = page.items
    assert first.url == "https://t.me/kabarsampang_contoh/120"
    assert first.external_id == "telegram:kabarsampang_contoh/120"
    assert first.author == "kabarsampang_contoh" and first.raw["views"] == 1200
    assert first.published_at == datetime(2024, 11, 20, 0, 5, tzinfo=UTC)
    assert hoax.text == "Beredar pesan HOAKS soal TPS pindah.\nCek faktanya di tautan ini.\n\nJangan disebar!"
    assert hoax.raw["forwarded_from"] == "Info Pemilu Madura (contoh)" and hoax.raw["views"] == 987
    assert hoax.raw["forwarded_from_url"] == "https://t.me/infopemilu_contoh/77"
    assert first.raw["forwarded_from"] is None
    assert signed.raw["views"] == 3_400_000 and "Rizal" not in str(signed.raw)
    assert odd.raw["views"] is None and odd.published_at is None
    reasons = sorted(s.reason.value for s in page.skipped)
    assert reasons == ["bad_date", "empty_text", "empty_text"]  # bad date, service message, media only


def test_paging_back_until_max_pages_and_duplicates(http_server):
    config = SourceConfig(
        name="tg", kind="telegram", location="@kabarsampang_contoh", options={"base_url": f"{http_server}/t"}
    )
    with HttpFetcher(HttpConfig(timeout_seconds=5), min_interval_seconds=0) as fetcher:
        result = collect_source(config, fetcher)
    assert result.error is None
    ids = [item.raw["post_id"] for item in result.items]
    assert ids == [*range(109, 119), 120, 121, 123, 124]  # sorted oldest first, all three pages
    assert [s.reason for s in result.skipped].count(SkipReason.DUPLICATE_IN_BATCH) == 1
    with HttpFetcher(HttpConfig(timeout_seconds=5), min_interval_seconds=0) as fetcher:
        two = collect_source(
            config.model_copy(update={"options": {**config.options, "max_pages": 2}}), fetcher
        )
    assert min(item.raw["post_id"] for item in two.items) == 114


def test_paging_stops_at_since(http_server):
    result = fetch_to_items(
        "telegram",
        "https://t.me/s/kabarsampang_contoh",
        options={"base_url": f"{http_server}/t", "since": "2024-11-16"},
    )
    dated = [i.published_at for i in result.items if i.published_at]
    assert min(dated) >= datetime(2024, 11, 16, tzinfo=UTC)
    assert {i.raw["post_id"] for i in result.items} >= {116, 117, 118, 120}


def test_local_file_is_one_page(fixtures):
    result = fetch_to_items("telegram", str(fixtures / "telegram" / "channel_page2.html"))
    assert [i.raw["post_id"] for i in result.items] == [114, 115, 116, 117, 118, 121]


def test_not_a_channel_page_and_bad_options(fixtures):
    result = fetch_to_items("telegram", str(fixtures / "pages" / "article_minimal.html"))
    assert result.error_reason == SkipReason.MALFORMED and "preview" in result.error
    with pytest.raises(ConfigError):
        fetch_to_items("telegram", "@kabarsampang_contoh", options={"since": "kemarin"})
    with pytest.raises(ConfigError):
        fetch_to_items("telegram", "@kabarsampang_contoh", options={"max_pages": 0})


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"<div class='tgme_widget_message' data-post='x/abc'>",
        b"\xff\xfe\x00",
        b"<div class='tgme_widget_message' data-post='c/1'><div class='tgme_widget_message_text'>"
        + b"<b>" * 3000
        + b"teks</div><time datetime='2024-13-45'></time>",
    ],
    ids=lambda c: f"{len(c)}b",
)
def test_hostile_pages(content):
    page = parse_channel_page(content, source="tg")
    assert all(item.text for item in page.items)
