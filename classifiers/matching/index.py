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
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import scipy.sparse as sp

from classifiers.matching.fusion import DEFAULT_THRESHOLD, lexical_raw, same_claim_probability
from classifiers.matching.lexical import BM25Index, PairFeaturizer, content_words, load_slang, prepare
from pantau.domain.errors import ModelError, UnknownKindError

BACKENDS = ("lexical", "fused")
CANDIDATES = 50  # per retriever; rescoring more rarely changes the top 5 and costs latency
QUERY_CHUNK = 256  # queries scored per matrix product in search_many ...
MAX_CELLS = 2_000_000  # ... fewer when queries x stored rows would exceed this (16 MB per matrix)
CACHED_ROWS = 4096  # pair vectors kept per index (about 20 KB each for a 2,000-character text)


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
    """``threshold``: the 'same claim' cut; ``recent_days``: recency window (None = all dates);
    ``place_words``: the monitored region's names (``PantauConfig.region_names()``: "Sampang",
    "Madura", ...), which nearly every item contains and so weigh less (see ``lexical.DOMAIN_WORDS``)."""

    threshold: float = DEFAULT_THRESHOLD
    recent_days: int | None = 365
    backend: str = "lexical"
    place_words: tuple[str, ...] = ()


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

    def __init__(self, config: MatchConfig = MatchConfig(), encoder: Any = None):
        if config.backend not in BACKENDS:
            raise UnknownKindError("matching backend", config.backend, list(BACKENDS))
        if config.backend == "fused" and encoder is None:
            raise ModelError("the 'fused' matching backend needs a dense encoder "
                             "(classifiers.embeddings.load_encoder)")
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
        self._vectors: OrderedDict[int, tuple[sp.csr_matrix, sp.csr_matrix]] = OrderedDict()  # LRU
        self._all: tuple[sp.csr_matrix, sp.csr_matrix] | None = None  # every row's pair vectors

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

    def search_many(self, texts: Sequence[str], k: int = 5, *,
                    at: Sequence[datetime | None] | None = None) -> list[list[Match]]:
        """:meth:`search` for several texts, in batches of :data:`QUERY_CHUNK` queries: BM25 scores,
        pair vectors and cosines are matrix products over the whole batch (the same candidates, scores
        and order as searching one text at a time)."""
        if at is not None and len(at) != len(texts):
            raise ValueError(f"'at' has {len(at)} entries for {len(texts)} texts")
        if k < 1 or not self._row_of or not texts:
            return [[] for _ in texts]
        dense_queries = encode(self.encoder, texts, "query") if self.encoder is not None else None
        doc_words, doc_chars = self._all_vectors()
        results: list[list[Match]] = []
        chunk = max(1, min(QUERY_CHUNK, MAX_CELLS // max(len(self._ids), 1)))
        for start in range(0, len(texts), chunk):
            stop = min(start + chunk, len(texts))
            prepared = [prepare(t, self.slang) for t in texts[start:stop]]
            bm25 = self.bm25.scores_many(prepared)
            query_words, query_chars = self.featurizer.transform(prepared)
            lexical = lexical_raw(_dense(query_words @ doc_words.T), _dense(query_chars @ doc_chars.T))
            dense_all = None
            if dense_queries is not None:
                dense_all = dense_queries[start:stop] @ self._dense_matrix().T
            for i in range(stop - start):
                allowed = self._allowed(at[start + i] if at is not None else None)
                rows = _top(np.where(allowed & (bm25[i] > 0), bm25[i], -np.inf), CANDIDATES)
                if dense_all is not None:
                    rows = np.union1d(rows, _top(np.where(allowed, dense_all[i], -np.inf), CANDIDATES))
                if rows.size == 0:
                    results.append([])
                    continue
                dense = dense_all[i][rows] if dense_all is not None else None
                probability = same_claim_probability(lexical[i][rows], dense)
                order = sorted(range(rows.size),
                               key=lambda j: (-probability[j], -bm25[i][rows[j]], self._ids[rows[j]]))[:k]
                results.append([Match(self._ids[rows[j]], float(probability[j])) for j in order])
        return results

    def _all_vectors(self) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """Pair vectors of every stored row (rebuilt only after :meth:`add`)."""
        if self._all is None or self._all[0].shape[0] != len(self._ids):
            self._all = self.featurizer.transform(self._content)
        return self._all

    def _candidates(self, text: str, allowed: np.ndarray,
                    query_dense: np.ndarray | None) -> tuple[str, np.ndarray, np.ndarray, np.ndarray | None]:
        """(prepared query, candidate rows, BM25 of all rows, dense cosine of all rows or None)."""
        prepared = prepare(text, self.slang)
        bm25 = self.bm25.scores(prepared)
        rows = _top(np.where(allowed & (bm25 > 0), bm25, -np.inf), CANDIDATES)
        dense_all = None
        if query_dense is not None:
            dense_all = self._dense_matrix() @ query_dense
            rows = np.union1d(rows, _top(np.where(allowed, dense_all, -np.inf), CANDIDATES))
        return prepared, rows, bm25, dense_all

    def _ranked(self, text: str, allowed: np.ndarray,
                query_dense: np.ndarray | None) -> list[tuple[int, float, float, float | None]]:
        """Candidates as (row, probability, lexical raw, dense cosine or None), best first."""
        prepared, rows, bm25, dense_all = self._candidates(text, allowed, query_dense)
        if rows.size == 0:
            return []
        lexical, dense = self.raw_similarities(prepared, rows, dense_all)
        probability = same_claim_probability(lexical, dense)
        order = sorted(range(rows.size), key=lambda j: (-probability[j], -bm25[rows[j]], self._ids[rows[j]]))
        return [(int(rows[j]), float(probability[j]), float(lexical[j]),
                 None if dense is None else float(dense[j])) for j in order]

    def _search_one(self, text: str, k: int, allowed: np.ndarray,
                    query_dense: np.ndarray | None) -> list[Match]:
        return [Match(self._ids[row], p) for row, p, _, _ in self._ranked(text, allowed, query_dense)[:k]]

    def raw_similarities(self, prepared: str, rows: np.ndarray,
                         dense_all: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
        """Uncalibrated (lexical raw, dense cosine or None) of a prepared query against stored rows."""
        query_words, query_chars = self.featurizer.transform([prepared])
        doc_words, doc_chars = self._row_vectors(rows)
        lexical = lexical_raw(_cosines(query_words, doc_words), _cosines(query_chars, doc_chars))
        return lexical, (dense_all[rows] if dense_all is not None else None)

    def _row_vectors(self, rows: np.ndarray) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """Pair vectors of stored rows, from an LRU cache of :data:`CACHED_ROWS` rows (a small
        fact-check store is fully cached; a large one keeps the candidates that come up often)."""
        missing = [int(r) for r in rows if int(r) not in self._vectors]
        if missing:
            words, chars = self.featurizer.transform([self._content[r] for r in missing])
            for i, row in enumerate(missing):
                self._vectors[row] = (words[i], chars[i])
        pairs = []
        for row in rows:
            self._vectors.move_to_end(int(row))
            pairs.append(self._vectors[int(row)])
        while len(self._vectors) > CACHED_ROWS:
            self._vectors.popitem(last=False)
        return (sp.vstack([w for w, _ in pairs], format="csr"),
                sp.vstack([c for _, c in pairs], format="csr"))

    def candidate_features(self, text: str, k: int = 10, *,
                           at: datetime | None = None) -> list[tuple[str, float, float | None]]:
        """The top ``k`` candidates as (id, lexical raw, dense cosine or None), for calibration."""
        query_dense = encode(self.encoder, [text], "query")[0] if self.encoder is not None else None
        ranked = self._ranked(text, self._allowed(at), query_dense)[:k]
        return [(self._ids[row], lexical, dense) for row, _, lexical, dense in ranked]


def _cosines(query: sp.csr_matrix, docs: sp.csr_matrix) -> np.ndarray:
    """Cosine of one L2-normalised query row with each L2-normalised document row."""
    return np.asarray((docs @ query.T).toarray(), dtype=np.float64).ravel()


def _dense(product: sp.spmatrix) -> np.ndarray:
    return np.asarray(product.toarray(), dtype=np.float64)


def _top(scores: np.ndarray, n: int) -> np.ndarray:
    """Row numbers of the ``n`` highest finite scores (unordered)."""
    finite = np.flatnonzero(np.isfinite(scores))
    if finite.size <= n:
        return finite
    return finite[np.argpartition(-scores[finite], n - 1)[:n]]
