"""Cross-source and cross-time evaluation, threshold choice and metrics.

A :class:`Split` names the groups held out for testing (and optionally the groups allowed for
training, for forward-in-time splits). Thresholds are chosen on the pooled held-out predictions,
favouring precision (F0.5, with a precision floor when reachable) unless a signal's policy in
:data:`classifiers.weights.THRESHOLD_POLICY` says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BETA = 0.5
PRECISION_FLOOR = 0.8
MIN_RECALL = 0.05  # below this the precision floor is degenerate; fall back to the best F0.5
MIN_THRESHOLD = 0.3


@dataclass(frozen=True)
class Split:
    """Hold out ``test`` groups; train on ``train`` groups (default: every group not in ``test``)."""

    name: str
    test: tuple[str, ...]
    train: tuple[str, ...] | None = None
    for_threshold: bool = True

    def masks(self, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        test = np.isin(groups, self.test)
        train = ~test if self.train is None else np.isin(groups, self.train)
        return train, test


def binary_metrics(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float | int]:
    """Precision, recall, F1, false-positive rate and sizes at ``threshold``."""
    y = np.asarray(y).astype(int)
    pred = np.asarray(p) >= threshold
    tp = int(np.sum(pred & (y == 1)))
    fp = int(np.sum(pred & (y == 0)))
    fn = int(np.sum(~pred & (y == 1)))
    tn = int(np.sum(~pred & (y == 0)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    out = {"n": int(y.size), "positives": int(y.sum()), "precision": round(precision, 4),
           "recall": round(recall, 4), "f1": round(f1, 4),
           "fpr": round(fp / (fp + tn), 4) if fp + tn else 0.0}
    if 0 < y.sum() < y.size:
        from sklearn.metrics import average_precision_score, roc_auc_score

        out["roc_auc"] = round(float(roc_auc_score(y, p)), 4)
        out["avg_precision"] = round(float(average_precision_score(y, p)), 4)
    return out


def choose_threshold(y: np.ndarray, p: np.ndarray, *, beta: float = BETA,
                     floor: float = PRECISION_FLOOR) -> float:
    """The threshold maximising F-beta among those reaching the precision ``floor`` with some recall
    (else the threshold of the best F-beta overall). Defaults: F0.5 with a 0.8 precision floor."""
    y = np.asarray(y).astype(int)
    p = np.asarray(p)
    if y.sum() == 0 or y.sum() == y.size:
        return 0.5
    grid = np.round(np.arange(MIN_THRESHOLD, 0.96, 0.01), 2)
    best, best_floor = (-1.0, 0.5), (-1.0, None)
    for t in grid:
        pred = p >= t
        tp = np.sum(pred & (y == 1))
        if tp == 0:
            continue
        precision = tp / pred.sum()
        recall = tp / y.sum()
        f = (1 + beta**2) * precision * recall / (beta**2 * precision + recall)
        if f > best[0]:
            best = (f, float(t))
        if precision >= floor and recall >= MIN_RECALL and f > best_floor[0]:
            best_floor = (f, float(t))
    return best_floor[1] if best_floor[1] is not None else best[1]


def per_group_rates(groups: np.ndarray, y: np.ndarray, p: np.ndarray, threshold: float) -> dict:
    """Flag rate and mean score per held-out group: where do false flags come from?"""
    out = {}
    for g in sorted(set(groups.tolist())):
        m = groups == g
        out[g] = {"n": int(m.sum()), "positives": int(y[m].sum()),
                  "flag_rate": round(float(np.mean(p[m] >= threshold)), 4),
                  "mean_score": round(float(np.mean(p[m])), 4)}
    return out
