"""Main text of article pages with trafilatura: portal furniture stays out, the site's selector still
wins, the old heuristic takes over (counted) when trafilatura gives nothing, text stays text, dates
from metadata, and the size guard before any parsing. Plus a smoke run of benchmarks/bench_extraction.py."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pantau.domain.config import HttpConfig
from pantau.domain.records import SkipReason
from sources import fetch_to_items, html_article
from sources.html_article import FALLBACKS, parse_article

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_extraction.py"
PARAGRAPHS = ("PERTAMA", "KEDUA", "KETIGA", "KEEMPAT", "KELIMA")


def _page(fixtures, name: str) -> bytes:
    return (fixtures / "pages" / name).read_bytes()


def _article(body: str, head: str = "") -> bytes:
    return f"<html><head>{head}</head><body><article><h1>Judul</h1>{body}</article></body></html>".encode()


def test_related_links_navigation_and_comments_stay_out(fixtures):
    item = parse_article(_page(fixtures, "article_portal_bacajuga.html"), url="https://x.example.org/a")
    assert item.raw["extractor"] == "trafilatura"
    paragraphs = item.text.split("\n\n")
    assert [p.split(",")[0] for p in paragraphs] == list(PARAGRAPHS)
    for junk in (
        "Baca",
        "BACA",
        "Simak",
        "Lihat",
        "Bawaslu Sampang Buka Posko",  # the titles behind the related links
        "Logistik Pilkada Tiba",
        "ADVERTISEMENT",
        "Editor",
        "Halaman",
        "Selanjutnya",
        "Jrengik Panwascam",
        "Ahmad:",  # comments
        "Terpopuler",
        "cookie",
        "Beranda",
        "Pedoman",
        "Foto:",
    ):
        assert junk not in item.text, junk


def test_an_article_body_named_like_a_widget_is_kept():
    """``no-share`` (a theme's "no share buttons here") holds the article: pruning it as a share
    widget would leave trafilatura the related-post teasers."""
    paragraphs = "".join(
        f"<p>Paragraf {n} berita tentang pemeriksaan saksi dugaan politik uang di Kecamatan Omben.</p>"
        for n in range(1, 5)
    )
    page = (
        "<html><body><div class='entry-header'><h1>Judul</h1></div>"
        f"<div class='entry-content no-share'>{paragraphs}</div>"
        "<div class='related-posts'><h3>Berita Terkait</h3><div class='excerpt'><p>Teaser berita lain yang "
        "cukup panjang tentang warga yang menemukan amplop di depan rumah.</p></div></div></body></html>"
    ).encode()
    item = parse_article(page, url=None)
    assert item.text.count("Paragraf") == 4 and "Teaser" not in item.text


def test_the_headline_is_the_title_not_the_text():
    item = parse_article(
        _article("<p>Isi berita tentang rapat pleno KPU Sampang yang berlangsung tertib dan aman.</p>"),
        url=None,
    )
    assert item.title == "Judul" and item.text.startswith("Isi berita") and "Judul" not in item.text


def test_selector_wins_over_trafilatura(fixtures):
    content = _page(fixtures, "article_selectors.html")
    generic = parse_article(content, url=None)
    assert generic.raw["extractor"] == "trafilatura" and "Surat pembaca" in generic.text
    chosen = parse_article(content, url=None, selectors={"body": "div.kolom-kanan"})
    assert chosen.raw["extractor"] == "selectors"
    assert chosen.text.startswith("Surat Pembaca") and "Bawaslu" not in chosen.text  # even a "wrong" one
    missing = parse_article(content, url=None, selectors={"body": "div.tidak-ada"})
    assert missing.raw["extractor"] == "trafilatura"  # a selector that matches nothing: generic


def test_heuristic_takes_over_when_lxml_gives_up():
    before = FALLBACKS["unparsed"]
    item = parse_article(b"<div>" * 20000 + b"<p>dalam sekali tapi harus tetap aman diurai</p>", url=None)
    assert item.text == "dalam sekali tapi harus tetap aman diurai"
    assert item.raw["extractor"] == "generic" and item.raw["fallback_reason"] == "unparsed"
    assert FALLBACKS["unparsed"] == before + 1


def test_heuristic_takes_over_when_trafilatura_finds_no_text(caplog):
    """A page whose only paragraph is a link: trafilatura's block is dropped as link text, the old
    extractor's last resort keeps the page's text."""
    before = FALLBACKS["trafilatura_empty"]
    page = _article('<p><a href="/p.pdf">Pengumuman hasil rekapitulasi KPU Kabupaten Sampang</a></p>')
    with caplog.at_level("INFO", logger="sources.html_article"):
        item = parse_article(page, url="https://kpu.example.org/p")
    assert "Pengumuman hasil rekapitulasi KPU Kabupaten Sampang" in item.text
    assert item.raw["extractor"] == "fallback" and item.raw["fallback_reason"] == "trafilatura_empty"
    assert FALLBACKS["trafilatura_empty"] == before + 1
    assert "trafilatura_empty" in caplog.text and "kpu.example.org" in caplog.text


def test_a_trafilatura_crash_is_a_counted_fallback(monkeypatch):
    """Fault injection: a bug inside trafilatura on some page must cost the page nothing."""

    def broken(*args, **kwargs):
        raise RuntimeError("bug in the library")

    monkeypatch.setattr(html_article.trafilatura, "bare_extraction", broken)
    before = FALLBACKS["trafilatura_error"]
    item = parse_article(
        _article("<p>Rapat pleno rekapitulasi suara tingkat kabupaten berjalan lancar.</p>"), url=None
    )
    assert item.text.startswith("Rapat pleno") and item.raw["fallback_reason"] == "trafilatura_error"
    assert FALLBACKS["trafilatura_error"] == before + 1


def test_pages_with_too_many_elements_skip_trafilatura(monkeypatch):
    monkeypatch.setattr(html_article, "MAX_TRAFILATURA_ELEMENTS", 50)
    rows = "".join(f"<li><a href='/k{i}'>Kategori {i}</a></li>" for i in range(60))
    page = _article(
        "<p>Rapat pleno rekapitulasi suara tingkat kabupaten berjalan lancar hingga malam hari.</p>",
    ).replace(b"<article>", f"<nav><ul>{rows}</ul></nav><article>".encode())
    item = parse_article(page, url=None)
    assert item.raw["fallback_reason"] == "too_many_elements" and item.raw["extractor"] == "generic"
    assert item.text.startswith("Rapat pleno")


def test_text_stays_text():
    page = _article(
        "<p>Teks <b>tebal</b> dan <i>miring</i> tentang kampanye<script>alert(1)</script> di Sampang"
        "<img src=x onerror='alert(2)'><!-- catatan redaksi --> hari ini.</p>"
        "<p>Tutorial: tulis &amp;lt;b&amp;gt; untuk huruf tebal pada halaman pengumuman desa.</p>"
        "<p>Lalu <style>p{color:red}</style>paragraf terakhir yang cukup panjang untuk dipilih juga.</p>"
    )
    item = parse_article(page, url=None)
    assert "Teks tebal dan miring tentang kampanye di Sampang hari ini." in item.text
    assert "&lt;b&gt;" in item.text  # what the page shows, not unescaped a second time into "<b>"
    for leak in ("<b>", "<i>", "<img", "alert", "onerror", "catatan redaksi", "color:red", "<p>"):
        assert leak not in item.text, leak


def test_lists_tables_and_line_breaks_keep_their_lines():
    page = _article(
        "<p>Paragraf pembuka berita tentang rekapitulasi suara di Kecamatan Camplong yang panjang.</p>"
        "<ul><li><h3>Desa Dharma</h3><p>Saksi menandatangani berita acara.</p></li>"
        "<li>Desa Taddan<br>selesai sore</li></ul>"
        "<table><tr><td>Paslon 1</td><td>120</td></tr><tr><td>Paslon 2</td><td>98</td></tr></table>"
    )
    blocks = parse_article(page, url=None).text.split("\n\n")
    assert blocks[1:] == [
        "Desa Dharma\nSaksi menandatangani berita acara.\nDesa Taddan\nselesai sore",
        "Paslon 1 120\nPaslon 2 98",
    ]


@pytest.mark.parametrize("content", [b"\x00" + b" " * 100, b"<p>\x00</p>" + b"\n" * 100])
def test_a_page_of_nul_bytes_is_no_item(content):
    """Found by the property tests (also in the old extractor): NUL-only text made an item whose
    text was empty once NUL was removed."""
    assert parse_article(content, url=None) is None


def test_wrong_encodings_still_read(fixtures):
    lying_latin1 = parse_article(_page(fixtures, "article_wrong_charset.html"), url=None)
    assert lying_latin1.raw["extractor"] == "trafilatura" and "caf\u00e9" in lying_latin1.text
    lying_utf8 = parse_article(_page(fixtures, "article_cp1252.html"), url=None)
    assert "\u2014 caf\u00e9" in lying_utf8.text and "\ufffd" not in lying_utf8.text


def test_published_date_from_meta_tags_and_json_ld():
    body = "<p>Debat publik ketiga Pilkada Sampang digelar di pendopo kabupaten pada malam hari.</p>"
    meta = parse_article(
        _article(body, '<meta property="article:published_time" content="2024-11-20T19:30:00+07:00">'),
        url="https://x.example.org/2023/01/01/lama",
    )
    assert meta.published_at == datetime(2024, 11, 20, 12, 30, tzinfo=UTC)
    assert "published_from" not in meta.raw  # the page's own metadata, not a guess
    ld = parse_article(
        _article(
            body, '<script type="application/ld+json">{"datePublished": "2024-11-21T08:00:00Z"}</script>'
        ),
        url=None,
    )
    assert ld.published_at == datetime(2024, 11, 21, 8, tzinfo=UTC)


def test_a_day_from_htmldate_only_when_the_page_says_nothing():
    body = "<p>Debat publik ketiga Pilkada Sampang digelar di pendopo kabupaten pada malam hari.</p>"
    from_url = parse_article(_article(body), url="https://x.example.org/2024/11/22/debat-ketiga")
    assert from_url.published_at == datetime(2024, 11, 21, 17, tzinfo=UTC)  # 22 November, 00:00 WIB
    assert from_url.raw["published_from"] == "htmldate"
    copyright_only = _article(body).replace(b"</body>", b"<footer>&copy; 2024 Portal Sampang</footer></body>")
    assert parse_article(copyright_only, url=None).published_at is None  # not "1 January 2024"


def test_author_from_trafilatura_only_when_the_page_meta_has_none():
    body = "<p>Isi berita tentang rapat pleno KPU Sampang yang berlangsung tertib dan aman.</p>"
    microdata = '<div itemprop="author" itemscope><span itemprop="name">Rina Hidayati</span></div>'
    item = parse_article(_article(microdata + body), url=None)
    assert item.author == "Rina Hidayati" and item.raw["author_from"] == "trafilatura"
    own = parse_article(_article(microdata + body, '<meta name="author" content="Siti Rohmah">'), url=None)
    assert own.author == "Siti Rohmah" and "author_from" not in own.raw


def test_pages_over_the_size_limit_are_refused_before_parsing(tmp_path, fixtures, http_server):
    page = tmp_path / "besar.html"
    page.write_bytes(_page(fixtures, "article_kabar.html") + b"<!--" + b"x" * 50_000 + b"-->")
    small = HttpConfig(max_bytes=20_000)
    result = fetch_to_items("html", str(page), http=small)
    assert result.items == [] and result.error_reason == SkipReason.TOO_LARGE
    many = fetch_to_items(
        "html", str(page), http=small, options={"urls": [f"{http_server}/big", str(tmp_path / "x")]}
    )
    assert sorted(s.reason.value for s in many.skipped) == ["fetch_error", "too_large", "too_large"]
    assert fetch_to_items("html", str(page)).items[0].text.startswith("SAMPANG")  # under the default


@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, b"\x00" * 4096])
def test_binary_bytes_are_a_counted_skip(tmp_path, content):
    path = tmp_path / "gambar.html"
    path.write_bytes(content)
    result = fetch_to_items("html", str(path))
    assert result.items == [] and [s.reason for s in result.skipped] == [SkipReason.BINARY]


def test_bench_extraction_smoke():
    done = subprocess.run(
        [sys.executable, str(BENCH), "--only", "radar_politik_uang_omben", "kompas_debat_air_bersih"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "2 pages" in out and "written by the Pantau project" in out
    overall = out.split("overall")[1].splitlines()[1:4]
    for row, line in zip(("old heuristic", "trafilatura alone", "Pantau now"), overall, strict=True):
        assert line.startswith(row), line
        precision, recall, f1, shingle_f1, ms = (float(x) for x in line[len(row) :].split())
        assert 0 <= precision <= 1 and 0 <= recall <= 1 and 0 <= f1 <= 1 and 0 <= shingle_f1 <= 1
        assert ms > 0


def test_a_relative_publication_time_is_dated_from_the_fetch_time():
    body = (
        '<p class="tanggal">2 jam yang lalu</p>'
        "<p>Debat publik ketiga Pilkada Sampang digelar di pendopo kabupaten pada malam hari.</p>"
    )
    fetched = datetime(2024, 11, 20, 12, 0, tzinfo=UTC)
    page = _article(body)
    dated = parse_article(page, url=None, selectors={"published": "p.tanggal"}, fetched_at=fetched)
    assert dated.published_at == datetime(2024, 11, 20, 10, 0, tzinfo=UTC)
    undated = parse_article(page, url=None, selectors={"published": "p.tanggal"})
    assert undated.published_at is None  # the time of parsing is not the time the text was written
