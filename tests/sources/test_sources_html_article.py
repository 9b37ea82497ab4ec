"""The ``html`` kind and ``parse_article``: metadata precedence, boilerplate, selectors, hostile pages,
and feed teasers enriched from their pages (``rss`` with ``fetch_pages``)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from pantau.domain.config import HttpConfig, SourceConfig
from pantau.domain.errors import ConfigError
from pantau.domain.records import CollectedItem, SkipReason
from sources import HttpFetcher, collect_source, fetch_to_items
from sources.html_article import decode_html, enrich_from_page, heuristic_main_text, parse_article
from sources.html_text import parse_html

SELECTORS = {
    "title": "h2.judul",
    "body": "div.isi-berita",
    "author": "span.nama-wartawan",
    "published": "span.tanggal",
}


def _page(fixtures, name: str) -> bytes:
    return (fixtures / "pages" / name).read_bytes()


def test_typical_article(fixtures):
    item = parse_article(_page(fixtures, "article_kabar.html"), url="https://kabarpesisir.example.org/a")
    assert item.title == "Warga Camplong Antusias Ikuti Debat Publik Pilkada Sampang"  # og:title
    assert item.author == "Siti Rohmah"
    assert item.published_at == datetime(2024, 11, 10, 12, 30, tzinfo=UTC)
    assert item.text.startswith("SAMPANG \u2013 Ratusan warga")
    assert "\u201cKami berterima kasih" in item.text
    assert item.text.endswith("bebas dari politik uang.")
    for junk in (
        "IKLAN",
        "Baca juga",
        "Bagikan",
        "Komentar",
        "Budi:",
        "Terpopuler",
        "Promo pulsa",
        "hak cipta",
        "Langganan",
        "Beranda",
        "Politik\n",
    ):
        assert junk not in item.text
    assert item.text.count("\n\n") == 3  # four paragraphs
    assert item.raw["extractor"] == "trafilatura" and "fallback_reason" not in item.raw
    assert item.raw["canonical_url"].endswith("debat-publik-camplong")
    assert item.raw["site_name"] == "Kabar Pesisir" and item.raw["html_lang"] == "id"


def test_metadata_fallbacks_json_ld_time_and_byline():
    page = b"""<html><head><title>Judul Tab</title>
    <script type="application/ld+json">[{"@graph":[{"@type":"NewsArticle","datePublished":"2024-11-20 08:00",
    "author":[{"name":"Rina"}]}]}]</script></head><body><h1>Judul Utama</h1>
    <p>Teks berita yang cukup panjang untuk menjadi paragraf utama dari halaman ini.</p></body></html>"""
    item = parse_article(page, url=None)
    assert item.title == "Judul Utama" and item.author == "Rina"
    assert item.published_at == datetime(2024, 11, 20, 1, 0, tzinfo=UTC)  # naive = WIB
    byline = b"""<html><body><h1>J</h1><span class="author-name">Oleh: Hasan</span>
    <time datetime="2024-11-21T10:00:00Z">kemarin</time><p>Isi berita yang panjang sekali untuk diuji.</p>
    </body></html>"""
    item = parse_article(byline, url=None)
    assert item.author == "Hasan" and item.published_at == datetime(2024, 11, 21, 10, tzinfo=UTC)
    assert parse_article(b"<html><head><title>t</title></head><body></body></html>", url=None) is None


def test_generic_extractor_misses_and_selectors_fix_it(fixtures):
    content = _page(fixtures, "article_selectors.html")
    generic = parse_article(content, url="u")
    assert "Surat pembaca" in generic.text  # the trap: the letters outweigh the short article
    assert "Surat pembaca" in heuristic_main_text(parse_html(decode_html(content)))[0]  # for both
    item = parse_article(content, url="u", selectors=SELECTORS)
    assert item.title == "Bawaslu Sampang Temukan Dugaan Politik Uang di Robatal"
    assert item.author == "Ahmad Fauzi"
    assert item.published_at == datetime(2024, 11, 25, 1, 15, tzinfo=UTC)
    assert item.text.splitlines()[0].startswith("Bawaslu Kabupaten Sampang menerima laporan")
    assert "Surat pembaca" not in item.text and item.raw["extractor"] == "selectors"


def test_layout_wrapper_named_like_a_widget_is_kept():
    page = b"""<html><body><div class="container has-sidebar"><article><h1>Judul</h1>
    <p>Paragraf pertama berita yang cukup panjang untuk dihitung sebagai isi.</p>
    <div class="share-bar"><p>Bagikan tulisan ini ke media sosial kesayangan Anda sekarang.</p></div>
    </article><aside>Sidebar</aside></div></body></html>"""
    item = parse_article(page, url=None)
    assert item.text == "Paragraf pertama berita yang cukup panjang untuk dihitung sebagai isi."


def test_minimal_page_and_the_heuristics_last_resort(fixtures):
    content = _page(fixtures, "article_minimal.html")
    item = parse_article(content, url=None)
    assert item.title == "Pengumuman KPU Sampang" and item.raw["extractor"] == "trafilatura"
    assert "Rapat pleno" in item.text and "Saksi" in item.text and "Menu" not in item.text
    text, extractor = heuristic_main_text(parse_html(decode_html(content)))  # the fallback, on its own
    assert extractor == "fallback" and "Rapat pleno" in text and "Menu" not in text


def test_wrong_charset_declarations(fixtures):
    lying_latin1 = parse_article(_page(fixtures, "article_wrong_charset.html"), url=None)
    assert "\u201cserangan fajar\u201d" in lying_latin1.title and "caf\u00e9" in lying_latin1.text
    assert "alert" not in lying_latin1.text
    lying_utf8 = parse_article(_page(fixtures, "article_cp1252.html"), url=None)
    assert "\u201cOmben\u201d" in lying_utf8.title and "\u2014 caf\u00e9" in lying_utf8.text
    assert decode_html("é".encode("latin-1"), "nonsense-charset") == "é"


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00\xff\xfe",
        b"<",
        b"<html",
        b"<<<>>>",
        b"<p>" * 5000,
        b"<div>" * 20000 + b"<p>dalam sekali tapi harus tetap aman diurai</p>",
        b"<script>" + b"x" * 1000,
        b"<html><body><a href='javascript:alert(1)'>x</a></body></html>",
        b"<table><tr><td><p>sel</td></tr></table></div></span></body></html></html>",
        b"<script type='application/ld+json'>{{{{</script><p>teks</p>",
        b"<meta charset='utf-\x00'><title>\xff</title>",
    ],
    ids=lambda c: f"{len(c)}b",
)
def test_hostile_pages_never_raise(content):
    item = parse_article(content, url="https://x.example.org/")
    assert item is None or isinstance(item, CollectedItem)


def test_deep_nesting_keeps_the_text():
    item = parse_article(b"<div>" * 20000 + b"<p>dalam sekali tapi harus tetap aman diurai</p>", url=None)
    assert item is not None and "dalam sekali" in item.text


def test_nested_widgets_stay_linear():
    """20 000 nested share widgets around the article: kept as wrappers, parsed in about a second
    (``Tag.decomposed`` made this quadratic: minutes)."""
    page = b"<div class='share'>" * 20000 + b"<h1>x</h1><p>isi berita yang panjang sekali untuk diuji</p>"
    assert parse_article(page, url=None).text == "isi berita yang panjang sekali untuk diuji"


def test_bad_selector_is_a_config_error(fixtures):
    with pytest.raises(ConfigError, match="selectors.body"):
        parse_article(_page(fixtures, "article_kabar.html"), url=None, selectors={"body": "div[[["})


# --- the kind --------------------------------------------------------------------------------------


def test_html_kind_on_files_and_urls(fixtures, http_server):
    pages = fixtures / "pages"
    result = fetch_to_items(
        "html",
        str(pages / "article_kabar.html"),
        options={
            "urls": [
                f"{http_server}/page/article_selectors.html",
                f"{http_server}/page/nope.html",
                str(pages / "article_kabar.html"),
                str(pages / "kosong.html"),
            ],
        },
    )
    assert result.error is None
    assert [i.title for i in result.items][0].startswith("Warga Camplong")
    assert result.items[0].url.startswith("file://")
    assert result.items[1].url == f"{http_server}/page/article_selectors.html"
    reasons = sorted(s.reason.value for s in result.skipped)
    assert reasons == ["duplicate_in_batch", "fetch_error", "fetch_error"]


def test_html_kind_selectors_option_and_config_errors(fixtures):
    path = str(fixtures / "pages" / "article_selectors.html")
    result = fetch_to_items("html", path, options={"selectors": SELECTORS})
    assert result.items[0].author == "Ahmad Fauzi"
    with pytest.raises(ConfigError):
        fetch_to_items("html", path, options={"selectors": {"judul": "h1"}})
    with pytest.raises(ConfigError):
        fetch_to_items("html", path, options={"urls": "not-a-list"})
    with pytest.raises(ConfigError):
        fetch_to_items("html", path, options={"timezone": "Mars/Olympus"})


def test_html_kind_single_missing_page_fails_the_source(tmp_path):
    result = fetch_to_items("html", str(tmp_path / "missing.html"))
    assert result.error and result.error_reason == SkipReason.FETCH_ERROR
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"<html></html>")
    result = fetch_to_items("html", str(empty))
    assert result.error is None and result.skipped[0].reason == SkipReason.EMPTY_TEXT


# --- teasers ---------------------------------------------------------------------------------------


def _site(fixtures):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/feed":
            return httpx.Response(200, content=(fixtures / "teaser_feed.xml").read_bytes())
        if request.url.path == "/debat":
            return httpx.Response(
                200,
                content=_page(fixtures, "article_kabar.html"),
                headers={"Content-Type": "text/html; charset=utf-8"},
            )
        return httpx.Response(404)

    return HttpFetcher(HttpConfig(), transport=httpx.MockTransport(handler), min_interval_seconds=0)


def test_rss_fetch_pages_replaces_teasers(fixtures):
    config = SourceConfig(
        name="kabar",
        kind="rss",
        location="https://kabarpesisir.example.org/feed",
        options={"fetch_pages": True, "teaser_chars": 60},
    )
    with _site(fixtures) as fetcher:
        result = collect_source(config, fetcher)
    debat, hilang, lengkap = result.items
    assert debat.text.startswith("SAMPANG") and debat.raw["page_fetched"] is True
    assert debat.author == "Siti Rohmah" and debat.title == "Warga Camplong Antusias Ikuti Debat Publik"
    assert hilang.text == "Cuplikan singkat saja..."
    assert lengkap.text.startswith("Teks ini sudah") and "page_fetched" not in lengkap.raw
    [skip] = result.skipped
    assert skip.reason == SkipReason.FETCH_ERROR and skip.position.endswith("/hilang")


def test_rss_without_fetch_pages_keeps_teasers_and_validates_options(fixtures):
    with _site(fixtures) as fetcher:
        plain = collect_source(
            SourceConfig(name="k", kind="rss", location="https://kabarpesisir.example.org/feed"), fetcher
        )
        assert plain.items[0].text == "Ratusan warga memadati balai desa..."
        with pytest.raises(ConfigError):
            collect_source(
                SourceConfig(name="k", kind="rss", location="x", options={"teaser_chars": "banyak"}), fetcher
            )


def test_enrich_from_page_leaves_non_http_items_alone(fixtures):
    item = CollectedItem(source="s", text="t", url="file:///tmp/x.html")
    with _site(fixtures) as fetcher:
        assert enrich_from_page(item, fetcher) is item
