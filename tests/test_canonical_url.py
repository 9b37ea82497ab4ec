"""pantau.domain.text.canonical_url: copies of one page (tracking, AMP, mobile hosts) share one URL."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pantau.domain.text import canonical_url

ARTICLE = "https://detik.com/berita/d-7654321/debat-calon-bupati-sampang"


@pytest.mark.parametrize(
    "url",
    [
        ARTICLE,
        ARTICLE + "/",
        ARTICLE + "/amp",
        ARTICLE + "/amp/",
        ARTICLE + "?amp=1",
        ARTICLE + "?amp",
        ARTICLE + "#komentar",
        ARTICLE + "?utm_source=whatsapp&utm_medium=share&utm_campaign=pilkada",
        ARTICLE + "?fbclid=IwAR0abc",
        ARTICLE + "?gclid=Cj0KCQ",
        ARTICLE + "?mc_cid=5d2a&mc_eid=9f1b",
        ARTICLE + "?ref=wa",
        ARTICLE + "?ref_src=twsrc%5Etfw",
        ARTICLE + "?mibextid=Zxz2cZ",
        ARTICLE + "?si=AbC123",
        ARTICLE + "?igsh=MWQ1ZGUx",
        "https://www.detik.com/berita/d-7654321/debat-calon-bupati-sampang",
        "https://m.detik.com/berita/d-7654321/debat-calon-bupati-sampang",
        "https://mobile.detik.com/berita/d-7654321/debat-calon-bupati-sampang",
        "https://amp.detik.com/berita/d-7654321/debat-calon-bupati-sampang",
        "https://www.m.detik.com/berita/d-7654321/debat-calon-bupati-sampang",
        "HTTPS://WWW.Detik.COM/berita/d-7654321/debat-calon-bupati-sampang/",
        "https://detik.com:443/berita/d-7654321/debat-calon-bupati-sampang",
        "  https://m.detik.com/berita/d-7654321/debat-calon-bupati-sampang/amp?amp=1&ref=wa#top \n",
    ],
)
def test_copies_of_one_article_share_its_url(url):
    assert canonical_url(url) == ARTICLE


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # a query that selects content stays, sorted by key
        ("https://kompas.com/search?q=pilkada&page=2", "https://kompas.com/search?page=2&q=pilkada"),
        ("https://kompas.com/search?page=2&q=pilkada", "https://kompas.com/search?page=2&q=pilkada"),
        ("https://a.id/read?p=123&utm_source=x&b=2&a=1", "https://a.id/read?a=1&b=2&p=123"),
        ("https://kompas.com/read/2024/12/03/x?page=all", "https://kompas.com/read/2024/12/03/x?page=all"),
        # trailing slash: gone except the root
        ("https://example.com", "https://example.com/"),
        ("https://example.com/", "https://example.com/"),
        ("https://example.com/#top", "https://example.com/"),
        ("https://example.com/a/b/", "https://example.com/a/b"),
        ("https://example.com/a/?q=1", "https://example.com/a?q=1"),
        # scheme and host lower-cased, path case kept; a non-default port kept
        ("HTTP://Example.COM/Berita/ABC", "http://example.com/Berita/ABC"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        # percent-encoding: one case, and a raw character the same as its escape
        ("https://a.id/caf%c3%a9", "https://a.id/caf%C3%A9"),
        ("https://a.id/café", "https://a.id/caf%C3%A9"),
        ("https://a.id/x?q=%2f&r=caf%c3%a9", "https://a.id/x?q=%2F&r=caf%C3%A9"),
        ("https://a.id/a b/<x>", "https://a.id/a%20b/%3Cx%3E"),
        # RFC 3986 sub-delimiters in a path are not their escapes: kept as written
        ("https://a.id/p/2001;facebook", "https://a.id/p/2001;facebook"),
        ("https://id.wikipedia.org/wiki/Sampang_(kota)", "https://id.wikipedia.org/wiki/Sampang_(kota)"),
        ("https://a.id/~budi/@kpu/a+b*c$d&e=f'g!", "https://a.id/~budi/@kpu/a+b*c$d&e=f'g!"),
        # IDN hosts: punycode whichever spelling came
        ("https://bücher.example/x", "https://xn--bcher-kva.example/x"),
        ("https://BÜCHER.example/x", "https://xn--bcher-kva.example/x"),
        ("https://xn--bcher-kva.example/x", "https://xn--bcher-kva.example/x"),
        ("https://www.bücher.example:8080/x", "https://xn--bcher-kva.example:8080/x"),
        # a host that would be left without a dot is not folded; other subdomains stay
        ("https://m.localhost/x", "https://m.localhost/x"),
        ("https://www.com/x", "https://www.com/x"),
        ("https://news.detik.com/x", "https://news.detik.com/x"),
        ("https://m.news.detik.com/x", "https://news.detik.com/x"),
        # "amp" only as the last segment or the amp parameter
        ("https://a.id/amp-ramah/amplop", "https://a.id/amp-ramah/amplop"),
        ("https://a.id/amp/berita", "https://a.id/amp/berita"),
        ("https://a.id/x?amplop=1", "https://a.id/x?amplop=1"),
    ],
)
def test_canonical_form(url, expected):
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "mailto:humas@kpu.go.id",
        "ftp://Host.example/x/",
        "file:///home/pantau/feed.xml",
        "javascript:alert(1)",
        "//detik.com/x",
        "detik.com/berita/x",
        "garbage",
        "http://",
        "http://[::1",
        "https://a.id:99999/x",
        "tel:+62812",
    ],
)
def test_non_http_and_unparseable_urls_come_back_stripped(url):
    assert canonical_url(f"  {url}\t") == url


@pytest.mark.parametrize("url", [None, "", "   ", "\n"])
def test_empty_is_none(url):
    assert canonical_url(url) is None


_HOSTS = st.sampled_from(["detik.com", "Kompas.COM", "bücher.example", "xn--bcher-kva.example", "localhost"])
_PREFIX = st.sampled_from(["", "www.", "m.", "amp.", "mobile.", "WWW.", "news."])
_SEGMENT = st.sampled_from(["berita", "amp", "Caf%c3%a9", "café", "a b", "", "x+y", "%ff", "..", "d-123"])
_KEY = st.sampled_from(["utm_source", "ref", "amp", "page", "q", "p", "mc_cid", "si", "fbclid", "Q"])
_VALUE = st.sampled_from(["", "1", "wa", "a b", "%2f", "é", "x&y"])


@settings(max_examples=300, deadline=None)
@given(
    scheme=st.sampled_from(["http", "https", "HTTPS"]),
    prefix=_PREFIX,
    host=_HOSTS,
    port=st.sampled_from(["", ":443", ":80", ":8080"]),
    segments=st.lists(_SEGMENT, max_size=4),
    params=st.lists(st.tuples(_KEY, _VALUE), max_size=4),
    fragment=st.sampled_from(["", "#top", "#a=1&b=2"]),
    trailing=st.sampled_from(["", "/"]),
)
def test_idempotent_lowercase_and_without_fragment(
    scheme, prefix, host, port, segments, params, fragment, trailing
):
    query = "?" + "&".join(f"{k}={v}" for k, v in params) if params else ""
    url = f"{scheme}://{prefix}{host}{port}/{'/'.join(segments)}{trailing}{query}{fragment}"
    once = canonical_url(url)
    assert once is not None and once == canonical_url(once)
    assert once.startswith(("http://", "https://")) and "#" not in once
    assert once.isascii()
    assert not once.endswith("/") or once.count("/") == 3


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80) | st.text(max_size=60).map(lambda s: "https://" + s))
def test_never_raises(text):
    result = canonical_url(text)
    assert result is None or isinstance(result, str)
