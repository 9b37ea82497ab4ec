"""Labelled evaluation runs (``pantau eval``): per-signal and per-group metrics of one model.

:func:`evaluate_signals` takes per-line labels (0/1) and probabilities per signal, the classifier's
thresholds and optionally one group name per line (source, year, ...), and returns an
:class:`EvalReport`. The metrics themselves (precision, recall, F1, FPR, ROC AUC, PR AUC, expected
calibration error, flagged share, confusion counts) live in ``classifiers/metrics.py``
(:func:`classifiers.metrics.signal_metrics`). No I/O here: callers read data and print or save the
results (:meth:`EvalReport.to_dict`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from classifiers.metrics import ECE_BINS, SignalMetrics, signal_metrics

__all__ = ["EvalReport", "evaluate_signals"]


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
        return {
            "model_version": self.model_version,
            "thresholds": {k: round(v, digits) for k, v in self.thresholds.items()},
            **self.extra,
            "ece_bins": ECE_BINS,
            "skipped_signals": list(self.skipped),
            "overall": {s: m.to_dict(digits) for s, m in self.overall.items()},
            "by": self.by,
            "groups": {g: {s: m.to_dict(digits) for s, m in per.items()} for g, per in self.groups.items()},
        }


def evaluate_signals(
    labels: Mapping[str, Sequence[int] | np.ndarray],
    probs: Mapping[str, Sequence[float] | np.ndarray],
    thresholds: Mapping[str, float],
    *,
    model_version: str = "",
    groups: Mapping[str, Sequence[str]] | None = None,
    by: str | None = None,
    signals: Sequence[str] | None = None,
) -> EvalReport:
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
            per_group.setdefault(name, {})[signal] = signal_metrics(
                signal, y[mask], p[mask], thresholds[signal]
            )
    return EvalReport(
        model_version=model_version,
        thresholds=dict(thresholds),
        overall=overall,
        by=by,
        groups=dict(sorted(per_group.items())),
        skipped=skipped,
    )
