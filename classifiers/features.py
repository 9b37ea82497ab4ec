"""Text features and linear signal models: one shared TF-IDF space (words + character n-grams).

Texts are normalised (:mod:`classifiers.normalise`) *before* vectorising, so the stored vectoriser
holds no Python callables and loads from skops with plain scikit-learn types only. Training fits with
scikit-learn; scoring transforms with :class:`FastTfidf`, which rebuilds the same matrix from the stored
state without scikit-learn's per-n-gram Python analyzers (see "Speed" in docs/classifiers.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

WORD_FEATURES = 60_000
CHAR_FEATURES = 90_000


VECTORISER_PARAMS: dict[str, dict] = {
    "word": {
        "analyzer": "word",
        "ngram_range": (1, 2),
        "min_df": 3,
        "max_df": 0.5,
        "max_features": WORD_FEATURES,
        "token_pattern": r"(?u)\b\w[\w']*\b",
    },
    "char": {
        "analyzer": "char_wb",
        "ngram_range": (2, 5),
        "min_df": 3,
        "max_df": 0.5,
        "max_features": CHAR_FEATURES,
    },
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


def word_columns(union) -> int:
    """How many leading columns of the union's output are the word part (the union's first part)."""
    name, vec = union.transformer_list[0]
    if vec.get_params()["analyzer"] != "word":
        raise ValueError(f"the vectoriser's first part {name!r} is not the word part")
    return len(vec.vocabulary_)


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

    return LogisticRegression(
        C=c, class_weight="balanced", solver="liblinear", max_iter=1000, random_state=seed
    )


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
    return top_contributions_of(
        np.asarray(model.coef_)[0], row.indices, row.data, lambda j: names[j].partition("__")[::2], k=k
    )


def top_contributions_of(
    coef: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray,
    term: Callable[[int], tuple[str, str]],
    k: int = 5,
    is_word: np.ndarray | None = None,
) -> list[str]:
    """:func:`top_contributions` on one row given as CSR ``indices``/``data``; ``term(j)`` gives the
    (part, n-gram) of column ``j`` (e.g. :meth:`FastTfidf.term`). ``is_word`` (optional, one flag per
    entry of ``indices``: a word n-gram?) lets only the top ``k`` of each kind be named."""
    if indices.size == 0:
        return []
    return top_terms(data * coef[indices], indices, term, k, is_word)


def top_terms(
    contrib: np.ndarray,
    indices: np.ndarray,
    term: Callable[[int], tuple[str, str]],
    k: int = 5,
    is_word: np.ndarray | None = None,
) -> list[str]:
    """:func:`top_contributions_of` given the contributions ``coef[indices] * data`` of one row."""
    positive = np.flatnonzero(contrib > 0)
    order = positive[np.argsort(-contrib[positive], kind="stable")]
    if is_word is not None:
        words = [term(int(indices[j]))[1] for j in order[is_word[order]][:k]]
        chars = [f"«{term(int(indices[j]))[1].strip()}»" for j in order[~is_word[order]][:k]]
    else:
        words, chars = [], []
        for j in order:
            kind, gram = term(int(indices[j]))
            if kind == "word":
                words.append(gram)
            elif len(chars) < k:
                chars.append(f"«{gram.strip()}»")
            if len(words) >= k:
                break
    return (words + chars)[:k] if len(words) >= 2 else (words + chars)[: max(3, len(words))]


# --- fast transform -------------------------------------------------------------------------------
_CACHE_LIMIT = 200_000  # distinct words whose character n-gram ids are kept (about 40 MB at most)


class _Block:
    """One fitted TF-IDF part (word or char_wb analyzer) as a term -> column lookup."""

    def __init__(self, name: str, params: dict, terms: np.ndarray, offset: int):
        self.name, self.offset = name, offset
        self.analyzer = params["analyzer"]
        if self.analyzer not in ("word", "char_wb"):
            raise ValueError(f"fast transform supports 'word' and 'char_wb' analyzers, not {self.analyzer!r}")
        self.min_n, self.max_n = (int(n) for n in params["ngram_range"])
        self.terms = terms
        self.vocabulary = {t: offset + i for i, t in enumerate(terms.tolist())}
        pattern = params.get("token_pattern") or r"(?u)\b\w\w+\b"
        self.token_re = re.compile(pattern)
        self.cache: dict[str, np.ndarray] = {}

    def add_word_columns(self, text: str, out: list[int]) -> None:
        """Append the columns of the word n-grams of one text, one per occurrence (sklearn's analyzer)."""
        get = self.vocabulary.get
        tokens = self.token_re.findall(text)
        if self.min_n == 1:
            out.extend(c for c in map(get, tokens) if c is not None)
        for n in range(max(2, self.min_n), min(self.max_n, len(tokens)) + 1):
            grams = map(" ".join, zip(*(tokens[k:] for k in range(n)), strict=False))  # shorter tails end it
            out.extend(c for c in map(get, grams) if c is not None)

    def _char_columns_of_word(self, word: str) -> np.ndarray:
        w = f" {word} "
        size = len(w)
        grams: list[str] = []
        for n in range(self.min_n, self.max_n + 1):
            if size <= n:  # a word shorter than n is counted once, whole (as sklearn does)
                grams.append(w)
                break
            grams.extend([w[i : i + n] for i in range(size - n + 1)])
        return np.array([c for c in map(self.vocabulary.get, grams) if c is not None], dtype=np.int32)

    def char_columns(self, word: str) -> np.ndarray:
        """The columns of one word's char_wb n-grams (cached per distinct word)."""
        cols = self.cache.get(word)
        if cols is None:
            if len(self.cache) >= _CACHE_LIMIT:
                self.cache.clear()
            cols = self.cache[word] = self._char_columns_of_word(word)
        return cols


class FastTfidf:
    """Transform-only twin of the fitted word + char TF-IDF union, built from :func:`vectoriser_state`.

    It gives the same matrix as ``restore_vectoriser(state).transform`` (sublinear tf, idf, l2 per part,
    parts side by side) without sklearn's per-n-gram Python analyzers: each distinct word's character
    n-gram columns are computed once and cached, counting and weighting run in numpy on the batch.
    """

    def __init__(self, state: dict, *, warm: bool = True):
        self.blocks_: list[_Block] = []
        idf = []
        offset = 0
        for name, params in state["params"].items():
            part = state["parts"][name]
            block = _Block(name, params, np.asarray(part["terms"]), offset)
            self.blocks_.append(block)
            idf.append(np.asarray(part["idf"], dtype=np.float64))
            offset += len(block.terms)
        self.idf_ = np.concatenate(idf) if idf else np.zeros(0)
        self.n_features_ = offset
        self.starts_ = np.array([b.offset for b in self.blocks_], dtype=np.int64)
        self._names: list[str] | None = None
        if warm:
            self.warm()

    def single_words(self) -> list[str]:
        """The one-word terms of the word parts (the frequent words of the training texts)."""
        return [t for b in self.blocks_ if b.analyzer == "word" for t in b.terms.tolist() if " " not in t]

    def warm(self, words: Sequence[str] | None = None) -> None:
        """Fill the character n-gram cache with ``words`` (default: :meth:`single_words`; about 0.3 s and
        2 MB for the bundled model), so a fresh process starts fast."""
        words = list(words) if words is not None else self.single_words()
        for block in self.blocks_:
            if block.analyzer == "char_wb":
                for word in words[: _CACHE_LIMIT // 2]:
                    block.char_columns(word)

    def block(self, name: str) -> _Block:
        for b in self.blocks_:
            if b.name == name:
                return b
        raise KeyError(name)

    def transform(self, texts: Sequence[str]):
        """The (n_texts x n_features) CSR tf-idf matrix of already normalised ``texts`` (float32)."""
        import scipy.sparse as sp

        n = len(texts)
        cols_parts: list[np.ndarray] = []
        rows_parts: list[np.ndarray] = []
        for block in self.blocks_:
            cols, sizes = self._block_columns(block, texts)
            cols_parts.append(cols)
            rows_parts.append(np.repeat(np.arange(n, dtype=np.int32), sizes))
        cols = np.concatenate(cols_parts) if cols_parts else np.zeros(0, dtype=np.int32)
        rows = np.concatenate(rows_parts) if rows_parts else np.zeros(0, dtype=np.int32)
        counts = sp.csr_matrix(
            (np.ones(cols.size, dtype=np.float32), (rows, cols)),
            shape=(n, self.n_features_),
            dtype=np.float32,
        )
        counts.sum_duplicates()
        return self.weight(counts)

    @staticmethod
    def _block_columns(block: _Block, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Column of every n-gram occurrence of one part, and how many belong to each text."""
        if block.analyzer == "word":
            flat: list[int] = []
            sizes = []
            for text in texts:
                before = len(flat)
                block.add_word_columns(text, flat)
                sizes.append(len(flat) - before)
            return np.array(flat, dtype=np.int32), np.array(sizes, dtype=np.int64)
        cached = block.cache.get
        parts: list[np.ndarray] = []
        words_per_text = []
        for text in texts:
            words = text.split()
            words_per_text.append(len(words))
            for word in words:
                cols = cached(word)
                parts.append(cols if cols is not None else block.char_columns(word))
        if not parts:
            return np.zeros(0, dtype=np.int32), np.zeros(len(texts), dtype=np.int64)
        lengths = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
        owner = np.repeat(np.arange(len(texts)), words_per_text)
        sizes = np.bincount(owner, weights=lengths, minlength=len(texts)).astype(np.int64)
        return np.concatenate(parts), sizes

    def weight(self, x):
        """Counts -> sublinear tf * idf, then l2-normalised within each part (in place)."""
        data = x.data
        np.log(data, out=data)
        data += 1
        data *= self.idf_[x.indices]
        rows = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
        part = np.searchsorted(self.starts_, x.indices, side="right") - 1
        key = rows * len(self.blocks_) + part
        norms = np.sqrt(
            np.bincount(key, weights=data.astype(np.float64) ** 2, minlength=x.shape[0] * len(self.blocks_))
        )
        data /= norms[key].astype(np.float32)
        return x

    def term(self, column: int) -> tuple[str, str]:
        """(part name, n-gram) of one column."""
        for part in reversed(self.blocks_):
            if column >= part.offset:
                return part.name, str(part.terms[column - part.offset])
        raise IndexError(column)

    def is_word(self, columns: np.ndarray) -> np.ndarray:
        """Per column: does it belong to a part named "word" (shown as words in explanations)?"""
        out = np.zeros(len(columns), dtype=bool)
        for b in self.blocks_:
            if b.name == "word":
                out |= (columns >= b.offset) & (columns < b.offset + len(b.terms))
        return out

    def get_feature_names_out(self) -> list[str]:
        """``part__term`` names of all columns (built once)."""
        if self._names is None:
            self._names = [f"{b.name}__{t}" for b in self.blocks_ for t in b.terms.tolist()]
        return self._names
