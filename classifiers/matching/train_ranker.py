"""Train and evaluate the matching ranker on TurnBackHoax claim -> debunk pairs (issue 14).

    python -m classifiers.matching.train_ranker ../shared/data/train [--write] [--model-dir DIR]

Pairs: each hoax report of ``turnbackhoax_reports_vs_clarifications_train.jsonl`` with both a
NARASI (the claim, the query) and a PENJELASAN (its debunk); the index holds every debunk (each claim
searched against all of them, as issue 14's held-out test does). ``--distractors`` adds the file's
official clarifications and unpaired reports to the index; their labels are unreliable (11 of the 15
confidently "wrong" first matches at p >= 0.8 were another clarification of the same hoax), so they
are off by default. Near-copies (``classifiers.dedup``) of claims or
debunks join one group, and folds are drawn by group, so a reworded copy of a report never sits on
both sides of a split.

Protocol (the same for the ranker and every baseline): each claim is searched against the whole
index. Outer 5 folds by group: the ranker is fitted on the candidates of the training folds' claims,
its alert threshold chosen on inner folds of those claims only (lowest cut with precision >= 0.9 on
candidate pairs), and recall@1/@5, MRR, precision and recall at that threshold are measured on the
held-out claims. The shipped ranker is fitted on all claims, with the threshold chosen on its own
out-of-fold probabilities. ``--write`` stores it as ``matching_ranker.json`` in ``--model-dir``
(default: the bundled model directory).
"""

from __future__ import annotations

import argparse
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from classifiers.artifacts import DEFAULT_MODEL_DIR
from classifiers.datasets import clarification_body, read_jsonl, report_sections
from classifiers.dedup import near_duplicate_clusters
from classifiers.matching.index import Doc, MatchConfig, MatchIndex
from classifiers.matching.ranker import FEATURES, Ranker, fit_ranker, save_ranker
from classifiers.metrics import precision_recall_at

PAIRS_FILE = "turnbackhoax_reports_vs_clarifications_train.jsonl"
MIN_PRECISION = 0.9  # a known-hoax alert should rarely be wrong (design choice of issue 14)
OUTER_FOLDS = 5
INNER_FOLDS = 4
# report_sections stops a NARASI at the next marked heading; some reports only write "Penjelasan
# Lengkap" without a colon, so the debunk would leak into the claim: cut it there.
_LEAK = re.compile(r"\bpenjelasan\b", re.I)
# Untrained weights: the features are all the index computes before a ranker exists.
UNTRAINED = Ranker(
    mean=(0.0,) * len(FEATURES),
    scale=(1.0,) * len(FEATURES),
    coef=(0.0,) * len(FEATURES),
    intercept=0.0,
    threshold=0.5,
    meta={},
)


def load_pairs(path: Path) -> list[dict]:
    """One dict per hoax report with both sections: id, title, claim, answer."""
    pairs = []
    for row in read_jsonl(path):
        if row.get("clarification"):
            continue
        sections = report_sections(row["text"])
        if "claim" not in sections or "answer" not in sections:
            continue
        claim = _LEAK.split(sections["claim"], maxsplit=1)[0].strip()
        if len(claim) >= 20:
            pairs.append(
                {
                    "id": str(row["id"]),
                    "title": row.get("title") or "",
                    "claim": claim,
                    "answer": sections["answer"],
                }
            )
    return pairs


def load_distractors(path: Path, exclude: set[str]) -> list[Doc]:
    """The file's official clarifications (and reports without a usable pair) as extra documents."""
    docs = []
    for row in read_jsonl(path):
        if str(row["id"]) in exclude:
            continue
        body = clarification_body(row["text"]) if row.get("clarification") else row["text"]
        if len(body) >= 20:
            docs.append(Doc(f"x:{row['id']}", body))
    return docs


def pair_groups(pairs: Sequence[dict]) -> list[str]:
    """Group key per pair: pairs whose claims or debunks are near-copies share one."""
    texts, owners = [], []
    for i, pair in enumerate(pairs):
        texts.extend([pair["claim"], pair["answer"]])
        owners.extend([i, i])
    keys = near_duplicate_clusters(texts, owners).keys
    return [keys[2 * i] for i in range(len(pairs))]


def group_folds(groups: Sequence[str], n_folds: int, salt: str = "") -> np.ndarray:
    """A fold number per row, by a stable hash of its group (deterministic, no RNG state)."""
    return np.array([zlib.crc32(f"{salt}{g}".encode()) % n_folds for g in groups])


# Stores of different sizes, each claim searched in one holding its debunk and one without it: most
# items have no fact-check at all, and in a small store the best candidate is first by default, so the
# ranker must learn what "first but wrong" looks like. Sizes are design choices (a demo-sized store, a
# mid-sized one), not tuned.
STORE_SIZES = (5, 20, 180)
# Share of claim candidates whose debunk is in the store, in the stream the probability is calibrated
# for: searches are weighted to it in fitting and in every precision figure. Most hoax-like items
# have no stored fact-check; the value is a design choice (the real share is not measured anywhere).
ANSWERABLE_SHARE = 0.2


@dataclass
class Candidates:
    """One row per search: the claim it was for, the store it ran in ("all" or "<size>:<part>"),
    candidate ids, ranker features and 0/1 labels (1 = the claim's own debunk)."""

    claim: list[int]
    store: list[str]
    ids: list[list[str]]
    features: list[np.ndarray]
    labels: list[np.ndarray]

    def searches(self, claims: np.ndarray, store: str | None = None) -> list[int]:
        wanted = set(int(c) for c in claims)
        return [
            k for k, c in enumerate(self.claim) if c in wanted and (store is None or self.store[k] == store)
        ]

    def stack(self, searches: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        return (
            np.vstack([self.features[k] for k in searches]),
            np.concatenate([self.labels[k] for k in searches]),
        )

    def search_weights(self, searches: Sequence[int]) -> np.ndarray:
        """Per search: the weight that makes answerable searches :data:`ANSWERABLE_SHARE` of the total."""
        return stream_weights([self.labels[k] for k in searches])


def stream_weights(labels: Sequence[np.ndarray]) -> np.ndarray:
    answerable = np.array([bool(y.any()) for y in labels])
    n_yes, n_no = int(answerable.sum()), int((~answerable).sum())
    if not n_yes or not n_no:
        return np.ones(len(labels))
    return np.where(answerable, ANSWERABLE_SHARE / n_yes, (1 - ANSWERABLE_SHARE) / n_no) * len(labels)


def build_index(
    pairs: Sequence[dict],
    distractors: Sequence[Doc],
    place_words: Sequence[str] = (),
    backend: str = "ranked",
    ranker: Ranker | None = UNTRAINED,
    encoder=None,
) -> MatchIndex:
    config = MatchConfig(recent_days=None, backend=backend, place_words=tuple(place_words))
    index = MatchIndex(config, encoder=encoder, ranker=ranker if backend == "ranked" else None)
    index.add([Doc(p["id"], p["answer"]) for p in pairs] + list(distractors))
    return index


def candidates(
    pairs: Sequence[dict],
    distractors: Sequence[Doc],
    groups: Sequence[str],
    sizes: Sequence[int] = STORE_SIZES,
) -> Candidates:
    """Every claim against the whole store, and against stores of each size with and without its
    debunk (stores are parts of the pairs drawn by group hash)."""
    out = Candidates([], [], [], [], [])

    def run(store: str, docs: list[dict], claims: list[int]) -> None:
        found = build_index(docs, distractors if store == "all" else []).ranker_candidates(
            [pairs[i]["claim"] for i in claims]
        )
        for i, (ids, features) in zip(claims, found, strict=True):
            out.claim.append(i)
            out.store.append(store)
            out.ids.append(ids)
            out.features.append(features)
            out.labels.append(np.array([d == pairs[i]["id"] for d in ids], dtype=int))

    run("all", list(pairs), list(range(len(pairs))))
    for size in sizes:
        parts = max(2, round(len(pairs) / size))
        part = group_folds(groups, parts, f"store{size}")
        for k in range(parts):
            docs = [p for p, q in zip(pairs, part, strict=True) if q == k]
            if not docs:
                continue
            run(f"{size}:{k}", docs, [i for i in range(len(pairs)) if part[i] == k])  # debunk present
            run(f"{size}:{k}-", docs, [i for i in range(len(pairs)) if part[i] == (k + 1) % parts])  # absent
    return out


def ranks(scores: Sequence[np.ndarray], labels: Sequence[np.ndarray]) -> np.ndarray:
    """Rank of each claim's own debunk by score (ties count against it); inf when not a candidate."""
    out = []
    for s, y in zip(scores, labels, strict=True):
        if not y.any():
            out.append(np.inf)
            continue
        own = s[np.flatnonzero(y)[0]]
        out.append(float((s > own).sum() + (s == own).sum()))
    return np.array(out)


def ranking_summary(rank: np.ndarray) -> tuple[float, float, float]:
    """recall@1, recall@5, MRR."""
    return float((rank <= 1).mean()), float((rank <= 5).mean()), float((1.0 / rank).mean())


def _fit(cands: Candidates, claims: np.ndarray, threshold: float = 0.5, meta: dict | None = None) -> Ranker:
    searches = cands.searches(claims)
    x, y = cands.stack(searches)
    per_search = cands.search_weights(searches)
    weights = np.concatenate(
        [np.full(cands.labels[k].size, w) for k, w in zip(searches, per_search, strict=True)]
    )
    return fit_ranker(x, y, threshold=threshold, meta=meta, weights=weights)


def oof_probabilities(
    cands: Candidates, claims: np.ndarray, groups: Sequence[str], n_folds: int, salt: str
) -> dict[int, np.ndarray]:
    """Out-of-fold probabilities of every search of ``claims`` (folds by group within them)."""
    folds = group_folds([groups[i] for i in claims], n_folds, salt)
    out: dict[int, np.ndarray] = {}
    for k in range(n_folds):
        train, test = claims[folds != k], claims[folds == k]
        if train.size == 0 or test.size == 0:
            continue
        model = _fit(cands, train)
        for search in cands.searches(test):
            out[search] = model.probability(cands.features[search])
    return out


CUTS = tuple(np.round(np.arange(0.30, 0.991, 0.02), 2))  # the grid thresholds are chosen from


def alert_cut(cands: Candidates, probabilities: dict[int, np.ndarray]) -> float:
    """Lowest cut of :data:`CUTS` whose alert precision (best candidate per search, as the flow
    raises alerts) on these searches reaches MIN_PRECISION; the highest cut if none does."""
    searches = sorted(probabilities)
    scores = [probabilities[k] for k in searches]
    labels = [cands.labels[k] for k in searches]
    for cut in CUTS:
        alerts = _top1_alerts(scores, labels, cut)
        if alerts["alerts"] and alerts["alert_precision"] >= MIN_PRECISION:
            return float(cut)
    return float(CUTS[-1])


def evaluate(pairs: Sequence[dict], cands: Candidates, groups: Sequence[str], progress=print) -> dict:
    """Outer-fold figures of the ranker, with the threshold chosen on inner folds.

    Ranking (recall@1/@5, MRR): each held-out claim against the whole store. Alerts: every search
    of the held-out claims (whole store, and small stores with and without the claim's debunk), an
    alert being the best candidate at or above the cut."""
    n = len(pairs)
    outer = group_folds(groups, OUTER_FOLDS, "outer")
    all_ranks = np.full(n, np.inf)
    folds = []
    for k in range(OUTER_FOLDS):
        train, test = np.flatnonzero(outer != k), np.flatnonzero(outer == k)
        cut = alert_cut(cands, oof_probabilities(cands, train, groups, INNER_FOLDS, f"inner{k}"))
        model = _fit(cands, train)
        whole = cands.searches(test, "all")
        scores = [model.probability(cands.features[s]) for s in whole]
        all_ranks[test] = ranks(scores, [cands.labels[s] for s in whole])
        every = cands.searches(test)
        every_scores = [model.probability(cands.features[s]) for s in every]
        every_labels = [cands.labels[s] for s in every]
        precision, recall = precision_recall_at(
            np.concatenate(every_labels), np.concatenate(every_scores), cut
        )
        alerts = _top1_alerts(every_scores, every_labels, cut)
        folds.append(
            {
                "fold": k,
                "claims": int(test.size),
                "threshold": cut,
                "precision": precision,
                "recall": recall,
                **alerts,
                "recall@1": ranking_summary(all_ranks[test])[0],
            }
        )
        progress(
            f"  outer fold {k}: {test.size} claims, recall@1 {folds[-1]['recall@1']:.3f}; threshold "
            f"{cut:.2f} (inner folds): {alerts['alerts']} alerts of {alerts['searches']} searches, "
            f"precision {alerts['alert_precision']:.3f}, recall {alerts['alert_recall']:.3f}"
        )
    r1, r5, mrr = ranking_summary(all_ranks)
    raised = sum(f["alerts"] for f in folds)
    right = sum(f["right"] for f in folds)
    answerable = sum(f["answerable"] for f in folds)
    w_raised = sum(f["w_raised"] for f in folds)
    return {
        "recall@1": r1,
        "recall@5": r5,
        "mrr": mrr,
        "folds": folds,
        "alerts": raised,
        "alert_precision": sum(f["w_right"] for f in folds) / w_raised if w_raised else 1.0,
        "raw_precision": right / raised if raised else 1.0,
        "alert_recall": right / answerable if answerable else 0.0,
        "searches": sum(f["searches"] for f in folds),
        "answerable": answerable,
        "candidate_recall": float(np.isfinite(all_ranks).mean()),
    }


def _top1_alerts(scores: Sequence[np.ndarray], labels: Sequence[np.ndarray], cut: float) -> dict:
    """Alerts as the flow raises them: the best candidate of a search, when it reaches the cut.
    Counts are raw; ``alert_precision`` is weighted to :data:`ANSWERABLE_SHARE` (``raw_precision``
    is not); recall is over the searches whose store holds the claim's debunk."""
    weights = stream_weights(labels)
    raised = right = 0
    w_raised = w_right = 0.0
    for s, y, w in zip(scores, labels, weights, strict=True):
        if s.size and s.max() >= cut:
            hit = int(y[int(np.argmax(s))] == 1)
            raised += 1
            right += hit
            w_raised += w
            w_right += w * hit
    answerable = sum(int(y.any()) for y in labels)
    return {
        "searches": len(scores),
        "answerable": answerable,
        "alerts": raised,
        "right": right,
        "w_raised": w_raised,
        "w_right": w_right,
        "alert_precision": w_right / w_raised if w_raised else 1.0,
        "raw_precision": right / raised if raised else 1.0,
        "alert_recall": right / answerable if answerable else 0.0,
    }


def shipped_ranker(pairs: Sequence[dict], cands: Candidates, groups: Sequence[str], meta: dict) -> Ranker:
    """The ranker fitted on every claim; threshold from its out-of-fold probabilities."""
    claims = np.arange(len(pairs))
    cut = alert_cut(cands, oof_probabilities(cands, claims, groups, OUTER_FOLDS, "outer"))
    return _fit(cands, claims, threshold=cut, meta=meta)


CARD_FILE = "MATCHING_RANKER.md"


def ranker_card(ranker: Ranker) -> str:
    """The model card of a trained ranker, from what it stores (``--write`` keeps it beside the JSON)."""
    meta, outer = ranker.meta, ranker.meta.get("outer", {})
    lines = [
        "# Matching ranker (`matching_ranker.json`)",
        "",
        "Written by `python -m classifiers.matching.train_ranker ../shared/data/train --write`; see "
        "docs/matching.md.",
        "",
        "- **What**: a logistic regression over the candidate features "
        + ", ".join(f"`{n}`" for n in FEATURES)
        + "; it gives the probability that a retrieved fact-check answers the item's claim.",
        f"- **Trained on**: `{meta.get('data')}` from `../shared/data/train` (TurnBackHoax scrape "
        "2018-2021 by jibranfawaid; licence: none stated): "
        f"{meta.get('pairs')} hoax reports with a NARASI (claim) and a PENJELASAN (debunk), in "
        f"{meta.get('groups')} near-copy groups. No text is stored in the model: only the "
        f"{len(FEATURES)} weights, the standardisation and the threshold.",
        f"- **Alert threshold**: {ranker.threshold:.2f}, the lowest cut whose alert precision on "
        f"out-of-fold probabilities reaches {meta.get('min_precision')} (weighted to "
        f"{ANSWERABLE_SHARE:.0%} of searches having their debunk in the store).",
        "- **Measured on outer folds** (5 folds by group, threshold chosen on inner folds): "
        f"recall@1 {outer.get('recall@1', 0):.3f}, recall@5 {outer.get('recall@5', 0):.3f}, "
        f"MRR {outer.get('mrr', 0):.3f} (each claim against all debunks); alerts: precision "
        f"{outer.get('alert_precision', 0):.3f}, recall {outer.get('alert_recall', 0):.3f} over "
        f"{outer.get('searches', 0)} searches in stores of 5 to {meta.get('pairs')} debunks.",
        "- **Limits**: one source (TurnBackHoax, national, 2018-2021), whose debunks often share few "
        "words with the claim; no Madurese pairs; the probability is calibrated for the answerable "
        "share above, which nobody has measured for a real stream.",
        "",
        "| feature | weight (standardised) |",
        "|---|---|",
    ]
    lines += [f"| `{n}` | {c:+.3f} |" for n, c in zip(FEATURES, ranker.coef, strict=True)]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, nargs="?", default=Path("../shared/data/train"))
    parser.add_argument("--write", action="store_true", help="store the ranker in --model-dir")
    parser.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument(
        "--distractors",
        action="store_true",
        help="also index the clarifications and unpaired reports (noisy labels)",
    )
    args = parser.parse_args(argv)
    path = args.data / PAIRS_FILE if args.data.is_dir() else args.data
    pairs = load_pairs(path)
    distractors = load_distractors(path, {p["id"] for p in pairs}) if args.distractors else []
    groups = pair_groups(pairs)
    print(
        f"{len(pairs)} claim -> debunk pairs in {len(set(groups))} groups; "
        f"{len(distractors)} distractors; index of {len(pairs) + len(distractors)} documents"
    )
    cands = candidates(pairs, distractors, groups)
    figures = evaluate(pairs, cands, groups)
    print(
        f"outer folds: recall@1 {figures['recall@1']:.3f}, recall@5 {figures['recall@5']:.3f}, "
        f"MRR {figures['mrr']:.3f}; own debunk among the candidates: {figures['candidate_recall']:.3f}"
    )
    print(
        f"alerts at each fold's inner-fold threshold: {figures['searches']} searches "
        f"({figures['answerable']} with the debunk in the store): {figures['alerts']} alerts, precision "
        f"{figures['alert_precision']:.3f} at {ANSWERABLE_SHARE:.0%} answerable "
        f"({figures['raw_precision']:.3f} unweighted), recall {figures['alert_recall']:.3f}"
    )
    meta = {
        "data": PAIRS_FILE,
        "pairs": len(pairs),
        "groups": len(set(groups)),
        "distractors": len(distractors),
        "outer": {k: v for k, v in figures.items() if k != "folds"},
        "outer_folds": figures["folds"],
        "min_precision": MIN_PRECISION,
    }
    ranker = shipped_ranker(pairs, cands, groups, meta)
    print(
        f"shipped ranker: threshold {ranker.threshold:.2f}; coefficients "
        + ", ".join(f"{n} {c:+.2f}" for n, c in zip(FEATURES, ranker.coef, strict=True))
    )
    if args.write:
        print(f"wrote {save_ranker(ranker, args.model_dir)}")
        card = Path(args.model_dir) / CARD_FILE
        card.write_text(ranker_card(ranker), encoding="utf-8")
        print(f"wrote {card}")


if __name__ == "__main__":
    main()
