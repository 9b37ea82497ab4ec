"""parse_feed on fixture files (pure), and the rss kind end to end on a file and a local server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pantau.domain.config import HttpConfig, SourceConfig
from pantau.domain.errors import ConfigError
from pantau.domain.records import SkipReason
from sources import HttpFetcher, collect_source, fetch_to_items
from sources.rss import parse_feed


def _parse(fixtures, name, base_url=None):
    return parse_feed((fixtures / name).read_bytes(), source="test", base_url=base_url)


def _reasons(result):
    return [(s.reason, s.position) for s in result.skipped]


def test_rss20_content_encoded_is_preferred_and_cleaned(fixtures):
    result = _parse(fixtures, "rss20_content_encoded.xml")
    assert result.error is None
    first = result.items[0]
    assert first.title == "KPU Sampang Gelar Simulasi Pemungutan Suara di Torjun"
    assert first.text == (
        "Petugas KPPS di Kecamatan Torjun mengikuti simulasi \u201cpencoblosan\u201d pada Rabu pagi.\n\n"
        "Warga diminta datang membawa undangan & KTP.\nSimulasi selesai pukul 11.00 WIB."
    )
    assert "trackVisitor" not in first.text and "color" not in first.text
    assert first.url == "https://kabar.example.org/2024/11/simulasi-torjun"
    assert first.external_id == "kabar-2024-0001"
    assert first.author == "Redaksi Contoh"
    assert first.published_at == datetime(2024, 11, 20, 1, 15, tzinfo=UTC)
    assert first.raw == {"feed_title": "Kabar Pesisir Sampang (contoh)", "categories": ["Pilkada", "Torjun"]}
    assert result.items[1].text == "Bawaslu membuka posko pengaduan di 14 kecamatan."


def test_rss20_duplicates_empty_entries_and_bad_dates_are_counted(fixtures):
    result = _parse(fixtures, "rss20_content_encoded.xml")
    assert len(result.items) == 3
    assert _reasons(result) == [
        (SkipReason.DUPLICATE_IN_BATCH, "entry 3"),
        (SkipReason.EMPTY_TEXT, "entry 4"),
        (SkipReason.BAD_DATE, "entry 5"),
    ]
    undated = result.items[2]
    assert undated.title == "Jadwal Masa Tenang Diumumkan" and undated.published_at is None


def test_rdf_in_iso_8859_1(fixtures):
    result = _parse(fixtures, "rdf_iso8859.xml")
    assert result.error is None and result.skipped == []
    first, second = result.items
    assert first.title == "Dialog Tokoh Agama: Pilkada Damai di Caf\u00e9 Pesisir"
    assert "M\u00fcller" in first.text
    assert first.author == "Penyiar Contoh"
    assert first.published_at == datetime(2024, 11, 19, 12, 30, tzinfo=UTC)
    assert first.raw["categories"] == ["Dialog"]
    assert first.raw["feed_title"] == "Radio Komunitas Caf\u00e9 Sampang (contoh)"
    assert second.url == "https://radio.example.org/2"


def test_atom_html_content_relative_links_and_updated_date(fixtures):
    result = _parse(fixtures, "atom.xml", base_url="https://cekfakta.example.org/feed.atom")
    first, second = result.items
    assert first.title == '[HOAKS] Surat Suara Sudah Dicoblos "Beredar" di Omben'
    assert first.text.startswith("Foto surat suara yang beredar")  # content, not the shorter summary
    assert "\n\nKPU Sampang" in first.text
    assert first.url == "https://cekfakta.example.org/cek/2024/surat-suara-omben"
    assert first.published_at == datetime(2024, 11, 21, 19, 30, tzinfo=UTC)
    assert first.author == "Tim Cek Fakta Contoh"
    assert second.text == "Jadwal debat tidak berubah."


def test_feed_without_xml_declaration(fixtures):
    result = _parse(fixtures, "no_declaration.xml")
    assert [i.title for i in result.items] == ["Diskusi \u201cPemilu Damai\u201d di Aula Kampus"]
    assert result.skipped == []


def test_wrong_declared_encoding_keeps_items_and_records_it(fixtures):
    result = _parse(fixtures, "wrong_encoding.xml")
    assert result.items[0].title == "Warung Caf\u00e9 Jadi Posko Relawan"
    assert _reasons(result) == [(SkipReason.BAD_ENCODING, "feed")]


def test_malformed_feed_keeps_what_it_can_and_says_so(fixtures):
    result = _parse(fixtures, "malformed_unclosed.xml")
    assert result.error is None
    assert [i.title for i in result.items] == [
        "Rapat Koordinasi Keamanan TPS",
        "Patroli Gabungan Menjelang Hari Pemungutan",
    ]
    assert result.items[0].text == "Polres dan Kodim berkoordinasi"
    assert _reasons(result) == [(SkipReason.MALFORMED, "feed")]
    assert "mismatched tag" in result.skipped[0].detail


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"  \n\t",
        b"this is plain text, not XML at all",
        b"\x00\xff\xfe garbage \x89PNG",
        b'{"json": "not a feed"}',
        b"<rss version='2.0'><channel><title>x</title><item><title>a",
    ],
)
def test_non_feeds_give_an_error_not_a_crash(content):
    result = parse_feed(content, source="test")
    if result.error is None:  # a truncated feed may still yield entries: then it must say it is malformed
        assert result.skipped[0].reason == SkipReason.MALFORMED
    else:
        assert result.error and result.error_reason == SkipReason.MALFORMED


def test_html_page_and_empty_file_fixtures(fixtures):
    for name in ("not_a_feed.html", "empty.xml"):
        result = _parse(fixtures, name)
        assert result.items == [] and result.error_reason == SkipReason.MALFORMED, name
        assert result.skip_counts() == {"malformed": 1}


def test_bytes_are_never_taken_as_a_path_or_url(tmp_path):
    secret = tmp_path / "secret.xml"
    secret.write_bytes(b"<rss version='2.0'><channel><item><title>rahasia</title></item></channel></rss>")
    assert parse_feed(str(secret).encode(), source="t").items == []
    assert parse_feed(b"https://kabar.example.org/feed", source="t").items == []


def test_rss_kind_on_a_file_and_over_http(fixtures, http_server):
    from_file = fetch_to_items("rss", str(fixtures / "atom.xml"))
    assert len(from_file.items) == 2
    assert from_file.items[0].url.startswith("file://")  # relative links resolve against the file
    assert len(fetch_to_items("rss", (fixtures / "atom.xml").as_uri()).items) == 2
    over_http = fetch_to_items("rss", f"{http_server}/redirect", http=HttpConfig(timeout_seconds=5))
    assert [i.external_id for i in over_http.items][0] == "kabar-2024-0001"


def test_rss_kind_turns_fetch_failures_into_errors(fixtures, http_server):
    with HttpFetcher(HttpConfig(timeout_seconds=5, max_bytes=1000)) as fetcher:
        missing = collect_source(
            SourceConfig(name="a", kind="rss", location=f"{http_server}/missing"), fetcher
        )
        big = collect_source(SourceConfig(name="b", kind="rss", location=f"{http_server}/big"), fetcher)
        nofile = collect_source(
            SourceConfig(name="c", kind="rss", location=str(fixtures / "none.xml")), fetcher
        )
    assert missing.error_reason == SkipReason.FETCH_ERROR and "404" in missing.error
    assert big.error_reason == SkipReason.TOO_LARGE
    assert nofile.error_reason == SkipReason.FETCH_ERROR and "no such file" in nofile.error


def test_rss_kind_rejects_unknown_options(fixtures):
    with pytest.raises(ConfigError, match="unknown option"):
        fetch_to_items("rss", str(fixtures / "atom.xml"), options={"colums": {}})
