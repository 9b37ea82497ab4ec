"""Whole documents: a long text is scored by all of its text, not by its lead alone.

A text no longer than one window (tweets, posts, headlines: almost every item) is one window, exactly
the title + lead window the models are trained on. A longer one is cut into consecutive windows of
:data:`~classifiers.datasets.MAX_CHARS` characters at word boundaries: the first is that same title +
lead window, the others are the rest of the body without the title (the title is kept apart, in the
first window only, so a headline counts once and not once per window), up to :data:`MAX_WINDOWS`.

The models score every window; a document's decision value pools its windows' decision values
(:func:`pool`: ``mean``, ``max`` or ``lead``, the first window alone), and that is what is calibrated and
thresholded. Each model has its own pooling, stored in the manifest (``pooling``): training measures the
three on the held-out long texts of every outer split (:mod:`classifiers.document_eval`) and keeps the
best on the pooled outer folds, as it keeps the threshold. :data:`POOLING` (mean) is the default for a
model without one: a maximum gives a long text more chances to cross the threshold, so the flag rate
of long ordinary news grows with its length (design choice, fixed before measuring).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from classifiers.datasets import MAX_CHARS, cut, lead_and_rest

# 10 windows of 500 characters: the 5,000 characters that the rules read (text_pass.RULE_CHARS); the rest
# of a longer page is not read (design choice: bounded cost per item).
MAX_WINDOWS = 10
POOLINGS = ("mean", "max", "lead")
POOLING = "mean"


def document_windows(
    title: str | None, body: str | None, size: int = MAX_CHARS, max_windows: int = MAX_WINDOWS
) -> list[str]:
    """The windows of one document, the title + lead window first (always at least one, maybe empty)."""
    lead, rest = lead_and_rest(title, body, size)
    windows = [lead]
    while rest and len(windows) < max_windows:
        piece = cut(rest, size)
        windows.append(piece)
        rest = rest[len(piece) :].lstrip()
    return windows


def flat_windows(
    titles: Sequence[str], bodies: Sequence[str], size: int = MAX_CHARS, max_windows: int = MAX_WINDOWS
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Every document's windows in one list, the owner (document index) of each window, and the index of
    each document's first (lead) window."""
    flat: list[str] = []
    owners: list[int] = []
    first = np.empty(len(titles), dtype=np.int64)
    for i, (title, body) in enumerate(zip(titles, bodies, strict=True)):
        first[i] = len(flat)
        windows = document_windows(title, body, size, max_windows)
        flat.extend(windows)
        owners.extend([i] * len(windows))
    return flat, np.asarray(owners, dtype=np.int64), first


def pool(z: np.ndarray, owners: np.ndarray, first: np.ndarray, how: str = POOLING) -> np.ndarray:
    """Per document, the ``how`` (``mean``, ``max`` or ``lead``) of its windows' decision values ``z``."""
    z = np.asarray(z, dtype=float)
    if how == "lead" or z.size == first.size:  # one window each: nothing to pool
        return z[first]
    if how == "mean":
        counts = np.bincount(owners, minlength=first.size)
        return np.bincount(owners, weights=z, minlength=first.size) / np.maximum(counts, 1)
    if how == "max":
        out = np.full(first.size, -np.inf)
        np.maximum.at(out, owners, z)
        return out
    raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}, not {how!r}")
