"""Pure metric computation for labelled evaluation runs (``pantau eval``, evaluation gates).

Given per-line labels (0/1) and probabilities for a signal, and the classifier's threshold, compute
precision, recall, F1, ROC AUC, expected calibration error, flagged share and the confusion counts;
optionally per group (source, year, ...). No I/O here: callers read data and print or save the
results (:meth:`SignalMetrics.to_dict`, :meth:`EvalReport.to_dict`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["ECE_BINS", "EvalReport", "SignalMetrics", "evaluate_signals",
           "expected_calibration_error", "signal_metrics"]

ECE_BINS = 10


def expected_calibration_error(y: Sequence[int] | np.ndarray, p: Sequence[float] | np.ndarray,
                               bins: int = ECE_BINS) -> float:
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
    total = 0.0
    for b in range(bins):
        in_bin = index == b
        count = int(in_bin.sum())
        if count:
            total += count / y.size * abs(float(y[in_bin].mean()) - float(p[in_bin].mean()))
    return float(total)


@dataclass(frozen=True)
class SignalMetrics:
    """The metrics of one signal (on all lines or on one group) at the classifier's threshold."""

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
    ece: float
    flagged_share: float

    @property
    def flagged(self) -> int:
        """Lines scored at or above the threshold."""
        return self.tp + self.fp

    def to_dict(self, digits: int = 4) -> dict[str, float | int | str | None]:
        """A JSON-ready dict, floats rounded to ``digits``."""
        def r(x: float | None) -> float | None:
            return None if x is None else round(float(x), digits)

        return {"signal": self.signal, "threshold": r(self.threshold), "n": self.n,
                "positives": self.positives, "flagged": self.flagged,
                "precision": r(self.precision), "recall": r(self.recall), "f1": r(self.f1),
                "roc_auc": r(self.roc_auc), "ece": r(self.ece),
                "flagged_share": r(self.flagged_share),
                "confusion": {"tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn}}


def signal_metrics(signal: str, y: Sequence[int] | np.ndarray, p: Sequence[float] | np.ndarray,
                   threshold: float, bins: int = ECE_BINS) -> SignalMetrics:
    """Metrics of one signal: a line is flagged when ``p >= threshold`` (as the classifier does).

    Precision (recall, F1) is 0 when nothing is flagged (no positives, precision + recall = 0).
    """
    y = np.asarray(y).astype(int).ravel()
    p = np.asarray(p, dtype=float).ravel()
    if y.size != p.size:
        raise ValueError(f"labels ({y.size}) and probabilities ({p.size}) differ in length")
    if np.any((y != 0) & (y != 1)):
        raise ValueError("labels must be 0 or 1")
    pred = p >= threshold
    pos = y == 1
    tp, fp = int(np.sum(pred & pos)), int(np.sum(pred & ~pos))
    fn, tn = int(np.sum(~pred & pos)), int(np.sum(~pred & ~pos))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    auc = None
    if 0 < int(pos.sum()) < y.size:
        from sklearn.metrics import roc_auc_score

        auc = float(roc_auc_score(y, p))
    return SignalMetrics(signal=signal, threshold=float(threshold), n=int(y.size),
                         positives=int(pos.sum()), tp=tp, fp=fp, fn=fn, tn=tn,
                         precision=precision, recall=recall, f1=f1, roc_auc=auc,
                         ece=expected_calibration_error(y, p, bins),
                         flagged_share=(tp + fp) / y.size if y.size else 0.0)


@dataclass
class EvalReport:
    """Overall and per-group metrics of a labelled run, with the model it describes."""

    model_version: str
    thresholds: dict[str, float]
    overall: dict[str, SignalMetrics]
    by: str | None = None
    groups: dict[str, dict[str, SignalMetrics]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # signals without any label
    extra: dict[str, object] = field(default_factory=dict)  # caller's context (file, line counts)

    def to_dict(self, digits: int = 4) -> dict[str, object]:
        """A JSON-ready dict of everything."""
        return {"model_version": self.model_version,
                "thresholds": {k: round(v, digits) for k, v in self.thresholds.items()},
                **self.extra, "ece_bins": ECE_BINS, "skipped_signals": list(self.skipped),
                "overall": {s: m.to_dict(digits) for s, m in self.overall.items()},
                "by": self.by,
                "groups": {g: {s: m.to_dict(digits) for s, m in per.items()}
                           for g, per in self.groups.items()}}


def evaluate_signals(labels: Mapping[str, Sequence[int] | np.ndarray],
                     probs: Mapping[str, Sequence[float] | np.ndarray],
                     thresholds: Mapping[str, float], *, model_version: str = "",
                     groups: Mapping[str, Sequence[str]] | None = None, by: str | None = None,
                     signals: Sequence[str] | None = None) -> EvalReport:
    """Metrics per signal of ``labels`` (lines labelled for that signal) and, with ``groups``
    (one group name per labelled line of each signal), per group. Signals of ``signals`` (default:
    the keys of ``thresholds``) with no labelled line are listed in ``skipped``."""
    order = list(signals) if signals is not None else list(thresholds)
    overall: dict[str, SignalMetrics] = {}
    per_group: dict[str, dict[str, SignalMetrics]] = {}
    skipped = []
    for signal in order:
        y = np.asarray(labels.get(signal, ()), dtype=int)
        if y.size == 0:
            skipped.append(signal)
            continue
        p = np.asarray(probs[signal], dtype=float)
        overall[signal] = signal_metrics(signal, y, p, thresholds[signal])
        if groups is None:
            continue
        g = np.asarray(groups[signal], dtype=object)
        if g.size != y.size:
            raise ValueError(f"{signal}: {g.size} group names for {y.size} labels")
        for name in sorted(set(g.tolist())):
            mask = g == name
            per_group.setdefault(name, {})[signal] = signal_metrics(signal, y[mask], p[mask],
                                                                    thresholds[signal])
    return EvalReport(model_version=model_version, thresholds=dict(thresholds), overall=overall,
                      by=by, groups=dict(sorted(per_group.items())), skipped=skipped)
