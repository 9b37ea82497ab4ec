"""The ``x_api_v2`` and ``crowdtangle_csv`` kinds: field mapping, pseudonyms, skips, options."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pantau.domain.errors import ConfigError
from pantau.domain.records import SkipReason
from sources import fetch_to_items
from sources.pseudonym import Pseudonymiser
from sources.x_api import parse_x_pages

KEY = {"author_key": "kunci-uji"}


def _reasons(result) -> list[str]:
    return sorted(s.reason.value for s in result.skipped)


def test_x_api_single_page(fixtures):
    result = fetch_to_items(
        "x_api_v2",
        str(fixtures / "exports" / "x_api_page.json"),
        options={**KEY, "public_handles": ["@kpu_sampang_contoh"]},
    )
    assert result.error is None
    first, retweet, long = result.items
    pseudo = Pseudonymiser.from_options("kunci-uji", environ={})
    assert first.author == pseudo("warga_sampang_contoh") and first.author.startswith("anon:")
    assert first.url == "https://x.com/i/web/status/1859000000000000001"  # no handle in the URL
    assert first.external_id == "x:1859000000000000001" and first.lang == "in"
    assert first.published_at == datetime(2024, 11, 20, 12, 30, tzinfo=UTC)
    assert first.raw["public_metrics"]["like_count"] == 40 and first.raw["platform"] == "x"
    assert retweet.author == "KPU_Sampang_Contoh"  # public handle kept, and its URL too
    assert retweet.url == "https://x.com/KPU_Sampang_Contoh/status/1859000000000000002"
    assert retweet.raw["referenced"] == ["retweeted"]
    assert long.text.startswith("Teks panjang lengkap dari note_tweet") and long.published_at is None
    assert _reasons(result) == ["bad_date", "duplicate_in_batch", "empty_text", "malformed", "missing_field"]
    assert "author_key" not in first.raw


def test_x_api_jsonl_pages(fixtures):
    result = parse_x_pages((fixtures / "exports" / "x_api_pages.jsonl").read_bytes(), source="x")
    assert [i.external_id for i in result.items] == ["x:2001", "x:2002", "x:2004"]
    assert result.items[1].author is None and result.items[0].raw["author_key"] == "development"
    assert _reasons(result) == ["malformed", "malformed", "malformed"]  # API errors, cut line, a list
    assert any("Not Found Error" in s.detail for s in result.skipped)
    assert [s.position for s in result.skipped] == ["line 4", "line 5", "line 6"]


@pytest.mark.parametrize("content", [b"", b"   ", b"{}", b"[]", b"not json", b'{"foo": 1}'])
def test_x_api_not_a_response(content):
    result = parse_x_pages(content, source="x")
    assert result.items == [] and result.error_reason == SkipReason.MALFORMED


def test_crowdtangle_csv(fixtures):
    result = fetch_to_items(
        "crowdtangle_csv",
        str(fixtures / "exports" / "crowdtangle.csv"),
        options={**KEY, "public_handles": ["polres.sampang.contoh"], "keep_columns": ["Page Category"]},
    )
    assert result.error is None
    news, police, group, video = result.items
    assert news.text == 'Waspada pesan berantai soal\n"serangan fajar" di Torjun, cek faktanya!'
    assert news.published_at == datetime(2024, 11, 20, 13, 15, 30, tzinfo=UTC)  # EST = UTC-5
    assert news.raw["total_interactions"] == 1234 and news.raw["link"].startswith("https://cekfakta")
    assert news.raw["Page Category"] == "NEWS_SITE" and news.raw["platform"] == "facebook"
    assert news.author.startswith("anon:") and news.url.endswith("/posts/111")
    assert police.author == "polres.sampang.contoh" and police.text == "Himbauan pilkada damai"
    assert police.published_at == datetime(2024, 11, 21, 0, 0, tzinfo=UTC)  # WIB = UTC+7
    assert group.author == Pseudonymiser.from_options("kunci-uji", environ={})("Grup Warga (contoh)")
    assert group.published_at == datetime(2024, 11, 22, 10, tzinfo=UTC)  # naive: the timezone option
    assert video.raw["views"] == 9876 and video.raw["type"] == "Video"
    assert _reasons(result) == ["duplicate_in_batch", "empty_text", "malformed"]


def test_crowdtangle_custom_columns_and_timezone(tmp_path):
    path = tmp_path / "junkipedia.csv"
    path.write_text(
        "channel;post_text;published;post_url\nakun_contoh;Halo Sampang;2024-11-22 10:00;"
        "https://example.org/p/1\n",
        encoding="utf-8",
    )
    result = fetch_to_items(
        "crowdtangle_csv",
        str(path),
        options={
            "columns": {
                "author": "channel",
                "text": ["post_text"],
                "created_at": "published",
                "url": "post_url",
            },
            "timezone": "Asia/Jakarta",
            "platform": "tiktok",
        },
    )
    [item] = result.items
    assert item.text == "Halo Sampang" and item.published_at == datetime(2024, 11, 22, 3, tzinfo=UTC)
    assert item.external_id == "tiktok:https://example.org/p/1"
    with pytest.raises(ConfigError):
        fetch_to_items("crowdtangle_csv", str(path), options={"columns": {"pesan": "x"}})
    no_text = fetch_to_items("crowdtangle_csv", str(path))
    assert no_text.error_reason == SkipReason.MISSING_FIELD
