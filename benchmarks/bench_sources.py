"""Parsing throughput of every source kind on the fixture files of tests/sources (no network).

Each fixture is parsed ``--repeat`` times by its pure parser; prints documents and items per second.
Usage: ``python benchmarks/bench_sources.py [--repeat 200]``
"""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Callable
from pathlib import Path

from sources.base import Location
from sources.crowdtangle import DEFAULT_COLUMNS, iter_crowdtangle
from sources.html_article import parse_article
from sources.rss import parse_feed
from sources.social_export import ExportOptions, iter_export
from sources.telegram import parse_channel_page
from sources.whatsapp import parse_chat
from sources.x_api import parse_x_pages
from sources.yudistira import parse_yudistira

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "sources" / "fixtures"


CSV_COLUMNS = {"id": "kode", "text": "pesan", "author": "akun", "created_at": "tanggal", "url": "tautan"}


def export_options(fmt: str, columns: dict[str, str] | None = None) -> ExportOptions:
    return ExportOptions.parse(
        {"format": fmt, "author_key": "bench", "columns": columns}, Location(path=Path("bench"))
    )


def _count(records) -> int:
    return sum(1 for r in records if not hasattr(r, "reason"))


CASES: list[tuple[str, list[str], Callable[[bytes], int]]] = [
    (
        "rss",
        ["rss20_content_encoded.xml", "atom.xml", "rdf_iso8859.xml"],
        lambda b: len(parse_feed(b, source="bench").items),
    ),
    (
        "factcheck_feed (rss parse)",
        ["factcheck/factcheck_feed.xml"],
        lambda b: len(parse_feed(b, source="bench").items),
    ),
    (
        "html",
        ["pages/article_kabar.html", "pages/article_selectors.html", "pages/article_wrong_charset.html"],
        lambda b: int(parse_article(b, url="https://x.example.org/") is not None),
    ),
    (
        "telegram",
        ["telegram/channel_page1.html", "telegram/channel_page2.html"],
        lambda b: len(parse_channel_page(b, source="bench").items),
    ),
    (
        "x_api_v2",
        ["exports/x_api_page.json", "exports/x_api_pages.jsonl"],
        lambda b: len(parse_x_pages(b, source="bench").items),
    ),
    (
        "crowdtangle_csv",
        ["exports/crowdtangle.csv"],
        lambda b: _count(
            iter_crowdtangle(
                io.BytesIO(b), source="bench", export=export_options("csv"), columns=DEFAULT_COLUMNS
            )
        ),
    ),
    (
        "social_export jsonl",
        ["posts.jsonl"],
        lambda b: _count(iter_export(io.BytesIO(b), source="bench", options=export_options("jsonl"))),
    ),
    (
        "social_export csv",
        ["posts_semicolon.csv"],
        lambda b: _count(
            iter_export(io.BytesIO(b), source="bench", options=export_options("csv", CSV_COLUMNS))
        ),
    ),
    (
        "whatsapp_export",
        ["whatsapp/chat_android_id.txt", "whatsapp/chat_ios.txt", "whatsapp/chat_android_en.txt"],
        lambda b: len(parse_chat(b, source="bench").items),
    ),
    ("yudistira", ["factcheck/yudistira.json"], lambda b: len(parse_yudistira(b, source="bench").items)),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    print(f"{'kind':<28} {'docs':>6} {'items':>7} {'seconds':>8} {'docs/s':>9} {'items/s':>9}")
    for kind, names, parse in CASES:
        documents = [(FIXTURES / name).read_bytes() for name in names]
        for content in documents:
            parse(content)  # warm-up: imports, regex compilation
        items = 0
        started = time.perf_counter()
        for _ in range(args.repeat):
            for content in documents:
                items += parse(content)
        elapsed = time.perf_counter() - started
        docs = args.repeat * len(documents)
        print(
            f"{kind:<28} {docs:>6} {items:>7} {elapsed:>8.2f} {docs / elapsed:>9.0f} {items / elapsed:>9.0f}"
        )


if __name__ == "__main__":
    main()
