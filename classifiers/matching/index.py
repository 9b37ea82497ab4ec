"""The known-hoax matching index: add fact-checks incrementally, search items against them.

Search runs in two stages. BM25 over content words (and, with the fused backend, the dense cosine)
proposes candidates among the documents that pass the recency filter; each candidate is then scored
with the calibrated "same claim" probability of :mod:`classifiers.matching.fusion`, which depends
on the two texts only. Results are ordered by that probability, ties by BM25 and then by id.

The recency filter keeps fact-checks published at most ``recent_days`` days before the item's time
(``at``; the current time when the item has none). Fact-checks published after the item are kept
(a later debunk still answers an earlier post), and so are fact-checks without a date.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import scipy.sparse as sp

from classifiers.matching.fusion import DEFAULT_THRESHOLD, lexical_raw, same_claim_probability
from classifiers.matching.lexical import (
    BM25Index,
    PairFeaturizer,
    WordTfidf,
    content_words,
    load_slang,
    prepare,
)
from classifiers.matching.ranker import FEATURES, Ranker, candidate_features, load_ranker, numbers
from pantau.domain.errors import ModelError, UnknownKindError

BACKENDS = ("ranked", "lexical", "fused")
CANDIDATES = 50  # per retriever; rescoring more rarely changes the top 5 and costs latency
QUERY_CHUNK = 256  # queries scored per matrix product in search_many ...
MAX_CELLS = 2_000_000  # ... fewer when queries x stored rows would exceed this (16 MB per matrix)


@dataclass(frozen=True)
class Doc:
    """A text to index or cluster; ``published_at`` is timezone-aware UTC (naive is read as UTC)."""

    id: str
    text: str
    published_at: datetime | None = None


@dataclass(frozen=True)
class Match:
    """A matched document and the calibrated probability that it states the same claim."""

    id: str
    score: float


@dataclass(frozen=True)
class MatchConfig:
    """``threshold``: the 'same claim' cut (None: the backend's own, see :func:`default_threshold`);
    ``recent_days``: recency window (None = all dates); ``backend``: ``ranked`` (the learned ranker,
    default), ``lexical`` (the corpus-free pair score alone) or ``fused`` (pair score + dense cosine);
    ``place_words``: the monitored region's names (``PantauConfig.region_names()``: "Sampang",
    "Madura", ...), which nearly every item contains and so weigh less (see ``lexical.DOMAIN_WORDS``)."""

    threshold: float | None = None
    recent_days: int | None = 365
    backend: str = "ranked"
    place_words: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.threshold is None:
            object.__setattr__(self, "threshold", default_threshold(self.backend))


def default_threshold(backend: str) -> float:
    """The alert cut of a backend: the bundled ranker's (chosen on inner folds for precision 0.9,
    ``matching_ranker.json``) for ``ranked``, :data:`DEFAULT_THRESHOLD` for the pair score."""
    if backend == "ranked":
        try:
            return load_ranker().threshold
        except ModelError:
            return DEFAULT_THRESHOLD
    return DEFAULT_THRESHOLD


def as_utc(moment: datetime | None) -> datetime | None:
    """Timezone-aware UTC (a naive datetime is taken to be UTC)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def encode(encoder: Any, texts: Sequence[str], kind: str) -> np.ndarray:
    """Dense rows from any object with ``encode(texts)``; ``kind`` (query/passage) when supported."""
    try:
        rows = encoder.encode(list(texts), kind=kind)
    except TypeError:
        rows = encoder.encode(list(texts))
    rows = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms > 0, norms, 1.0)


class MatchIndex:
    """Fact-checks (or any claims) to match new items against. Re-adding an id replaces it."""

    def __init__(
        self, config: MatchConfig | None = None, encoder: Any = None, *, ranker: Ranker | None = None
    ):
        config = config or MatchConfig()
        if config.backend not in BACKENDS:
            raise UnknownKindError("matching backend", config.backend, list(BACKENDS))
        if config.backend == "fused" and encoder is None:
            raise ModelError(
                "the 'fused' matching backend needs a dense encoder (classifiers.embeddings.load_encoder)"
            )
        self.config = config
        self.encoder = encoder if config.backend == "fused" else None
        self.slang = load_slang()
        self.featurizer = PairFeaturizer(self.slang, place_words=config.place_words)
        self.bm25 = BM25Index()
        self._ids: list[str] = []
        self._row_of: dict[str, int] = {}
        self._content: list[str] = []  # content words per row: enough to rebuild the pair features
        self._times = np.zeros(0, dtype=np.float64)  # POSIX seconds, NaN = unknown
        self._alive = np.zeros(0, dtype=bool)
        self._dense: list[np.ndarray] = []
        self._all: tuple[sp.csr_matrix, sp.csr_matrix] | None = None  # every row's pair vectors
        self.ranker = None
        if config.backend == "ranked":
            self.ranker = ranker or load_ranker()
        self.words = WordTfidf(place_words=config.place_words) if config.backend == "ranked" else None
        self._numbers: list[frozenset[str]] = []

    def __len__(self) -> int:
        return len(self._row_of)

    @property
    def ids(self) -> list[str]:
        return sorted(self._row_of)

    def add(self, docs: Iterable[Doc]) -> None:
        """Index documents (in batches of any size); an id already present is replaced."""
        batch = list(docs)
        if not batch:
            return
        latest: dict[str, Doc] = {}
        for doc in batch:
            latest[doc.id] = doc  # the last of repeated ids in one batch wins
        batch = list(latest.values())
        replaced = [self._row_of[d.id] for d in batch if d.id in self._row_of]
        if replaced:
            self._alive[replaced] = False
            self.bm25.retire(replaced)
            if self.words is not None:
                self.words.retire(replaced)
        prepared = [prepare(d.text, self.slang) for d in batch]
        start = len(self._ids)
        for offset, doc in enumerate(batch):
            self._row_of[doc.id] = start + offset
        self._ids.extend(d.id for d in batch)
        self._content.extend(" ".join(content_words(p)) for p in prepared)
        times = [as_utc(d.published_at) for d in batch]
        self._times = np.concatenate([self._times, [t.timestamp() if t else math.nan for t in times]])
        self._alive = np.concatenate([self._alive, np.ones(len(batch), dtype=bool)])
        self.bm25.add(prepared)
        if self.words is not None:
            self.words.add([d.text for d in batch])
            self._numbers.extend(numbers(d.text) for d in batch)
        if self.encoder is not None:
            self._dense.append(encode(self.encoder, [d.text for d in batch], "passage"))

    def _dense_matrix(self) -> np.ndarray:
        if len(self._dense) > 1:
            self._dense = [np.vstack(self._dense)]
        return self._dense[0]

    def _allowed(self, at: datetime | None) -> np.ndarray:
        if self.config.recent_days is None:
            return self._alive
        moment = as_utc(at) or datetime.now(UTC)
        oldest = (moment - timedelta(days=self.config.recent_days)).timestamp()
        with np.errstate(invalid="ignore"):
            recent = np.isnan(self._times) | (self._times >= oldest)
        return self._alive & recent

    def search(self, text: str, k: int = 5, *, at: datetime | None = None) -> list[Match]:
        """The ``k`` best matches for one text, best first (any score; filter on ``config.threshold``)."""
        return self.search_many([text], k, at=[at])[0]

    def search_many(
        self, texts: Sequence[str], k: int = 5, *, at: Sequence[datetime | None] | None = None
    ) -> list[list[Match]]:
        """:meth:`search` for several texts, in batches of :data:`QUERY_CHUNK` queries: BM25 scores,
        pair vectors and cosines are matrix products over the whole batch (the same candidates, scores
        and order as searching one text at a time)."""
        if k < 1:
            if at is not None and len(at) != len(texts):
                raise ValueError(f"'at' has {len(at)} entries for {len(texts)} texts")
            return [[] for _ in texts]
        results: list[list[Match]] = []
        for rows, bm25, features in self._scored(texts, at):
            if rows.size == 0:
                results.append([])
                continue
            probability = self._probability(features)
            order = sorted(
                range(rows.size), key=lambda j: (-probability[j], -bm25[rows[j]], self._ids[rows[j]])
            )[:k]
            results.append([Match(self._ids[rows[j]], float(probability[j])) for j in order])
        return results

    def ranker_candidates(
        self, texts: Sequence[str], *, at: Sequence[datetime | None] | None = None
    ) -> list[tuple[list[str], np.ndarray]]:
        """Per text: (candidate ids, ranker feature matrix), for training and evaluating the ranker
        (``ranked`` backend only)."""
        if self.ranker is None and self.config.backend != "ranked":
            raise ModelError("ranker_candidates needs the 'ranked' backend")
        return [([self._ids[r] for r in rows], features) for rows, _, features in self._scored(texts, at)]

    def _probability(self, features: np.ndarray) -> np.ndarray:
        if self.ranker is not None:
            return self.ranker.probability(features)
        if features.shape[1] == 2:
            return same_claim_probability(features[:, 0], features[:, 1])
        return same_claim_probability(features[:, 0])

    def _scored(self, texts: Sequence[str], at: Sequence[datetime | None] | None):
        """Yield (candidate rows, BM25 of all rows, features of the candidates) per text, in order.
        Features: the ranker's (``ranked``), else the pair score (and dense cosine when fused)."""
        if at is not None and len(at) != len(texts):
            raise ValueError(f"'at' has {len(at)} entries for {len(texts)} texts")
        if not self._row_of:
            width = len(FEATURES) if self.words is not None else 1 + (self.encoder is not None)
            for _ in texts:
                yield np.zeros(0, dtype=int), np.zeros(0), np.zeros((0, width))
            return
        dense_queries = encode(self.encoder, texts, "query") if self.encoder is not None else None
        doc_words, doc_chars = self._all_vectors()
        chunk = max(1, min(QUERY_CHUNK, MAX_CELLS // max(len(self._ids), 1)))
        for start in range(0, len(texts), chunk):
            stop = min(start + chunk, len(texts))
            prepared = [prepare(t, self.slang) for t in texts[start:stop]]
            bm25 = self.bm25.scores_many(prepared)
            if self.words is not None:  # ranked: the pair feature is the word part alone
                lexical = _dense(self.featurizer.word_vectors(prepared) @ doc_words)
            else:
                query_words, query_chars = self.featurizer.transform(prepared)
                lexical = lexical_raw(_dense(query_words @ doc_words), _dense(query_chars @ doc_chars))
            word_all = self.words.cosines(texts[start:stop]) if self.words is not None else None
            dense_all = None
            if dense_queries is not None:
                dense_all = dense_queries[start:stop] @ self._dense_matrix().T
            for i in range(stop - start):
                allowed = self._allowed(at[start + i] if at is not None else None)
                rows = _top(np.where(allowed & (bm25[i] > 0), bm25[i], -np.inf), CANDIDATES)
                if word_all is not None:
                    rows = np.union1d(
                        rows, _top(np.where(allowed & (word_all[i] > 0), word_all[i], -np.inf), CANDIDATES)
                    )
                if dense_all is not None:
                    rows = np.union1d(rows, _top(np.where(allowed, dense_all[i], -np.inf), CANDIDATES))
                if word_all is not None:
                    features = candidate_features(
                        word_all[i],
                        allowed,
                        rows,
                        bm25[i],
                        lexical[i][rows],
                        numbers(texts[start + i]),
                        [self._numbers[r] for r in rows],
                    )
                elif dense_all is not None:
                    features = np.column_stack([lexical[i][rows], dense_all[i][rows]])
                else:
                    features = lexical[i][rows][:, None]
                yield rows, bm25[i], features

    def _all_vectors(self) -> tuple[sp.csr_matrix, sp.csr_matrix | None]:
        """Pair vectors of every stored row (rebuilt only after :meth:`add`); the ranked backend keeps
        the word part only (chars None)."""
        if self._all is None or self._all[0].shape[1] != len(self._ids):
            if self.words is not None:
                self._all = (self.featurizer.word_vectors(self._content), None)
            else:
                self._all = self.featurizer.transform(self._content)
            # stored transposed (features x rows, CSR): a query row times it needs no conversion
            self._all = tuple(None if m is None else sp.csr_matrix(m.T) for m in self._all)
        return self._all

    def candidate_features(
        self, text: str, k: int = 10, *, at: datetime | None = None
    ) -> list[tuple[str, float, float | None]]:
        """The top ``k`` candidates as (id, lexical raw, dense cosine or None), for calibrating the
        pair score (``lexical``/``fused`` backends)."""
        if self.words is not None:
            raise ModelError(
                "candidate_features calibrates the pair score: use the lexical or fused "
                "backend (the ranker has ranker_candidates)"
            )
        rows, bm25, features = next(self._scored([text], [at]))
        probability = self._probability(features)
        order = sorted(range(rows.size), key=lambda j: (-probability[j], -bm25[rows[j]], self._ids[rows[j]]))
        return [
            (
                self._ids[rows[j]],
                float(features[j, 0]),
                float(features[j, 1]) if features.shape[1] > 1 else None,
            )
            for j in order[:k]
        ]


def _dense(product: sp.spmatrix) -> np.ndarray:
    return np.asarray(product.toarray(), dtype=np.float64)


def _top(scores: np.ndarray, n: int) -> np.ndarray:
    """Row numbers of the ``n`` highest finite scores (unordered)."""
    finite = np.flatnonzero(np.isfinite(scores))
    if finite.size <= n:
        return finite
    return finite[np.argpartition(-scores[finite], n - 1)[:n]]
