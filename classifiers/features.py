"""Text features and linear signal models: one shared TF-IDF space (words + character n-grams).

Texts are normalised (:mod:`classifiers.normalise`) *before* vectorising, so the stored vectoriser
holds no Python callables and loads from skops with plain scikit-learn types only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

WORD_FEATURES = 60_000
CHAR_FEATURES = 90_000


VECTORISER_PARAMS: dict[str, dict] = {
    "word": {"analyzer": "word", "ngram_range": (1, 2), "min_df": 3, "max_df": 0.5,
             "max_features": WORD_FEATURES, "token_pattern": r"(?u)\b\w[\w']*\b"},
    "char": {"analyzer": "char_wb", "ngram_range": (2, 5), "min_df": 3, "max_df": 0.5,
             "max_features": CHAR_FEATURES},
}


def build_vectoriser(params: dict[str, dict] | None = None):
    """A word (1-2) + character (2-5, within word boundaries) TF-IDF union; sublinear tf."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    params = params or VECTORISER_PARAMS
    parts = []
    for name, p in params.items():
        p = {**p, "ngram_range": tuple(p["ngram_range"])}
        parts.append((name, TfidfVectorizer(**p, sublinear_tf=True, lowercase=False, dtype=np.float32)))
    return FeatureUnion(parts)


_STORED_PARAMS = ("analyzer", "ngram_range", "min_df", "max_df", "max_features", "token_pattern")


def vectoriser_state(union) -> dict:
    """Construction parameters plus fitted vocabulary and idf of each part, as plain data and arrays.

    A TfidfVectorizer's ``vocabulary_`` dict would be serialised by skops entry by entry (slow and
    large); sorted term arrays are not.
    """
    params, parts = {}, {}
    for name, vec in union.transformer_list:
        given = vec.get_params()
        params[name] = {k: given[k] for k in _STORED_PARAMS}
        terms = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
        parts[name] = {"terms": np.array(terms, dtype=str), "idf": vec.idf_.astype(np.float32)}
    return {"params": params, "parts": parts}


def restore_vectoriser(state: dict):
    """Rebuild a fitted union from :func:`vectoriser_state` output."""
    union = build_vectoriser(state["params"])
    for name, vec in union.transformer_list:
        terms = state["parts"][name]["terms"].tolist()
        vec.vocabulary_ = {t: i for i, t in enumerate(terms)}
        vec.fixed_vocabulary_ = True
        vec.idf_ = np.asarray(state["parts"][name]["idf"], dtype=np.float64)
    return union


def pipeline_bundle(pipeline) -> dict:
    """A (vectoriser union, linear model) pipeline as storable parts."""
    return {"vectoriser": vectoriser_state(pipeline.steps[0][1]), "model": pipeline.steps[1][1]}


def restore_pipeline(bundle: dict):
    from sklearn.pipeline import Pipeline

    return Pipeline([("features", restore_vectoriser(bundle["vectoriser"])), ("model", bundle["model"])])


def build_linear_model(seed: int = 0, c: float = 1.0):
    """L2 logistic regression with balanced class weights (liblinear: deterministic, fast on sparse)."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, class_weight="balanced", solver="liblinear", max_iter=1000,
                              random_state=seed)


def shrink_model(model) -> None:
    """Store coefficients as float32 (halves the artifact; scores change by < 1e-6)."""
    model.coef_ = model.coef_.astype(np.float32)
    model.intercept_ = model.intercept_.astype(np.float32)


def calibrate(z: np.ndarray, a: float, b: float) -> np.ndarray:
    """Platt mapping of decision values ``z`` to probabilities: ``1 / (1 + exp(-(a*z + b)))``."""
    return 1.0 / (1.0 + np.exp(-(a * np.asarray(z, dtype=np.float64) + b)))


def fit_platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Fit the Platt parameters on held-out decision values (cross-source predictions)."""
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=100.0, solver="lbfgs").fit(np.asarray(z).reshape(-1, 1), y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def top_contributions(model, x_row, names: Sequence[str], k: int = 5) -> list[str]:
    """The n-grams of one (1 x n) sparse row with the largest positive ``coef * value``.

    Word n-grams come first; character n-grams (shown as «...») fill up when words are too few.
    """
    row = x_row.tocsr()
    idx = row.indices
    if idx.size == 0:
        return []
    contrib = row.data * model.coef_[0, idx]
    order = np.argsort(-contrib)
    words, chars = [], []
    for j in order:
        if contrib[j] <= 0:
            break
        name = names[idx[j]]
        kind, _, gram = name.partition("__")
        if kind == "word":
            words.append(gram)
        elif len(chars) < k:
            chars.append(f"«{gram.strip()}»")
        if len(words) >= k:
            break
    return (words + chars)[:k] if len(words) >= 2 else (words + chars)[: max(3, len(words))]
