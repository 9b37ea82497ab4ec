"""Cross-source and cross-time evaluation splits.

A :class:`Split` names the groups held out for testing (and optionally the groups allowed for
training, for forward-in-time splits). The metrics and the threshold rules applied to the held-out
predictions live in :mod:`classifiers.metrics` (``threshold_max_fbeta`` with each signal's
:func:`classifiers.weights.threshold_policy`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Split"]


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
