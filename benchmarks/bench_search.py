"""Speed of full-text search (issue 18): the alert search with ``q`` and the item search page's query on a
SQLite database of N alerts, beside the old ``LIKE`` substring query it replaced.

Builds ``--alerts`` items with one alert each (synthetic Indonesian/Madurese-like text: a Zipf-
distributed vocabulary of a few thousand words, some with diacritics, plus a handful of election words
that appear in a given share of items), then times each query ``--repeat`` times in-process through
the storage functions the page and the API call (one page of 100 alerts / 20 items, count included)
and prints p50/p95 per query and overall. Target: p95 <= 200 ms at 100,000 alerts.

Usage: ``python benchmarks/bench_search.py [--alerts 100000] [--repeat 20] [--db PATH]`` (an
existing ``--db`` file is reused as it is).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import exists, func, insert, or_, select
from sqlalchemy.orm import Session

from storage import alert_search, text_search
from storage.alert_search import AlertFilters
from storage.db import make_engine, migrate
from storage.models import Alert, Item, Source

DISTRICTS = ["Banyuates", "Camplong", "Jrengik", "Kedungdung", "Omben", "Robatal", "Sampang", "Torjun"]
SIGNALS = ["hoax", "hate_speech", "sara", "abusive", "violence_threat", "vote_buying"]
SEVERITIES = ["low", "medium", "medium", "high", "critical"]
#: election words and the share of items that carry each (common, middling, rare)
TOPICS = {"pilkada": 0.5, "kampanye": 0.2, "amplop": 0.05, "pèssè": 0.02, "serangan fajar": 0.01}
SYLLABLES = "ba ka la ma na pa ra sa ta ng ri lu mo de se jè pè sè rè â ko bu di".split()
QUERIES = ["pilkada", "kampanye", "amplop", "pesse", '"serangan fajar"', "sampang pilkada", "kamp*", "zzzz"]


def vocabulary(rng: random.Random, size: int = 4000) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def build(path: Path, n: int, seed: int = 0) -> None:
    """A migrated database with ``n`` items and one alert each (the FTS index filled by its triggers)."""
    rng = random.Random(seed)
    vocab = vocabulary(rng)
    weights = [1 / (rank + 1) for rank in range(len(vocab))]
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    start = datetime(2024, 9, 25, tzinfo=UTC)
    with Session(engine) as session, session.begin():
        session.execute(
            insert(Source),
            [
                {
                    "name": f"bench-{i}",
                    "kind": "rss",
                    "location": f"https://b{i}.example",
                    "created_at": start,
                }
                for i in range(8)
            ],
        )
        for lo in range(0, n, 5000):
            items, alerts = [], []
            for i in range(lo, min(n, lo + 5000)):
                when = start + timedelta(minutes=i * 90 * 24 * 60 // max(n, 1))
                district, signal = rng.choice(DISTRICTS), rng.choice(SIGNALS)
                words = rng.choices(vocab, weights, k=rng.randint(20, 80))
                words += [t for t, share in TOPICS.items() if rng.random() < share]
                rng.shuffle(words)
                text = " ".join(words)
                items.append(
                    {
                        "id": i + 1,
                        "source_id": rng.randint(1, 8),
                        "url": f"https://b.example/{i}",
                        "title": f"Kabar {district} {words[0]}",
                        "text": text,
                        "published_at": when,
                        "collected_at": when,
                        "content_hash": f"{i:064x}",
                        "districts": [district],
                        "actors": [],
                        "raw": {},
                    }
                )
                alerts.append(
                    {
                        "kind": "flagged_item",
                        "signal": signal,
                        "item_id": i + 1,
                        "severity": rng.choice(SEVERITIES),
                        "district": district,
                        "status": "open",
                        "reason": f"{signal} 0.9: {text[:60]}",
                        "details": {},
                        "dedupe_key": f"flagged_item:{i + 1}:{signal}",
                        "created_at": when,
                        "updated_at": when,
                    }
                )
            session.execute(insert(Item), items)
            session.execute(insert(Alert), alerts)
    engine.dispose()


def like_page(session: Session, term: str, limit: int = 100) -> tuple[int, list[int]]:
    """The query ``q`` ran before issue 18: a case-insensitive substring over reason, title and text."""
    where = or_(
        Alert.reason.icontains(term, autoescape=True),
        exists().where(
            Item.id == Alert.item_id,
            or_(Item.title.icontains(term, autoescape=True), Item.text.icontains(term, autoescape=True)),
        ),
    )
    total = session.scalar(select(func.count(Alert.id)).where(where))
    ids = session.scalars(
        select(Alert.id).where(where).order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit)
    )
    return total or 0, list(ids)


def _pair(page: text_search.ItemPage) -> tuple[int, list]:
    return page.total, page.hits


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def timed(label: str, repeat: int, call: Callable[[], tuple[int, list]]) -> list[float]:
    times = []
    total = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        total, _rows = call()
        times.append((time.perf_counter() - t0) * 1000)
    print(f"  {label:<42} {total:>7} hits  p50 {pct(times, 50):7.1f} ms  p95 {pct(times, 95):7.1f} ms")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "search.db"
        if not path.exists():
            t0 = time.perf_counter()
            build(path, args.alerts)
            print(
                f"built {args.alerts} items and alerts (FTS by triggers) in {time.perf_counter() - t0:.1f} s"
            )
        engine = make_engine(f"sqlite:///{path}")
        results: dict[str, list[float]] = {"alerts": [], "items": [], "alerts+filter": [], "like": []}
        with Session(engine) as session:
            for q in QUERIES:
                print(f"q={q!r}")
                results["alerts"] += timed(
                    "alert search (page of 100, ranked)",
                    args.repeat,
                    lambda q=q: alert_search.search_page(session, AlertFilters(q=q), limit=100),
                )
                results["alerts+filter"] += timed(
                    "alert search + district + signal",
                    args.repeat,
                    lambda q=q: alert_search.search_page(
                        session, AlertFilters(q=q, district="Omben", signal="hoax"), limit=100
                    ),
                )
                results["items"] += timed(
                    "item search /search (page of 20, ranked)",
                    args.repeat,
                    lambda q=q: _pair(text_search.search_items(session, AlertFilters(q=q), limit=20)),
                )
                results["like"] += timed(
                    "old LIKE query (count + page of 100)",
                    max(3, args.repeat // 5),
                    lambda q=q: like_page(session, q.strip('"')),
                )
        engine.dispose()
        print("overall (all queries):")
        for name, values in results.items():
            print(f"  {name:<14} p50 {pct(values, 50):7.1f} ms  p95 {pct(values, 95):7.1f} ms")


if __name__ == "__main__":
    main()
