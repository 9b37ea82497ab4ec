"""Registry, locations, collect_source, pseudonymisation, dates, and the import boundary of sources/."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest

import sources
from pantau.domain.config import HttpConfig, SourceConfig
from pantau.domain.errors import FetchError, UnknownKindError
from pantau.domain.records import CollectResult
from sources import SOURCE_KINDS, HttpFetcher, collect_source, fetch_to_items, get_source_kind
from sources.base import SourceKind, resolve_location
from sources.dates import parse_datetime
from sources.html_text import html_to_text
from sources.pseudonym import AUTHOR_KEY_ENV, Pseudonymiser
from sources.registry import register


def test_builtin_kinds_are_registered():
    assert {
        "rss",
        "social_export",
        "html",
        "telegram",
        "x_api_v2",
        "crowdtangle_csv",
        "whatsapp_export",
        "factcheck_feed",
        "yudistira",
    } <= set(SOURCE_KINDS)
    for name, kind in SOURCE_KINDS.items():
        assert isinstance(kind, SourceKind) and kind.name == name


def test_unknown_kind_lists_the_known_ones():
    with pytest.raises(UnknownKindError) as info:
        get_source_kind("telegarm")
    assert info.value.known == sorted(SOURCE_KINDS)
    assert "rss" in str(info.value) and "social_export" in str(info.value)
    with pytest.raises(UnknownKindError):
        fetch_to_items("telegarm", "x")


def test_register_adds_a_kind_and_refuses_duplicates(monkeypatch):
    monkeypatch.setattr("sources.registry.SOURCE_KINDS", dict(SOURCE_KINDS))
    from sources import registry

    @register("static_test")
    class Static:
        name = "static_test"

        def collect(self, config, fetcher):
            raise FetchError("down", location=config.location)

    assert "static_test" in registry.SOURCE_KINDS
    with pytest.raises(ValueError, match="already registered"):
        register("static_test")(Static)
    with HttpFetcher(HttpConfig()) as fetcher:
        result = sources.collect_source(SourceConfig(name="s", kind="static_test", location="x"), fetcher)
    assert isinstance(result, CollectResult) and result.error == "x: down"  # FetchError caught


@pytest.mark.parametrize(
    ("location", "url", "path"),
    [
        ("https://kabar.example.org/rss", "https://kabar.example.org/rss", None),
        ("HTTP://kabar.example.org/rss", "HTTP://kabar.example.org/rss", None),
        ("file:///tmp/feed%20a.xml", None, Path("/tmp/feed a.xml")),
        ("/tmp/feed.xml", None, Path("/tmp/feed.xml")),
        ("feeds/local.xml", None, Path("feeds/local.xml")),
    ],
)
def test_resolve_location(location, url, path):
    resolved = resolve_location(location)
    assert (resolved.url, resolved.path) == (url, path)


def test_resolve_location_refuses_other_schemes():
    with pytest.raises(FetchError) as info:
        resolve_location("ftp://kabar.example.org/rss")
    assert info.value.reason == "unsupported_scheme"
    with HttpFetcher() as fetcher:
        result = collect_source(SourceConfig(name="s", kind="rss", location="ftp://x/y"), fetcher)
    assert result.error and result.items == []


def test_pseudonyms_are_stable_keyed_and_respect_public_handles():
    one = Pseudonymiser.from_options("kunci-1", ["@Polres_Contoh"], environ={})
    two = Pseudonymiser.from_options("kunci-2", environ={})
    assert one("@budi") == one("Budi") == one(" @BUDI ")
    assert one("budi") != one("siti")
    assert one("budi") != two("budi")
    assert one("polres_contoh") == "polres_contoh" and one("@Polres_Contoh") == "@Polres_Contoh"
    assert one(None) is None and one("  ") is None
    assert not one.is_development_key


def test_pseudonym_key_from_environment_then_development_default():
    from_env = Pseudonymiser.from_options(None, environ={AUTHOR_KEY_ENV: "kunci-env"})
    assert from_env("budi") == Pseudonymiser.from_options("kunci-env", environ={})("budi")
    default = Pseudonymiser.from_options(None, environ={})
    assert default.is_development_key and default("budi").startswith("anon:")


def test_development_key_is_flagged_on_items(tmp_path, monkeypatch):
    monkeypatch.delenv(AUTHOR_KEY_ENV, raising=False)
    path = tmp_path / "export.jsonl"
    path.write_text('{"text": "halo", "author": "budi"}\n', encoding="utf-8")
    assert fetch_to_items("social_export", str(path)).items[0].raw["author_key"] == "development"
    monkeypatch.setenv(AUTHOR_KEY_ENV, "kunci-env")
    assert "author_key" not in fetch_to_items("social_export", str(path)).items[0].raw


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-11-20T08:15:00+07:00", datetime(2024, 11, 20, 1, 15, tzinfo=UTC)),
        ("2024-11-20T01:15:00Z", datetime(2024, 11, 20, 1, 15, tzinfo=UTC)),
        ("2024-11-20 08:15", datetime(2024, 11, 20, 8, 15, tzinfo=UTC)),
        ("20/11/2024 08:15", datetime(2024, 11, 20, 8, 15, tzinfo=UTC)),
        ("1732090500", datetime(2024, 11, 20, 8, 15, tzinfo=UTC)),
        (1732090500000, datetime(2024, 11, 20, 8, 15, tzinfo=UTC)),
        ("Wed, 20 Nov 2024 08:15:00 +0700", datetime(2024, 11, 20, 1, 15, tzinfo=UTC)),
        ("kemarin", None),
        ("", None),
        (None, None),
        (True, None),
    ],
)
def test_parse_datetime(value, expected):
    assert parse_datetime(value) == expected


def test_html_to_text():
    html = "<p>Satu&nbsp;dua</p><script>x()</script><p>&ldquo;Tiga&rdquo;<br>empat</p>"
    assert html_to_text(html) == "Satu dua\n\n\u201cTiga\u201d\nempat"
    assert html_to_text("teks biasa  saja") == "teks biasa saja"
    assert html_to_text(None) == ""


FORBIDDEN = ("prefect", "flows", "storage", "classifiers", "pantau.cli", "pantau.settings")


def test_sources_imports_only_domain_and_libraries():
    root = Path(sources.__file__).parent
    for module in root.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                assert not any(name == f or name.startswith(f + ".") for f in FORBIDDEN), (module, name)
