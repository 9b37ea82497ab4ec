"""Throughput and peak memory of ``SignalClassifier.score`` on batches of 1,000 synthetic texts.

Usage: ``python benchmarks/bench_classify.py [--batches 5] [--model-dir classifiers/models]``
"""

from __future__ import annotations

import argparse
import random
import resource
import time
import tracemalloc
from pathlib import Path

WORDS = ("kpu bawaslu sampang madura pilkada calon bupati suara tps warga desa kecamatan rapat pleno "
         "polisi imbau damai hoaks klarifikasi amplop uang sembako pesse mele engkok ta' saya tidak "
         "yang dan di ke dari ini itu harga beras pasar jalan rusak bantuan nomor urut kampanye").split()


def synthetic_texts(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 60))) for _ in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--model-dir", type=Path, default=None)
    args = parser.parse_args()

    from classifiers import load_classifier

    started = time.perf_counter()
    classifier = load_classifier(args.model_dir)
    print(f"model {classifier.version_} loaded in {time.perf_counter() - started:.2f} s")
    classifier.score([{"text": "pemanasan"}])  # first call builds lazy caches
    total, elapsed = 0, 0.0
    for b in range(args.batches):
        records = [{"text": t} for t in synthetic_texts(args.batch_size, seed=b)]
        t0 = time.perf_counter()
        classifier.score(records)
        elapsed += time.perf_counter() - t0
        total += len(records)
    # memory in a separate pass: tracemalloc slows allocation-heavy code down a lot
    tracemalloc.start()
    classifier.score([{"text": t} for t in synthetic_texts(args.batch_size, seed=99)])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{total} texts in {elapsed:.2f} s: {total / elapsed:.0f} items/s "
          f"(batches of {args.batch_size})")
    print(f"peak traced Python memory while scoring one batch: {peak / 1e6:.1f} MB; "
          f"process max RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
