"""The learned ranker of claim matching (issue 14): candidate features and a logistic model over them.

Search proposes candidates (BM25 and word TF-IDF top lists, :mod:`classifiers.matching.index`); each
candidate gets the features below, and a logistic regression fitted on real claim -> debunk pairs
(TurnBackHoax reports, ``classifiers.matching.train_ranker``) turns them into the probability that
the candidate answers the same claim. The fitted model is a small JSON file in the bundled model
directory (``matching_ranker.json``: feature names, standardisation, coefficients, the alert
threshold and how it was measured); nothing is pickled.

Unlike the pair score of clustering, these features depend on the index (word IDF over the stored
documents, the query's rank and margin among them), as in Elasticsearch-based tools such as Meedan
Check: the probability means "this candidate, among what the store holds".
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from classifiers.artifacts import DEFAULT_MODEL_DIR
from pantau.domain.errors import ModelError

RANKER_FILE = "matching_ranker.json"
FEATURES = (
    "word_cosine",  # word 1-2-gram TF-IDF cosine, IDF over the stored documents
    "word_margin",  # that cosine minus the mean of the query's 10 best cosines
    "word_rank_inv",  # 1 / (1 + rank of the candidate by that cosine among the allowed documents)
    "bm25_relative",  # BM25 of the candidate / the query's best BM25
    "pair_words",  # corpus-free cosine of normalised content words + bigrams (domain words weigh less)
    "numbers_jaccard",  # shared numbers (years, counts, dates written as digits)
)
# Text lengths were features at first and were dropped: fitted on TurnBackHoax debunks (median 828
# characters), they made short fact-checks (feed summaries) look like certain matches.
MARGIN_TOP = 10
# The relative features (margin, rank, relative BM25) say little in a store of a few documents, where
# anything is first: they are scaled by min(1, allowed documents / RELATIVE_FULL_AT), so in a small
# store the absolute similarities decide. Design choice (not tuned); the ranker is trained on stores
# of 5, 20, 180 and 364 documents with these scaled values.
RELATIVE_FULL_AT = 50
_NUMBER = re.compile(r"\d+")


def numbers(text: str) -> frozenset[str]:
    """The digit runs of a text (leading zeros dropped), for the shared-numbers feature."""
    return frozenset(n.lstrip("0") or "0" for n in _NUMBER.findall(text or ""))


def candidate_features(
    word_all: np.ndarray,
    allowed: np.ndarray,
    rows: np.ndarray,
    bm25_all: np.ndarray,
    pair_words: np.ndarray,
    query_numbers: frozenset[str],
    doc_numbers: Sequence[frozenset[str]],
) -> np.ndarray:
    """The :data:`FEATURES` matrix (one row per candidate ``rows``) for one query.

    ``word_all``/``bm25_all``: the query's scores against every stored row; ``allowed``: the rows
    it may match (recency, alive); ``pair_words``, ``doc_numbers``: per candidate."""
    positive = np.sort(word_all[allowed & (word_all > 0)])  # zero cosines never outrank a candidate
    word = word_all[rows]
    top = positive[-MARGIN_TOP:]
    margin = word - (float(top.sum()) / MARGIN_TOP)  # missing entries of the 10 best count as 0
    rank = positive.size - np.searchsorted(positive, word, side="right")  # allowed rows scoring higher
    best_bm25 = float(np.max(bm25_all[allowed])) if allowed.any() else 0.0
    bm25 = bm25_all[rows] / best_bm25 if best_bm25 > 0 else np.zeros(rows.size)
    shared = np.array([len(query_numbers & d) / (1 + len(query_numbers | d)) for d in doc_numbers])
    trust = min(1.0, int(allowed.sum()) / RELATIVE_FULL_AT)
    return np.column_stack(
        [word, trust * margin, trust / (1.0 + rank), trust * bm25, pair_words, shared]
    ).astype(np.float64)


@dataclass(frozen=True)
class Ranker:
    """``p = sigmoid(coef . (x - mean) / scale + intercept)`` over :data:`FEATURES`."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float
    meta: dict

    def probability(self, features: np.ndarray) -> np.ndarray:
        features = np.atleast_2d(np.asarray(features, dtype=np.float64))
        if features.shape[1] != len(FEATURES):
            raise ValueError(f"the ranker takes {len(FEATURES)} features, got {features.shape[1]}")
        z = (features - np.asarray(self.mean)) / np.asarray(self.scale)
        logit = z @ np.asarray(self.coef) + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(logit, -50, 50)))

    def to_json(self) -> dict:
        return {
            "features": list(FEATURES),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "coef": list(self.coef),
            "intercept": self.intercept,
            "threshold": self.threshold,
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict) -> Ranker:
        if list(data.get("features", [])) != list(FEATURES):
            raise ModelError(
                f"matching ranker features {data.get('features')} differ from this "
                f"version's {list(FEATURES)}: retrain with classifiers.matching.train_ranker"
            )
        return cls(
            mean=tuple(map(float, data["mean"])),
            scale=tuple(map(float, data["scale"])),
            coef=tuple(map(float, data["coef"])),
            intercept=float(data["intercept"]),
            threshold=float(data["threshold"]),
            meta=dict(data.get("meta", {})),
        )


def fit_ranker(
    features: np.ndarray,
    labels: np.ndarray,
    *,
    threshold: float = 0.5,
    meta: dict | None = None,
    c: float = 1.0,
    weights: np.ndarray | None = None,
) -> Ranker:
    """A standardised logistic regression on candidate rows (1 = the query's own debunk).
    ``c`` = 1 is scikit-learn's default, not tuned."""
    from sklearn.linear_model import LogisticRegression

    features = np.asarray(features, dtype=np.float64)
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit((features - mean) / scale, labels, sample_weight=weights)
    return Ranker(
        mean=tuple(float(x) for x in mean),
        scale=tuple(float(x) for x in scale),
        coef=tuple(float(x) for x in model.coef_.ravel()),
        intercept=float(model.intercept_[0]),
        threshold=float(threshold),
        meta=meta or {},
    )


def ranker_path(model_dir: str | Path | None = None) -> Path:
    return Path(model_dir or DEFAULT_MODEL_DIR) / RANKER_FILE


def load_ranker(model_dir: str | Path | None = None) -> Ranker:
    """The ranker stored in ``model_dir`` (default: the bundled model); a ``ModelError`` if missing
    or unreadable."""
    path = ranker_path(model_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: cannot read the matching ranker ({exc})") from exc
    return Ranker.from_json(data)


def save_ranker(ranker: Ranker, model_dir: str | Path) -> Path:
    path = ranker_path(model_dir)
    path.write_text(json.dumps(ranker.to_json(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
