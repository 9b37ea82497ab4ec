"""Validate the bundled demo data in examples/ (feeds, social exports, reviewer labels).

The demo data is invented for the project; these checks keep it internally consistent: every file
parses, every item has exactly one reviewer label, dates fall in the election window, and the labels
cover every district and every signal.
"""

from __future__ import annotations

import csv
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import feedparser
import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FEEDS = sorted((EXAMPLES / "feeds").glob("*.xml"))
POSTS_JSONL = EXAMPLES / "social" / "posts.jsonl"
POSTS_CSV = EXAMPLES / "social" / "posts_export.csv"
LABELS = EXAMPLES / "demo_labels.jsonl"

WIB = timezone(timedelta(hours=7))
WINDOW = (date(2024, 8, 1), date(2025, 3, 31))
SIGNALS = {"hoax", "hate_speech", "sara", "abusive", "violence_threat", "vote_buying", "counter_narrative"}
LANGS = {"ind", "mad", "jav", "eng"}
KECAMATAN = {
    "Banyuates",
    "Camplong",
    "Jrengik",
    "Karang Penang",
    "Kedungdung",
    "Ketapang",
    "Omben",
    "Pangarengan",
    "Robatal",
    "Sampang",
    "Sokobanah",
    "Sreseh",
    "Tambelangan",
    "Torjun",
}
# Inclusive local (WIB) dates, as in examples/sampang.yaml.
STAGES = [
    ("registration", date(2024, 8, 27), date(2024, 8, 29)),
    ("candidate_determination", date(2024, 8, 30), date(2024, 9, 24)),
    ("campaign", date(2024, 9, 25), date(2024, 11, 23)),
    ("quiet_period", date(2024, 11, 24), date(2024, 11, 26)),
    ("voting_day", date(2024, 11, 27), date(2024, 11, 27)),
    ("counting_recapitulation", date(2024, 11, 28), date(2024, 12, 16)),
    ("disputes", date(2024, 12, 17), date(2025, 3, 31)),
]
JSONL_FIELDS = {"id", "platform", "author", "created_at", "url", "text"}
PLATFORMS = {"facebook", "x", "tiktok", "whatsapp_group", "instagram"}
CSV_COLUMNS = ["message", "posted_at", "user", "link", "network"]


def stage_of(day: date) -> str:
    for name, start, end in STAGES:
        if start <= day <= end:
            return name
    raise AssertionError(f"{day} is outside every stage")


def _strip_tags(s: str) -> str:
    return re.sub(r"<[^>]+>", " ", s)


def load_items() -> dict[str, dict]:
    """Every demo item keyed by its URL: source file, local datetime and searchable text."""
    items: dict[str, dict] = {}

    def add(url, source_file, when, text):
        assert url not in items, f"duplicate item url {url}"
        items[url] = {"source_file": source_file, "when": when.astimezone(WIB), "text": text}

    for path in FEEDS:
        parsed = feedparser.parse(path.read_bytes())
        for e in parsed.entries:
            parts = [e.get("title", ""), e.get("summary", "")] + [c.value for c in e.get("content", [])]
            when = datetime(*(e.get("published_parsed") or e.get("updated_parsed"))[:6], tzinfo=UTC)
            add(e.link, f"feeds/{path.name}", when, _strip_tags(" ".join(parts)))
    with POSTS_JSONL.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            add(row["url"], "social/posts.jsonl", datetime.fromisoformat(row["created_at"]), row["text"])
    with POSTS_CSV.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            when = datetime.strptime(row["posted_at"], "%d/%m/%Y %H:%M").replace(tzinfo=WIB)
            add(row["link"], "social/posts_export.csv", when, row["message"])
    return items


def load_labels() -> list[dict]:
    with LABELS.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def test_there_are_three_to_five_feeds_of_each_required_kind():
    assert 3 <= len(FEEDS) <= 5
    kinds = {ET.parse(p).getroot().tag for p in FEEDS}
    assert "rss" in kinds and "{http://www.w3.org/2005/Atom}feed" in kinds
    texts = [p.read_text(encoding="utf-8") for p in FEEDS]
    assert any("<content:encoded><![CDATA[" in t for t in texts)


@pytest.mark.parametrize("path", FEEDS, ids=lambda p: p.name)
def test_feed_parses_as_xml_and_with_feedparser(path):
    ET.parse(path)  # raises on malformed XML
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, f"{path.name}: {parsed.get('bozo_exception')!r}"
    assert parsed.entries
    assert "(demo)" in parsed.feed.title
    for e in parsed.entries:
        assert e.title and e.link and (e.get("summary") or e.get("content"))
        assert re.match(r"^https://[a-z0-9.-]+\.example/", e.link), e.link
        assert e.get("published_parsed") or e.get("updated_parsed")


def test_about_45_news_items():
    n = sum(len(feedparser.parse(p.read_bytes()).entries) for p in FEEDS)
    assert 40 <= n <= 50


def test_jsonl_posts_have_required_fields():
    ids = set()
    with POSTS_JSONL.open(encoding="utf-8") as fh:
        lines = [line for line in fh if line.strip()]
    assert 55 <= len(lines) <= 65
    for line in lines:
        row = json.loads(line)
        assert JSONL_FIELDS <= row.keys(), row
        assert all(isinstance(row[k], str) and row[k] for k in JSONL_FIELDS), row
        assert row["platform"] in PLATFORMS
        assert row["id"] not in ids
        ids.add(row["id"])
        assert row["url"].startswith("https://social.example/")
        assert row["created_at"].endswith("+07:00")
        datetime.fromisoformat(row["created_at"])


def test_csv_export_has_documented_columns_and_a_multiline_message():
    with POSTS_CSV.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == CSV_COLUMNS
        rows = list(reader)
    assert len(rows) == 15
    assert any("\n" in r["message"] for r in rows)
    for r in rows:
        assert all(r[c] for c in CSV_COLUMNS), r
        assert r["network"] in PLATFORMS
        datetime.strptime(r["posted_at"], "%d/%m/%Y %H:%M")


def test_every_item_has_exactly_one_label_and_every_label_an_item():
    items = load_items()
    refs = Counter(label["ref"] for label in load_labels())
    assert [r for r, n in refs.items() if n > 1] == []
    assert set(refs) - set(items) == set(), "labels pointing at no item"
    assert set(items) - set(refs) == set(), "items without a label"


def test_labels_are_well_formed_and_consistent_with_their_items():
    items = load_items()
    for label in load_labels():
        item = items[label["ref"]]
        assert label["source_file"] == item["source_file"], label["ref"]
        assert set(label["expected_flags"]) <= SIGNALS, label
        assert label["lang"] in LANGS, label
        assert set(label["districts"]) <= KECAMATAN, label
        assert label["stage"] == stage_of(item["when"].date()), label["ref"]
        assert label["note"]
        text = item["text"].lower()
        for d in label["districts"]:
            # The bare name "Sampang" is the regency; the district needs an explicit mention.
            needles = ["kecamatan sampang", "kota sampang"] if d == "Sampang" else [d.lower()]
            assert any(n in text for n in needles), (label["ref"], d)


def test_dates_fall_inside_the_election_window():
    for url, item in load_items().items():
        assert WINDOW[0] <= item["when"].date() <= WINDOW[1], url


def test_items_cover_every_stage_with_more_near_voting_day():
    per_stage = Counter(label["stage"] for label in load_labels())
    assert set(per_stage) == {s for s, _, _ in STAGES}
    assert per_stage["voting_day"] >= 10


def test_all_fourteen_kecamatan_appear():
    labelled = {d for label in load_labels() for d in label["districts"]}
    assert labelled == KECAMATAN
    corpus = " ".join(i["text"] for i in load_items().values()).lower()
    assert all(k.lower() in corpus for k in KECAMATAN)


def test_each_signal_has_at_least_three_positives_and_negatives_dominate():
    labels = load_labels()
    counts = Counter(f for label in labels for f in label["expected_flags"])
    for signal in SIGNALS:
        assert counts[signal] >= 3, (signal, counts[signal])
    assert sum(1 for label in labels if not label["expected_flags"]) >= len(labels) // 3


def test_languages_and_duplicates_for_dedup():
    labels = load_labels()
    langs = Counter(label["lang"] for label in labels if label["source_file"] == "social/posts.jsonl")
    assert langs["mad"] >= 8 and langs["jav"] >= 1
    with POSTS_JSONL.open(encoding="utf-8") as fh:
        texts = Counter(json.loads(line)["text"] for line in fh)
    assert max(texts.values()) >= 3  # one hoax reposted verbatim by different authors
