"""The plain baseline Pantau is measured against: word TF-IDF (1-2 grams, sublinear) + logistic
regression on the raw lower-cased text.

Two rows are reported on every split (training.py, the model card):

* **fair**: balanced class weights like the model, run through the same nested protocol
  (:mod:`classifiers.nested`: purged splits, Platt calibration and the signal's threshold policy chosen
  on inner folds), so a comparison is of models, not of protocols;
* **plain 0.5**: no class balancing, its own probability at the natural 0.5 cut.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

NATURAL_THRESHOLD = 0.5


def _fit(texts: Sequence[str], y: np.ndarray, seed: int, balanced: bool):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectoriser = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    x = vectoriser.fit_transform(texts)
    model = LogisticRegression(
        max_iter=1000, solver="liblinear", random_state=seed, class_weight="balanced" if balanced else None
    )
    return vectoriser, model.fit(x, y)


class BaselineProtocol:
    """The baseline as a learner of :func:`classifiers.nested.run_nested` over one set's texts."""

    def __init__(self, texts: Sequence[str], y: np.ndarray, seed: int = 0):
        self.texts = np.asarray(texts, dtype=object)
        self.y = np.asarray(y, dtype=int)
        self.seed = seed

    def learner(self, train: np.ndarray):
        """fit(train mask) -> score(rows mask) -> decision values (balanced weights)."""
        vectoriser, model = _fit(list(self.texts[train]), self.y[train], self.seed, balanced=True)

        def score(rows: np.ndarray) -> np.ndarray:
            return model.decision_function(vectoriser.transform(list(self.texts[rows])))

        return score

    def plain_probabilities(self, train: np.ndarray, test: np.ndarray) -> np.ndarray:
        """The unbalanced baseline's own probabilities on ``test`` after fitting on ``train``."""
        vectoriser, model = _fit(list(self.texts[train]), self.y[train], self.seed, balanced=False)
        return model.predict_proba(vectoriser.transform(list(self.texts[test])))[:, 1]
