"""Time and peak memory of the matching step (``flows.matching_step.match_items``) on a SQLite file.

Builds synthetic items (rumours made of a few templates and places, so many repeat one claim, plus
counter-narratives answering some of them), stores scores from the bundled model's version directly
(hoax-flagged items and counter-narratives; no classification is timed), then times one matching
step over all of them and a second, incremental one over a small batch of new items.

    python benchmarks/bench_matching_step.py [--items 1000 2000] [--answers 100]
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from flows.matching_step import match_items
from flows.resources import classifier_for, engine_for, reset
from pantau.domain.config import SourceConfig
from pantau.domain.records import CollectedItem, ScoreResult
from storage import repository as repo

PLACES = [
    "Omben",
    "Camplong",
    "Ketapang",
    "Sokobanah",
    "Robatal",
    "Torjun",
    "Jrengik",
    "Sreseh",
    "Banyuates",
    "Kedungdung",
    "Pangarengan",
    "Tambelangan",
    "Karang Penang",
    "Sampang kota",
]
RUMOURS = [
    "TPS {n} di {p} dibakar massa, polisi kewalahan, jangan keluar rumah",
    "Surat suara di gudang {p} sudah dicoblos untuk paslon {k}, jumlahnya {n} lembar",
    "Polisi akan menangkap warga {p} yang datang ke TPS {n} tanpa KTP asli",
    "Paslon {k} mundur dari pilkada, surat pengunduran diri sudah diserahkan ke KPU {p}",
    "TPS {n} {p} dipindah ke balai desa karena banjir, yang mau nyoblos langsung ke sana",
]
START = datetime(2024, 11, 1, tzinfo=UTC)


def _items(n: int, answers: int, rng: random.Random) -> tuple[list[CollectedItem], list[CollectedItem]]:
    posts, checks = [], []
    for i in range(n):
        text = rng.choice(RUMOURS).format(n=rng.randint(1, 30), p=rng.choice(PLACES), k=rng.choice("12"))
        posts.append(
            CollectedItem(
                source="social",
                text=f"{text}. Sebarkan! ({i})",
                url=f"https://social.example/{i}",
                published_at=START + timedelta(minutes=7 * i),
            )
        )
    for i in range(answers):
        text = rng.choice(RUMOURS).format(n=rng.randint(1, 30), p=rng.choice(PLACES), k=rng.choice("12"))
        checks.append(
            CollectedItem(
                source="cek",
                title=f"[HOAKS] {text}",
                text=f"Kabar bahwa {text} tidak benar.",
                url=f"https://cek.example/{i}",
                published_at=START + timedelta(minutes=37 * i),
            )
        )
    return posts, checks


def _store(url: str, posts: list[CollectedItem], checks: list[CollectedItem], version: str) -> None:
    sources = [
        SourceConfig(name="social", kind="social_export", location="x"),
        SourceConfig(name="cek", kind="factcheck_feed", location="y", actor="cek"),
    ]
    with Session(engine_for(url)) as session, session.begin():
        ids = repo.sync_sources(session, sources)
        scored = []
        kinds = (("social", posts, {"hoax": 0.95}), ("cek", checks, {"counter_narrative": 0.95}))
        for name, batch, scores in kinds:
            for item_id in repo.upsert_items(session, ids[name], None, batch).new_ids:
                scored.append((item_id, ScoreResult(scores=scores, flags=list(scores), lang="ind")))
        repo.save_scores(session, version, scored)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, nargs="+", default=[500, 1000, 2000])
    parser.add_argument("--answers", type=int, default=100)
    args = parser.parse_args()
    version = classifier_for(None).version_
    config = {
        "sources": [
            {"name": "social", "kind": "social_export", "location": "x"},
            {"name": "cek", "kind": "factcheck_feed", "location": "y", "actor": "cek"},
        ],
        "actors": [{"id": "cek", "name": "Cek (bench)", "kind": "fact_checker"}],
    }
    print(
        f"{'items':>6} {'answers':>7} {'first s':>8} {'items/s':>8} {'+50 new s':>9} {'claims':>6} "
        f"{'links':>5} {'known':>5} {'peak RSS MB':>11}"
    )
    for n in args.items:
        rng = random.Random(n)
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            posts, checks = _items(n + 50, args.answers, rng)
            _store(url, posts[:n], checks, version)
            t0 = time.perf_counter()
            first = match_items(url, None, config)
            first_s = time.perf_counter() - t0
            _store(url, posts[n:], [], version)
            t0 = time.perf_counter()
            match_items(url, None, config)
            second_s = time.perf_counter() - t0
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"{n:>6} {args.answers:>7} {first_s:>8.2f} {(n + args.answers) / first_s:>8.0f} "
                f"{second_s:>9.2f} {first['claims_new']:>6} {first['links']:>5} "
                f"{first['known_hoax_alerts']:>5} {peak:>11.0f}"
            )
            reset()


if __name__ == "__main__":
    main()
