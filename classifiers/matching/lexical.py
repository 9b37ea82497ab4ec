"""Lexical features for claim matching: normalised content words, hashed n-grams and BM25.

Everything here is *stateless* or *incremental*, so an index can grow one document at a time:

- :func:`prepare` normalises a text with Pantau's normaliser (slang table of the bundled model,
  Madurese words protected) and folds diacritics ("pèssè" -> "pesse").
- :class:`PairFeaturizer` turns prepared texts into L2-normalised hashed vectors (content-word
  unigrams + bigrams with sublinear TF; character 3-5-grams of the content words). The cosine of two
  rows depends on the two texts only (no corpus statistics), which keeps the calibrated "same claim"
  score stable as the fact-check store grows and makes clustering order-independent.
- :class:`BM25Index` is an incremental Okapi BM25 over content-word unigrams, built on
  ``scipy.sparse`` (no extra dependency). It depends on the corpus (IDF, average length) and is only
  used to pick candidates quickly; candidates are then scored with the pair features.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.preprocessing import normalize

from classifiers.artifacts import DEFAULT_MODEL_DIR
from classifiers.normalise import fold_diacritics, normalise, tokens

N_FEATURES = 2**20
MAX_CHARS = 2000  # the lead of a long fact-check carries the claim it answers; the rest is cut

# Function words of Indonesian and Madurese (written for the project): they carry no claim, and
# without corpus statistics they would dominate the cosine. Normaliser tokens (xurl, xnum...) too.
STOPWORDS = frozenset(
    """
yang dan di ke dari ini itu untuk dengan pada dalam adalah akan tidak juga ada atau karena oleh
sudah telah bahwa sebagai saat para kami kita saya anda mereka ia dia bisa lebih jadi hanya agar
namun tetapi tapi serta bagi seperti secara maka jika kalau lagi masih pun nya si sang tersebut
bukan belum sangat harus dapat yaitu yakni kepada terhadap antara hingga sampai setelah sebelum
ketika apa siapa mengapa bagaimana kapan mana begitu sini situ sana ya kok sih dong deh
nih tuh lah kah pula saja aja udah gak ga nggak tak tdk yg dgn utk
se sa ka e ban otaba ta' ta tadak enggi engghi reya ruwa jareya riya bhai kaule sengko' engkok
bada' tor sareng dhari
xurl xmention xemoji xnum
""".split()
)
# Words that nearly every election item or fact-check in Pantau's setting contains (generic place
# words, bodies, election and fact-check vocabulary). Without corpus statistics they would link
# unrelated claims ("KPU Sampang ..."), so they count DOMAIN_WEIGHT in the word vector and not at all
# in the char one. The monitored region's own names ("Sampang", "Madura") are not written here: they
# come from the config (``PairFeaturizer(place_words=...)``, ``MatchConfig.place_words``).
DOMAIN_WORDS = frozenset(
    """
indonesia kabupaten kecamatan desa kota warga masyarakat
kpu bawaslu polres polisi kodim tni pemerintah dinas bupati kades kepala
pilkada pemilu pilpres pemilihan suara pemungutan tps kpps pemilih calon paslon pasangan nomor
kampanye coblos mencoblos pencoblosan
hoaks hoax hoaxs klarifikasi fakta faktanya beredar pesan berantai informasi info kabar isu video foto
menegaskan menyatakan membantah memastikan mengatakan menjelaskan benar salah palsu tidak
""".split()
)
DOMAIN_WEIGHT = 0.25


@lru_cache(maxsize=4)
def load_slang(model_dir: str | None = None) -> dict[str, str]:
    """The slang table stored with the bundled model (``normaliser.json``); empty if unreadable."""
    path = Path(model_dir) if model_dir else DEFAULT_MODEL_DIR
    try:
        return dict(json.loads((path / "normaliser.json").read_text(encoding="utf-8"))["slang"])
    except (OSError, ValueError, KeyError):
        return {}


def prepare(text: str, slang: Mapping[str, str] | None = None) -> str:
    """Normalised, diacritic-folded text, cut to :data:`MAX_CHARS`."""
    return fold_diacritics(normalise((text or "")[:MAX_CHARS], slang))


def content_words(prepared: str) -> list[str]:
    """Word tokens of a prepared text without function words and one-letter tokens."""
    return [w for w in tokens(prepared) if len(w) > 1 and w not in STOPWORDS]


def place_tokens(place_words: Sequence[str], slang: Mapping[str, str] | None = None) -> frozenset[str]:
    """The content words of place names as matching sees them ("Jawa Timur" -> jawa, timur;
    "Camplông" -> camplong)."""
    return frozenset(w for place in place_words for w in content_words(prepare(place, slang)))


def domain_words(slang: Mapping[str, str] | None = None, place_words: Sequence[str] = ()) -> frozenset[str]:
    """:data:`DOMAIN_WORDS` and the words of ``place_words`` (the region's names, from the config),
    plus the words the slang table expands them to ("kpu" -> "komisi ...")."""
    base = DOMAIN_WORDS | place_tokens(place_words, slang)
    expanded = set(base)
    for word in base:
        expanded.update(content_words(normalise(word, slang)))
    return frozenset(expanded)


class PairFeaturizer:
    """Hashed, corpus-free vectors whose row-wise cosines are the raw lexical similarities.

    ``place_words``: the monitored region's names (``MatchConfig.place_words``), weighed like
    :data:`DOMAIN_WORDS`."""

    def __init__(
        self,
        slang: Mapping[str, str] | None = None,
        n_features: int = N_FEATURES,
        *,
        place_words: Sequence[str] = (),
    ):
        self.domain = domain_words(slang, place_words)
        self.words = HashingVectorizer(
            analyzer=self._word_grams,
            n_features=n_features,
            alternate_sign=False,
            norm=None,
            dtype=np.float32,
        )
        self.chars = HashingVectorizer(
            analyzer="char_wb",
            ngram_range=(3, 5),
            n_features=n_features,
            alternate_sign=False,
            norm=None,
            dtype=np.float32,
        )
        weights = np.ones(n_features, dtype=np.float32)
        weights[self.words.transform([" ".join(sorted(self.domain))]).indices] = DOMAIN_WEIGHT
        self.word_weights = sp.diags(weights, format="csr")

    def _word_grams(self, prepared: str) -> list[str]:
        """Content words and their bigrams (bigrams of two domain words are left out)."""
        words = content_words(prepared)
        return words + [
            f"{a} {b}"
            for a, b in zip(words, words[1:], strict=False)
            if a not in self.domain or b not in self.domain
        ]

    def _char_text(self, prepared: str) -> str:
        return " ".join(w for w in content_words(prepared) if w not in self.domain)

    def word_vectors(self, prepared: Sequence[str]) -> sp.csr_matrix:
        """The word part alone (the ranker's pair feature: char n-grams cost more than they add there)."""
        return _sublinear(self.words.transform(prepared), self.word_weights)

    def transform(self, prepared: Sequence[str]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """(word vectors, char vectors), each row L2-normalised with sublinear TF."""
        words = self.word_vectors(prepared)
        chars = _sublinear(self.chars.transform([self._char_text(p) for p in prepared]))
        return words, chars


def _sublinear(matrix: sp.spmatrix, weights: sp.csr_matrix | None = None) -> sp.csr_matrix:
    matrix = sp.csr_matrix(matrix, dtype=np.float32)
    matrix.data = np.log1p(matrix.data)
    if weights is not None:
        matrix = sp.csr_matrix(matrix @ weights)
    return normalize(matrix, copy=False)


# Negation words (Indonesian, slang, Madurese) for the clustering stance guard (issue 14). They are
# function words for the similarity (STOPWORDS), so "X tidak benar" and "X benar" score alike; the
# guard below keeps such pairs out of one claim cluster. Design choice, not tuned on any data.
NEGATIONS = frozenset("tidak tak bukan belum gak ga nggak enggak ngga tdk ndak tadak enja' enja".split())
# Indonesian negation attaches to the predicate right after it ("tidak menunda", "bukan hoaks").
# A scope of 3 was tried first and split true paraphrases of the fixture suite ("tidak bawa e-KTP ...
# tidak bisa" vs "tanpa e-KTP tidak boleh"; linked pairs 39 -> 30 of 48), so the value 1 was chosen
# after looking at that suite: its clustering test is no independent evidence for this value.
NEGATION_SCOPE = 1


def stance_vectors(
    prepared: Sequence[str], n_features: int = N_FEATURES
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """(negated, asserted) binary hashed content-word unigrams: a word is *negated* when one of the
    :data:`NEGATIONS` precedes it within :data:`NEGATION_SCOPE` content words, *asserted* otherwise.
    Two texts contradict when one negates a word that the other asserts (``contradicting``)."""
    hasher = HashingVectorizer(
        analyzer=lambda words: words,
        n_features=n_features,
        alternate_sign=False,
        norm=None,
        binary=True,
        dtype=np.float32,
    )
    negated, asserted = [], []
    for text in prepared:
        neg, pos, left = [], [], 0
        for word in tokens(text):
            if word in NEGATIONS:
                left = NEGATION_SCOPE
            elif len(word) > 1 and word not in STOPWORDS:
                (neg if left else pos).append(word)
                left = max(left - 1, 0)
        negated.append(neg)
        asserted.append(pos)
    return sp.csr_matrix(hasher.transform(negated)), sp.csr_matrix(hasher.transform(asserted))


def contradicting(
    neg_a: sp.csr_matrix, pos_a: sp.csr_matrix, neg_b: sp.csr_matrix, pos_b: sp.csr_matrix
) -> np.ndarray:
    """Boolean per row pair (row i of a with row i of b): one negates a word the other asserts."""
    clash = row_cosines(neg_a, pos_b) + row_cosines(pos_a, neg_b)
    return clash > 0


def row_cosines(a: sp.csr_matrix, b: sp.csr_matrix) -> np.ndarray:
    """Cosine of row i of ``a`` with row i of ``b`` (both L2-normalised)."""
    return np.asarray(a.multiply(b).sum(axis=1), dtype=np.float64).ravel()


class BM25Index:
    """Incremental Okapi BM25 over hashed content-word unigrams (rows may be retired, not removed).

    ``add`` appends rows; the weighted matrix is rebuilt lazily on the next ``scores`` call, so many
    adds followed by many searches cost one rebuild (O(non-zeros)).
    """

    def __init__(self, k1: float = 1.2, b: float = 0.75, n_features: int = N_FEATURES):
        self.k1 = k1
        self.b = b
        self.n_features = n_features
        self.vectoriser = HashingVectorizer(
            analyzer=content_words, n_features=n_features, alternate_sign=False, norm=None, dtype=np.float32
        )
        self._blocks: list[sp.csr_matrix] = []
        self._alive = np.zeros(0, dtype=bool)
        self._weights: sp.csc_matrix | None = None
        self._idf: np.ndarray | None = None

    @property
    def n_rows(self) -> int:
        return int(self._alive.size)

    def add(self, prepared: Sequence[str]) -> None:
        counts = sp.csr_matrix(self.vectoriser.transform(prepared), dtype=np.float32)
        self._blocks.append(counts)
        self._alive = np.concatenate([self._alive, np.ones(len(prepared), dtype=bool)])
        self._weights = None

    def retire(self, rows: Sequence[int]) -> None:
        """Exclude rows (e.g. a replaced document) from scores and statistics."""
        self._alive[np.asarray(rows, dtype=int)] = False
        self._weights = None

    def _rebuild(self) -> None:
        if len(self._blocks) > 1:
            self._blocks = [sp.vstack(self._blocks, format="csr")]
        counts = self._blocks[0] if self._blocks else sp.csr_matrix((0, self.n_features), dtype=np.float32)
        counts = sp.diags(self._alive.astype(np.float32)) @ counts  # retired rows become empty
        counts = sp.csr_matrix(counts)
        counts.eliminate_zeros()
        n_docs = max(int(self._alive.sum()), 1)
        df = np.bincount(counts.indices, minlength=self.n_features)
        self._idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        lengths = np.asarray(counts.sum(axis=1)).ravel()
        avg = float(lengths[self._alive].mean()) if self._alive.any() else 1.0
        row_len = np.repeat(lengths, np.diff(counts.indptr))
        tf = counts.data
        counts.data = tf * (self.k1 + 1) / (tf + self.k1 * (1 - self.b + self.b * row_len / max(avg, 1.0)))
        self._weights = counts.tocsc()

    def scores(self, prepared: str) -> np.ndarray:
        """BM25 score of every row for one query (0 for retired rows and rows sharing no term)."""
        if self.n_rows == 0:
            return np.zeros(0, dtype=np.float32)
        if self._weights is None:
            self._rebuild()
        assert self._weights is not None and self._idf is not None
        terms = np.unique(self.vectoriser.transform([prepared]).indices)
        if terms.size == 0:
            return np.zeros(self.n_rows, dtype=np.float32)
        postings = self._weights[:, terms]
        return np.asarray(postings @ self._idf[terms], dtype=np.float32).ravel()

    def scores_many(self, prepared: Sequence[str]) -> np.ndarray:
        """:meth:`scores` for several queries at once: one row of scores per query."""
        if self.n_rows == 0:
            return np.zeros((len(prepared), 0), dtype=np.float32)
        if self._weights is None:
            self._rebuild()
        assert self._weights is not None and self._idf is not None
        queries = sp.csr_matrix(self.vectoriser.transform(prepared), dtype=np.float32)
        queries.data[:] = 1.0  # each distinct term once, as in scores()
        queries = sp.csr_matrix(queries @ sp.diags(self._idf, format="csr"))
        return np.asarray((queries @ self._weights.T).toarray(), dtype=np.float32)


# The ranker's word TF-IDF reads the whole text (a debunk may answer late), up to this many characters.
MAX_WORD_CHARS = 20_000


def plain_text(text: str) -> str:
    """Lower-cased, diacritic-folded text for the ranker's word TF-IDF: no normaliser and no stop
    words, like a plain TF-IDF cosine (IDF does what the function-word list does by hand)."""
    return fold_diacritics((text or "")[:MAX_WORD_CHARS].lower())


class WordTfidf:
    """Incremental word 1-2-gram TF-IDF over hashed features, IDF from the stored (alive) rows.

    ``place_words`` (the region's names, from the config) are removed before counting: in a large
    store IDF would make them cheap anyway, but in a small one a shared "Pamekasan" would decide.

    Weights as scikit-learn's ``TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)``: tf
    ``1 + log(count)``, smooth IDF ``log((1 + n) / (1 + df)) + 1``, rows L2-normalised. The weighted
    matrix is rebuilt lazily on the first search after adds or retirements (O(non-zeros))."""

    def __init__(self, n_features: int = N_FEATURES, *, place_words: Sequence[str] = ()):
        self.n_features = n_features
        names = sorted({plain_text(w).strip() for w in place_words if w.strip()}, key=len, reverse=True)
        self._places = re.compile(r"\b(?:" + "|".join(map(re.escape, names)) + r")\b") if names else None
        self.vectoriser = HashingVectorizer(
            ngram_range=(1, 2),
            n_features=n_features,
            preprocessor=self._text,
            alternate_sign=False,
            norm=None,
            dtype=np.float32,
        )
        self._blocks: list[sp.csr_matrix] = []
        self._alive = np.zeros(0, dtype=bool)
        self._df = np.zeros(n_features, dtype=np.int64)
        self._weighted: sp.csr_matrix | None = None
        self._transposed: sp.csr_matrix | None = None  # features x rows, for fast query products
        self._idf: np.ndarray | None = None

    def _text(self, text: str) -> str:
        plain = plain_text(text)
        return self._places.sub(" ", plain) if self._places is not None else plain

    def _tf(self, texts: Sequence[str]) -> sp.csr_matrix:
        counts = sp.csr_matrix(self.vectoriser.transform(texts), dtype=np.float32)
        counts.data = 1.0 + np.log(counts.data)
        return counts

    def add(self, texts: Sequence[str]) -> None:
        tf = self._tf(texts)
        self._blocks.append(tf)
        self._df += np.bincount(tf.indices, minlength=self.n_features)
        self._alive = np.concatenate([self._alive, np.ones(len(texts), dtype=bool)])
        self._weighted = None

    def retire(self, rows: Sequence[int]) -> None:
        rows = [r for r in dict.fromkeys(int(r) for r in rows) if self._alive[r]]
        if not rows:
            return
        matrix = self._matrix()
        self._df -= np.bincount(matrix[rows].indices, minlength=self.n_features)
        self._alive[rows] = False
        self._weighted = None

    def _matrix(self) -> sp.csr_matrix:
        if len(self._blocks) > 1:
            self._blocks = [sp.vstack(self._blocks, format="csr")]
        return self._blocks[0] if self._blocks else sp.csr_matrix((0, self.n_features), dtype=np.float32)

    def weighted(self) -> sp.csr_matrix:
        """Every stored row's TF-IDF vector (retired rows keep a vector; callers mask them)."""
        if self._weighted is None:
            n_docs = int(self._alive.sum())
            self._idf = (np.log((1.0 + n_docs) / (1.0 + self._df)) + 1.0).astype(np.float32)
            matrix = self._matrix().copy()
            matrix.data *= self._idf[matrix.indices]
            self._weighted = normalize(matrix, copy=False)
            self._transposed = sp.csr_matrix(self._weighted.T)
        return self._weighted

    def cosines(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts) x stored rows) cosines."""
        self.weighted()
        assert self._idf is not None and self._transposed is not None
        queries = self._tf(texts)
        # Terms no stored row has keep their (highest) IDF, unlike a fitted vocabulary that drops them:
        # the ranking is the same, but a query whose words are mostly unknown to the store gets a low
        # cosine instead of a high one from its few shared words (which misled the ranker in small stores).
        queries.data *= self._idf[queries.indices]
        queries = normalize(queries, copy=False)
        return np.asarray((queries @ self._transposed).toarray(), dtype=np.float64)
