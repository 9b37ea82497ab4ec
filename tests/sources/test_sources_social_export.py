"""The social_export kind on JSONL and CSV fixture exports: mapping, skips with line numbers, streaming."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pantau.domain.errors import ConfigError
from pantau.domain.records import CollectedItem, SkipReason
from sources import fetch_to_items
from sources.base import Location
from sources.social_export import ExportOptions, iter_export

CSV_COLUMNS = {"id": "kode", "text": "pesan", "author": "akun", "created_at": "tanggal", "url": "tautan"}


def _reasons(result):
    return [(s.reason, s.position) for s in result.skipped]


def test_jsonl_items_and_every_bad_line_reported(fixtures):
    result = fetch_to_items("social_export", str(fixtures / "posts.jsonl"), options={"author_key": "k1"})
    assert result.error is None
    assert [i.external_id for i in result.items] == ["x:1001", "x:1002", "1005", "x:1006"]
    assert _reasons(result) == [
        (SkipReason.MALFORMED, "line 3"),  # cut JSON
        (SkipReason.MISSING_FIELD, "line 5"),  # no text
        (SkipReason.MALFORMED, "line 6"),  # an array
        (SkipReason.DUPLICATE_IN_BATCH, "line 8"),
        (SkipReason.BAD_DATE, "line 9"),  # item kept, date None
        (SkipReason.EMPTY_TEXT, "line 10"),
    ]
    first = result.items[0]
    assert first.text == "Ayo jaga Pilkada Sampang tetap damai."
    assert first.url == "https://social.example.com/p/1001"
    assert first.published_at == datetime(2024, 11, 20, 1, 15, tzinfo=UTC)
    assert first.lang == "ind"
    assert first.author.startswith("anon:") and len(first.author) == len("anon:") + 12
    assert "author_key" not in first.raw  # a real key was given
    cp1252 = result.items[2]
    assert cp1252.text == "Caf\u00e9 dekat pasar jadi posko relawan."
    assert cp1252.raw["decoded_as"] == "cp1252"
    assert cp1252.published_at == datetime(2024, 11, 20, 8, 15, tzinfo=UTC)  # epoch seconds
    assert cp1252.author == first.author  # "@wargatorjun" and "@WargaTorjun" are one account
    assert result.items[3].published_at is None


def test_csv_with_bom_semicolons_quoted_newlines_and_mapping(fixtures):
    result = fetch_to_items(
        "social_export",
        str(fixtures / "posts_semicolon.csv"),
        options={
            "columns": CSV_COLUMNS,
            "platform": "facebook",
            "author_key": "k1",
            "public_handles": ["relawancamplong"],
        },
    )
    assert result.error is None
    first, second, third = result.items
    assert first.external_id == "facebook:2001" and first.url == "https://social.example.com/p/2001"
    assert first.author == "@RelawanCamplong"  # a public handle stays readable
    assert first.published_at == datetime(2024, 11, 20, 8, 15, tzinfo=UTC)  # 20/11/2024 is day first
    assert second.text == "Baris pertama\nbaris kedua dalam satu kutipan"
    assert third.text == "Kopi di caf\u00e9 dekat alun-alun" and third.raw["decoded_as"] == "cp1252"
    assert third.author.startswith("anon:")
    assert third.raw["line"] == 8
    assert _reasons(result) == [(SkipReason.EMPTY_TEXT, "line 5"), (SkipReason.MALFORMED, "line 6")]


def test_csv_without_the_text_column_fails_as_a_whole(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("id,body\n1,halo\n", encoding="utf-8")
    result = fetch_to_items("social_export", str(path))
    assert result.error_reason == SkipReason.MISSING_FIELD and "'text'" in result.error


def test_timezone_option_applies_to_naive_times(tmp_path):
    path = tmp_path / "export.jsonl"
    path.write_text('{"text": "halo", "created_at": "2024-11-20 08:15"}\n', encoding="utf-8")
    result = fetch_to_items("social_export", str(path), options={"timezone": "Asia/Jakarta"})
    assert result.items[0].published_at == datetime(2024, 11, 20, 1, 15, tzinfo=UTC)


def test_nested_json_fields_by_dotted_path(tmp_path):
    path = tmp_path / "export.ndjson"
    path.write_text('{"post": {"body": "halo"}, "user": {"name": "budi"}, "views": 7}\n', encoding="utf-8")
    result = fetch_to_items(
        "social_export",
        str(path),
        options={"columns": {"text": "post.body", "author": "user.name"}, "keep_columns": ["views"]},
    )
    item = result.items[0]
    assert item.text == "halo" and item.author.startswith("anon:") and item.raw["views"] == 7


def test_explicit_encoding_is_strict(tmp_path):
    path = tmp_path / "export.jsonl"
    path.write_bytes(b'{"text": "ok"}\n{"text": "caf\xe9"}\n')
    result = fetch_to_items("social_export", str(path), options={"encoding": "utf-8"})
    assert [i.text for i in result.items] == ["ok"]
    assert _reasons(result) == [(SkipReason.BAD_ENCODING, "line 2")]


def test_over_long_line_is_skipped_and_reading_goes_on(tmp_path):
    path = tmp_path / "export.jsonl"
    path.write_bytes(b'{"text": "' + b"a" * 5000 + b'"}\n{"text": "pendek"}\n')
    result = fetch_to_items("social_export", str(path), options={"max_line_bytes": 1000})
    assert [i.text for i in result.items] == ["pendek"]
    assert _reasons(result) == [(SkipReason.TOO_LARGE, "line 1")]


def test_export_is_streamed_not_read_whole():
    class CountingStream(io.BytesIO):
        reads = 0

        def readline(self, size=-1):
            CountingStream.reads += 1
            return super().readline(size)

    body = b"".join(b'{"id": "%d", "text": "pesan %d"}\n' % (n, n) for n in range(1000))
    stream = CountingStream(body)
    options = ExportOptions.parse({"author_key": "k"}, Location(path=Path("x.jsonl")))
    records = iter_export(stream, source="t", options=options)
    first = next(records)
    assert isinstance(first, CollectedItem) and first.text == "pesan 0"
    assert CountingStream.reads == 1  # one line read for one item
    assert sum(1 for _ in records) == 999


def test_format_from_option_or_extension(tmp_path):
    path = tmp_path / "export.txt"
    path.write_text("text\nhalo\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="format"):
        fetch_to_items("social_export", str(path))
    assert fetch_to_items("social_export", str(path), options={"format": "csv"}).items[0].text == "halo"


def test_bad_options_are_config_errors(fixtures):
    location = str(fixtures / "posts.jsonl")
    with pytest.raises(ConfigError, match="unknown field"):
        fetch_to_items("social_export", location, options={"columns": {"body": "text"}})
    with pytest.raises(ConfigError, match="time zone"):
        fetch_to_items("social_export", location, options={"timezone": "Mars/Olympus"})


def test_missing_export_file_is_a_source_error(tmp_path):
    result = fetch_to_items("social_export", str(tmp_path / "none.jsonl"))
    assert result.error_reason == SkipReason.FETCH_ERROR and result.items == []


def test_export_over_http(http_server, tmp_path):
    result = fetch_to_items("social_export", f"{http_server}/missing.jsonl")
    assert result.error_reason == SkipReason.FETCH_ERROR and "404" in result.error


def test_csv_header_with_a_bare_carriage_return_fails_the_source(tmp_path):
    """Found by the property tests: csv.Error on the header escaped ``collect``."""
    path = tmp_path / "broken.csv"
    path.write_bytes(b"\r0")
    result = fetch_to_items("social_export", str(path))
    assert result.error_reason == SkipReason.MALFORMED and "header" in result.error
