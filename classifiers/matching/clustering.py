"""Claim clustering: items that state the same claim are grouped, incrementally and order-free.

Two items are linked when their calibrated "same claim" probability (the score of
:mod:`classifiers.matching.fusion`, a function of the two texts only) reaches the threshold; a claim
is a connected component of those links (union-find). Every new item is compared with *every*
stored item (exact, no candidate cut-off), so the links, and therefore the clusters, do not depend on
the order or the batching in which items arrive: adding items one by one gives the same clusters as
clustering them all at once.

Stance guard: two items are never linked when one negates a content word that the other asserts
("KPU menunda pilkada" / "KPU tidak menunda pilkada"; :func:`lexical.contradicting`), however close
their words are. Matching a claim against its debunk ("... tidak benar") is not affected: the guard
is a clustering rule, the index's scores are unchanged.

Order-free naming: a claim's id is its smallest member id (string order); its canonical member is the
one with the highest sum of link scores to the other members (the most central), ties by smallest id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from classifiers.matching.fusion import DEFAULT_THRESHOLD, lexical_raw, same_claim_probability
from classifiers.matching.index import Doc, MatchIndex, as_utc, encode
from classifiers.matching.lexical import PairFeaturizer, contradicting, load_slang, prepare, stance_vectors

CHUNK = 128  # new items compared per matrix product (bounds memory at CHUNK x stored items)


@dataclass(frozen=True)
class ClaimSummary:
    """One claim: its members, canonical text, first/last sighting and spread (member count)."""

    id: str
    members: tuple[str, ...]
    canonical_id: str
    canonical_text: str
    first_seen: datetime | None
    last_seen: datetime | None

    @property
    def size(self) -> int:
        return len(self.members)


class ClaimClusterer:
    """Incremental, order-independent clustering over the 'same claim' graph.

    ``threshold`` defaults to the pair-score cut (``DEFAULT_THRESHOLD``); with an index on the
    ``lexical`` or ``fused`` backend, to ``index.config.threshold`` (those backends use the same pair
    score). The ranked backend's threshold is a cut on the ranker's probability, not on the pair
    score, so it is not reused for links. With an
    ``index``, its dense encoder (fused backend) is used for the link scores, and every clustered
    item is also added to the index so it can be searched later. ``place_words`` (the region's names,
    weighed less: see :class:`~classifiers.matching.index.MatchConfig`) default to the index's.
    """

    def __init__(
        self,
        threshold: float | None = None,
        index: MatchIndex | None = None,
        *,
        place_words: Sequence[str] | None = None,
    ):
        self.index = index
        if threshold is None:  # links use the pair score: the ranker's cut means something else
            ranked = index is None or index.config.backend == "ranked"
            threshold = DEFAULT_THRESHOLD if ranked else index.config.threshold
        self.threshold = float(threshold)
        self.encoder: Any = index.encoder if index is not None else None
        self.slang = load_slang()
        if place_words is None:
            place_words = index.config.place_words if index is not None else ()
        self.featurizer = PairFeaturizer(self.slang, place_words=place_words)
        self._docs: dict[str, Doc] = {}
        self._order: list[str] = []
        self._blocks: list[_Block] = []  # stored vectors, merged like a binary counter (O(n log n))
        self._parent: dict[str, str] = {}
        self._members: dict[str, list[str]] = {}  # root -> members
        self._smallest: dict[str, str] = {}  # root -> smallest member id (the claim id)
        self._changed: set[str] = set()
        self._centrality: dict[str, float] = {}  # sum of link scores per item

    def __len__(self) -> int:
        return len(self._docs)

    # -- union-find -------------------------------------------------------------------------
    def _find(self, item: str) -> str:
        root = item
        while self._parent[root] != root:
            root = self._parent[root]
        while self._parent[item] != root:
            self._parent[item], item = root, self._parent[item]
        return root

    def _union(self, a: str, b: str) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra == rb:
            return
        smallest = min(self._smallest[ra], self._smallest[rb])
        for root in (ra, rb):
            if self._smallest[root] != smallest:  # claim ids only ever decrease when claims merge
                self._changed.update(self._members[root])
        if len(self._members[ra]) < len(self._members[rb]):
            ra, rb = rb, ra
        self._parent[rb] = ra
        self._members[ra].extend(self._members.pop(rb))
        self._smallest[ra] = smallest
        del self._smallest[rb]

    def cluster_id(self, item: str) -> str:
        """The id of the claim ``item`` belongs to (its smallest member id)."""
        return self._smallest[self._find(item)]

    # -- adding -----------------------------------------------------------------------------
    def add(self, docs: Iterable[Doc]) -> dict[str, str]:
        """Cluster new documents; return doc id -> claim id for them and for any item whose claim id
        changed because claims merged. An id already clustered is ignored (texts are immutable);
        repeated ids within one call keep the smallest text, so input order never matters."""
        fresh: dict[str, Doc] = {}
        for doc in docs:
            if doc.id in self._docs:
                continue
            if doc.id not in fresh or doc.text < fresh[doc.id].text:
                fresh[doc.id] = doc
        if not fresh:
            return {}
        new = [fresh[i] for i in sorted(fresh)]
        self._changed = set(fresh)
        prepared = [prepare(d.text, self.slang) for d in new]
        words, chars = self.featurizer.transform(prepared)
        negated, asserted = stance_vectors(prepared)
        dense = encode(self.encoder, [d.text for d in new], "query") if self.encoder is not None else None
        for doc in new:
            self._docs[doc.id] = doc
            self._order.append(doc.id)
            self._parent[doc.id] = doc.id
            self._members[doc.id] = [doc.id]
            self._smallest[doc.id] = doc.id
            self._centrality[doc.id] = 0.0
        first_new = len(self._order) - len(new)
        self._link(first_new, _Block(0, words, chars, dense, negated, asserted))
        self._blocks.append(_Block(first_new, words, chars, dense, negated, asserted))
        while len(self._blocks) > 1 and self._blocks[-1].rows * 2 >= self._blocks[-2].rows:
            last = self._blocks.pop()
            self._blocks[-1] = self._blocks[-1].merged(last)
        if self.index is not None:
            self.index.add(new)
        return {item: self.cluster_id(item) for item in sorted(self._changed)}

    def _link(self, first_new: int, new: _Block) -> None:
        """Score every new row against every stored row and every new row before it."""
        for start in range(0, new.rows, CHUNK):
            chunk = new.slice(start, min(start + CHUNK, new.rows))
            for block in self._blocks:
                self._link_pairs(first_new + start, chunk, block, block.first, block.rows)
            self._link_pairs(first_new + start, chunk, new, first_new, start + chunk.rows)

    def _link_pairs(
        self, first_row: int, chunk: _Block, other: _Block, other_first: int, other_rows: int
    ) -> None:
        """Link rows ``first_row + r`` of ``chunk`` to earlier rows ``other_first + c`` of ``other``."""
        if other_rows == 0:
            return
        words, chars = other.words[:other_rows], other.chars[:other_rows]
        raw = lexical_raw((chunk.words @ words.T).toarray(), (chunk.chars @ chars.T).toarray())
        dense_cos = None
        if chunk.dense is not None and other.dense is not None:
            dense_cos = (chunk.dense @ other.dense[:other_rows].T).ravel()
        # rounded: a·b and b·a may differ in the last bits, and a link must not depend on the order
        prob = np.round(same_claim_probability(raw.ravel(), dense_cos).reshape(raw.shape), 6)
        rows, cols = np.nonzero(prob >= self.threshold)
        keep = other_first + cols < first_row + rows  # each pair once, never an item with itself
        rows, cols = rows[keep], cols[keep]
        if rows.size:  # the stance guard, on the linked pairs only
            keep = ~contradicting(
                chunk.negated[rows], chunk.asserted[rows], other.negated[cols], other.asserted[cols]
            )
            rows, cols = rows[keep], cols[keep]
        if rows.size == 0:
            return
        scores = prob[rows, cols]
        # Linked pairs can number in the millions (many repeats of one claim): sum the link scores and
        # find the connected components with array operations, then union each component once.
        for first, where, size in ((first_row, rows, chunk.rows), (other_first, cols, other_rows)):
            sums = np.bincount(where, weights=scores, minlength=size)
            for k in np.flatnonzero(sums):
                self._centrality[self._order[first + int(k)]] += float(sums[k])
        nodes, local = np.unique(np.concatenate([first_row + rows, other_first + cols]), return_inverse=True)
        edges = sp.coo_matrix(
            (np.ones(rows.size), (local[: rows.size], local[rows.size :])), shape=(nodes.size, nodes.size)
        )
        _, labels = connected_components(edges, directed=False)
        heads: dict[int, str] = {}
        for node, label in zip(nodes.tolist(), labels.tolist(), strict=True):
            item = self._order[node]
            head = heads.setdefault(label, item)
            if head != item:
                self._union(head, item)

    # -- reading ----------------------------------------------------------------------------
    def clusters(self) -> dict[str, list[str]]:
        """Claim id -> sorted member ids."""
        return {self._smallest[root]: sorted(m) for root, m in self._members.items()}

    def claims(self) -> list[ClaimSummary]:
        """Every claim with its canonical member, first/last sighting; largest claims first."""
        out = []
        for members in self._members.values():
            ordered = sorted(members)
            canonical = min(ordered, key=lambda m: (-round(self._centrality[m], 4), m))
            times = [t for t in (as_utc(self._docs[m].published_at) for m in ordered) if t is not None]
            out.append(
                ClaimSummary(
                    id=ordered[0],
                    members=tuple(ordered),
                    canonical_id=canonical,
                    canonical_text=self._docs[canonical].text,
                    first_seen=min(times) if times else None,
                    last_seen=max(times) if times else None,
                )
            )
        return sorted(out, key=lambda c: (-c.size, c.id))


@dataclass(frozen=True)
class _Block:
    """Vectors of consecutive stored rows starting at row ``first``."""

    first: int
    words: sp.csr_matrix
    chars: sp.csr_matrix
    dense: np.ndarray | None
    negated: sp.csr_matrix
    asserted: sp.csr_matrix

    @property
    def rows(self) -> int:
        return int(self.words.shape[0])

    def slice(self, start: int, stop: int) -> _Block:
        dense = self.dense[start:stop] if self.dense is not None else None
        return _Block(
            self.first + start,
            self.words[start:stop],
            self.chars[start:stop],
            dense,
            self.negated[start:stop],
            self.asserted[start:stop],
        )

    def merged(self, after: _Block) -> _Block:
        dense = np.vstack([self.dense, after.dense]) if self.dense is not None else None
        return _Block(
            self.first,
            sp.vstack([self.words, after.words], format="csr"),
            sp.vstack([self.chars, after.chars], format="csr"),
            dense,
            sp.vstack([self.negated, after.negated], format="csr"),
            sp.vstack([self.asserted, after.asserted], format="csr"),
        )


def cluster(
    docs: Sequence[Doc], threshold: float | None = None, *, place_words: Sequence[str] = ()
) -> dict[str, list[str]]:
    """Batch clustering: claim id -> member ids (the same result as adding the docs one by one)."""
    clusterer = ClaimClusterer(threshold, place_words=place_words)
    clusterer.add(docs)
    return clusterer.clusters()
