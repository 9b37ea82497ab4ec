"""Whole documents on held-out long texts: the lead window alone against windows pooled.

For every outer split of the nested protocol (:mod:`classifiers.nested`), the held-out rows whose source
text is longer than one window (``SignalSet.docs``: news articles, fact-check reports, official
clarifications, long forum posts) are scored again as the product scores them
(:mod:`classifiers.windows`), by the model that split refitted on its purged training side, with the
calibration and threshold its inner folds chose (and the rule lift on the whole text, as at scoring time).
Each pooling (``lead``: the title + lead window the product read before; ``mean``: the shipped pooling;
``max``) is reported at that same threshold, so the figures differ only by how the text was read.
The shipped pooling of each signal is chosen on the pooled figures (:func:`choose_pooling`), as the
shipped threshold is chosen on the pooled outer folds; the figures of the chosen pooling are therefore
a little optimistic (a choice among three), which the docs say where they show them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from classifiers.datasets import SignalSet
from classifiers.features import calibrate
from classifiers.metrics import signal_metrics
from classifiers.nested import OuterResult
from classifiers.text_pass import rule_text
from classifiers.windows import POOLING, POOLINGS, flat_windows, pool

_KEEP = ("n", "positives", "precision", "recall", "f1", "roc_auc", "fpr", "flagged_share")


def doc_rule_texts(docs: Sequence[tuple[str, str]]) -> list[str]:
    """The text the rules read of each document (title + body, cut), as at scoring time."""
    return [rule_text(t, b) for t, b in docs]


def whole_document_report(
    signal: str,
    data: SignalSet,
    runs: Sequence[OuterResult],
    featurise: Callable[[list[str]], object],
    lift: Callable[[list[tuple[str, str]], np.ndarray], np.ndarray] | None = None,
) -> dict:
    """Per split (and pooled over the ``for_threshold`` splits): the held-out long documents' metrics
    under each pooling, at the split's inner threshold. ``featurise(windows)`` gives the shared block;
    ``lift(docs, p)`` applies the signal's rule lift (None: none)."""
    y = data.y
    has_doc = np.array([d is not None for d in data.docs], dtype=bool)
    out: dict = {"splits": {}, "poolings": list(POOLINGS)}
    pooled: dict[str, list] = {how: [] for how in POOLINGS}
    pooled_y, pooled_t = [], []
    for run in runs:
        windows_of = getattr(run.scorer, "windows", None)
        rows = np.flatnonzero(run.test & has_doc)
        if windows_of is None or rows.size == 0:
            continue
        docs = [data.docs[i] for i in rows]
        flat, owners, first = flat_windows([t for t, _ in docs], [b for _, b in docs])
        zw = windows_of(featurise(flat), flat)
        entry = {
            "documents": int(rows.size),
            "windows_per_document": round(len(flat) / rows.size, 2),
            "threshold": run.inner.threshold,
        }
        for how in POOLINGS:
            p = calibrate(pool(zw, owners, first, how), run.inner.a, run.inner.b)
            if lift is not None:
                p = lift(docs, p)
            m = signal_metrics(signal, y[rows], p, run.inner.threshold).to_dict()
            entry[how] = {k: m[k] for k in _KEEP}
            if run.split.for_threshold:
                pooled[how].append(p)
        if run.split.for_threshold:
            pooled_y.append(y[rows])
            pooled_t.append(np.full(rows.size, run.inner.threshold))
        out["splits"][run.split.name] = entry
    if pooled_y:
        yy, tt = np.concatenate(pooled_y), np.concatenate(pooled_t)
        out["pooled"] = {"documents": int(yy.size)}
        for how in POOLINGS:
            m = signal_metrics(signal, yy, np.concatenate(pooled[how]), tt).to_dict()
            out["pooled"][how] = {k: m[k] for k in _KEEP}
    return out


# Fewer held-out long positives than this are no evidence for a pooling: the default is kept (design
# choice; hate speech and abusive have almost no long texts, so their long-text figures are noise).
MIN_POSITIVES = 20


def choose_pooling(report: dict) -> str:
    """The shipped pooling of a signal: the best F1 on the pooled held-out long documents, then the
    lowest false-positive rate, then the order of :data:`POOLINGS` (the default first). Chosen, like the
    shipped threshold, on the pooled outer folds; :data:`POOLING` when there are none or fewer than
    :data:`MIN_POSITIVES` positives among them."""
    pooled = report.get("pooled")
    if not pooled or pooled[POOLING]["positives"] < MIN_POSITIVES:
        return POOLING
    return max(POOLINGS, key=lambda how: (pooled[how]["f1"], -pooled[how]["fpr"], -POOLINGS.index(how)))
