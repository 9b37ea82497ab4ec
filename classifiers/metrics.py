"""Every metric and threshold rule of Pantau, in one place (no I/O).

Used by training (:mod:`classifiers.training`), ``pantau eval`` (:mod:`classifiers.eval_report`), the
sealed-set gate (:mod:`classifiers.eval_gate`), claim matching (:mod:`classifiers.matching.fusion`) and
the benchmarks, so that a number means the same wherever it is printed.

* :func:`signal_metrics` / :func:`binary_metrics`: precision, recall, F1, FPR, ROC AUC, PR AUC
  (average precision), expected calibration error and flagged share at a threshold. A line is flagged
  when ``p >= threshold`` (the rule that fills ``flags`` in ``pantau classify``).
* Two threshold rules with distinct names, both taking ``(y, p)`` in that order:

  - :func:`threshold_max_fbeta`: the cut maximising F-beta, among cuts reaching a precision floor
    when one does (signal flags);
  - :func:`threshold_min_for_precision`: the lowest cut whose precision reaches a target (the
    "same claim" alert cut of matching).
* :func:`pr_curve`: precision and recall at a fixed grid of cuts (the curves in the docs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "ECE_BINS",
    "SignalMetrics",
    "binary_metrics",
    "expected_calibration_error",
    "per_group_rates",
    "pr_curve",
    "precision_recall_at",
    "signal_metrics",
    "threshold_max_fbeta",
    "threshold_min_for_precision",
]

ECE_BINS = 10
# The flag threshold grid of the signals: cuts below 0.3 make a flag mean little (design choice).
SIGNAL_GRID = tuple(np.round(np.arange(0.30, 0.96, 0.01), 2).tolist())
# Below this recall a precision floor is degenerate (a handful of flags); fall back to the best F-beta.
MIN_RECALL = 0.05


def _arrays(y, p) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y).ravel()
    p = np.asarray(p, dtype=float).ravel()
    if y.size != p.size:
        raise ValueError(f"labels ({y.size}) and probabilities ({p.size}) differ in length")
    # checked before the cast, so that probabilities passed as labels (swapped arguments) are refused
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 or 1")
    return y.astype(int), p


def expected_calibration_error(
    y: Sequence[int] | np.ndarray, p: Sequence[float] | np.ndarray, bins: int = ECE_BINS
) -> float:
    """ECE over ``bins`` equal-width probability bins: ``sum_b |B_b|/n * |mean(y_b) - mean(p_b)|``.

    Bin ``b`` holds ``b/bins <= p < (b+1)/bins``; the last bin also holds ``p == 1``. Empty input: 0.
    """
    y = np.asarray(y, dtype=float).ravel()
    p = np.asarray(p, dtype=float).ravel()
    if y.size != p.size:
        raise ValueError(f"labels ({y.size}) and probabilities ({p.size}) differ in length")
    if y.size == 0:
        return 0.0
    index = np.clip(np.floor(p * bins).astype(int), 0, bins - 1)
    counts = np.bincount(index, minlength=bins)
    sum_y = np.bincount(index, weights=y, minlength=bins)
    sum_p = np.bincount(index, weights=p, minlength=bins)
    used = counts > 0
    return float(np.sum(np.abs(sum_y[used] - sum_p[used])) / y.size)


@dataclass(frozen=True)
class SignalMetrics:
    """The metrics of one signal (on all lines or on one group) at one threshold."""

    signal: str
    threshold: float
    n: int
    positives: int
    tp: int
    fp: int
    fn: int
    tn: int
    precision: float
    recall: float
    f1: float
    roc_auc: float | None  # None when only one class is present
    pr_auc: float | None  # average precision; None when only one class is present
    ece: float
    flagged_share: float

    @property
    def flagged(self) -> int:
        """Lines scored at or above the threshold."""
        return self.tp + self.fp

    @property
    def fpr(self) -> float:
        """False-positive rate: FP / (FP + TN), 0 without negatives."""
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else 0.0

    def to_dict(self, digits: int = 4) -> dict[str, float | int | str | None]:
        """A JSON-ready dict, floats rounded to ``digits``."""

        def r(x: float | None) -> float | None:
            return None if x is None or np.isnan(x) else round(float(x), digits)

        return {
            "signal": self.signal,
            "threshold": r(self.threshold),
            "n": self.n,
            "positives": self.positives,
            "flagged": self.flagged,
            "precision": r(self.precision),
            "recall": r(self.recall),
            "f1": r(self.f1),
            "fpr": r(self.fpr),
            "roc_auc": r(self.roc_auc),
            "pr_auc": r(self.pr_auc),
            "ece": r(self.ece),
            "flagged_share": r(self.flagged_share),
            "confusion": {"tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn},
        }


def signal_metrics(
    signal: str,
    y: Sequence[int] | np.ndarray,
    p: Sequence[float] | np.ndarray,
    threshold: float | np.ndarray,
    bins: int = ECE_BINS,
) -> SignalMetrics:
    """Metrics of one signal at ``threshold`` (one cut, or one cut per line when lines pooled from
    several folds keep their own fold's cut; ``threshold`` is then recorded as NaN).

    Precision (recall, F1) is 0 when nothing is flagged (no positives, precision + recall = 0).
    """
    y, p = _arrays(y, p)
    cut = np.asarray(threshold, dtype=float)
    pred = p >= cut
    threshold = float(cut) if cut.ndim == 0 else float("nan")
    pos = y == 1
    tp, fp = int(np.sum(pred & pos)), int(np.sum(pred & ~pos))
    fn, tn = int(np.sum(~pred & pos)), int(np.sum(~pred & ~pos))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    auc = ap = None
    if 0 < int(pos.sum()) < y.size:
        from sklearn.metrics import average_precision_score, roc_auc_score

        auc = float(roc_auc_score(y, p))
        ap = float(average_precision_score(y, p))
    return SignalMetrics(
        signal=signal,
        threshold=float(threshold),
        n=int(y.size),
        positives=int(pos.sum()),
        tp=tp,
        fp=fp,
        fn=fn,
        tn=tn,
        precision=precision,
        recall=recall,
        f1=f1,
        roc_auc=auc,
        pr_auc=ap,
        ece=expected_calibration_error(y, p, bins),
        flagged_share=(tp + fp) / y.size if y.size else 0.0,
    )


def binary_metrics(
    y: Sequence[int] | np.ndarray, p: Sequence[float] | np.ndarray, threshold: float
) -> dict[str, float | int | None]:
    """:func:`signal_metrics` as a flat dict (``n``, ``positives``, ``precision``, ``recall``, ``f1``,
    ``fpr``, ``roc_auc``, ``pr_auc``, ``ece``, ``flagged_share``, ``threshold``), rounded to 4 digits."""
    m = signal_metrics("", y, p, threshold).to_dict()
    return {
        k: m[k]
        for k in (
            "threshold",
            "n",
            "positives",
            "precision",
            "recall",
            "f1",
            "fpr",
            "roc_auc",
            "pr_auc",
            "ece",
            "flagged_share",
        )
    }


def _fbeta(precision: np.ndarray, recall: np.ndarray, beta: float) -> np.ndarray:
    denom = beta**2 * precision + recall
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, (1 + beta**2) * precision * recall / np.where(denom > 0, denom, 1), 0.0)


def _precision_recall_grid(y: np.ndarray, p: np.ndarray, grid: Sequence[float]):
    cuts = np.asarray(grid, dtype=float)
    order = np.sort(p)
    # flagged at cut t: p >= t; count of p >= t = n - searchsorted(left)
    flagged = p.size - np.searchsorted(order, cuts, side="left")
    pos_sorted = np.sort(p[y == 1])
    tp = pos_sorted.size - np.searchsorted(pos_sorted, cuts, side="left")
    precision = np.where(flagged > 0, tp / np.maximum(flagged, 1), 0.0)
    recall = tp / y.sum() if y.sum() else np.zeros_like(cuts)
    return cuts, tp, flagged, precision, recall


def threshold_max_fbeta(
    y: Sequence[int] | np.ndarray,
    p: Sequence[float] | np.ndarray,
    *,
    beta: float = 1.0,
    precision_floor: float = 0.0,
    min_recall: float = MIN_RECALL,
    grid: Sequence[float] = SIGNAL_GRID,
) -> float:
    """The cut of ``grid`` maximising F-beta among cuts reaching ``precision_floor`` with at least
    ``min_recall`` (else the best F-beta overall); 0.5 when ``y`` has one class only. Ties: lowest cut."""
    y, p = _arrays(y, p)
    if y.sum() == 0 or y.sum() == y.size:
        return 0.5
    cuts, tp, _, precision, recall = _precision_recall_grid(y, p, grid)
    f = np.where(tp > 0, _fbeta(precision, recall, beta), -1.0)
    ok = (tp > 0) & (precision >= precision_floor) & (recall >= min_recall)
    if ok.any():
        return float(cuts[np.flatnonzero(ok)[np.argmax(f[ok])]])
    if (tp > 0).any():
        return float(cuts[int(np.argmax(f))])
    return 0.5


def threshold_min_for_precision(
    y: Sequence[int] | np.ndarray,
    p: Sequence[float] | np.ndarray,
    *,
    min_precision: float = 0.9,
    grid: Sequence[float] = tuple(np.round(np.arange(0.05, 0.96, 0.05), 2)),
) -> float:
    """The lowest cut of ``grid`` whose precision is at least ``min_precision`` (the highest cut if
    none reaches it)."""
    y, p = _arrays(y, p)
    cuts, _, flagged, precision, _ = _precision_recall_grid(y, p, grid)
    ok = (flagged > 0) & (precision >= min_precision)
    return float(cuts[np.flatnonzero(ok)[0]]) if ok.any() else float(cuts[-1])


def precision_recall_at(
    y: Sequence[int] | np.ndarray, p: Sequence[float] | np.ndarray, cut: float
) -> tuple[float, float]:
    """Precision and recall of ``p >= cut``; precision is 1.0 when nothing is flagged (matching's
    convention: no wrong answer was given)."""
    y, p = _arrays(y, p)
    chosen = p >= cut
    precision = float(y[chosen].mean()) if chosen.any() else 1.0
    recall = float(y[chosen].sum() / y.sum()) if y.sum() else 0.0
    return precision, recall


def pr_curve(
    y: Sequence[int] | np.ndarray,
    p: Sequence[float] | np.ndarray,
    grid: Sequence[float] = tuple(np.round(np.arange(0.05, 0.96, 0.05), 2).tolist()),
) -> dict[str, list[float]]:
    """Precision, recall and F1 at each cut of ``grid`` (lists, rounded to 4 digits)."""
    y, p = _arrays(y, p)
    cuts, _, _, precision, recall = _precision_recall_grid(y, p, grid)
    f1 = _fbeta(precision, recall, 1.0)
    return {
        "cut": [round(float(c), 2) for c in cuts],
        "precision": np.round(precision, 4).tolist(),
        "recall": np.round(recall, 4).tolist(),
        "f1": np.round(f1, 4).tolist(),
    }


def per_group_rates(
    groups: Sequence[str] | np.ndarray,
    y: Sequence[int] | np.ndarray,
    p: Sequence[float] | np.ndarray,
    threshold: float,
) -> dict:
    """Flag rate and mean score per group: where do false flags come from?"""
    groups = np.asarray(groups)
    y, p = _arrays(y, p)
    out = {}
    for g in sorted(set(groups.tolist())):
        m = groups == g
        out[g] = {
            "n": int(m.sum()),
            "positives": int(y[m].sum()),
            "flag_rate": round(float(np.mean(p[m] >= threshold)), 4),
            "mean_score": round(float(np.mean(p[m])), 4),
        }
    return out
