"""The plain baseline Pantau is measured against: word TF-IDF (1-2 grams) + logistic regression on
the raw lower-cased text, threshold 0.5, trained and tested on exactly the same cross-source and
cross-time splits as the shipped model (training.py reports both side by side)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

BASELINE_THRESHOLD = 0.5


def plain_baseline_probabilities(train_texts: Sequence[str], train_y: np.ndarray,
                                 test_texts: Sequence[str], seed: int = 0) -> np.ndarray:
    """Fit the plain model on the training part of a split; probabilities on its held-out part."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectoriser = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    x_train = vectoriser.fit_transform(train_texts)
    model = LogisticRegression(max_iter=1000, solver="liblinear", random_state=seed)
    model.fit(x_train, train_y)
    return model.predict_proba(vectoriser.transform(test_texts))[:, 1]
