"""Near-duplicate clusters across all training texts, computed before any split.

Two texts are near-copies (design choice, fixed before any split was measured; the definition is the
one the leakage audit of issue 12 used) when, after :func:`dedup_tokens` (lower case, URLs and
punctuation removed):

* their token sequences are identical, or
* both have at least :data:`SHINGLE` tokens and at least :data:`CONTAINMENT` of the smaller text's
  8-token shingles occur in the other (containment, so a claim quoted inside a fact-check report is a
  copy of that claim). Shingles found in more than :data:`MAX_SHINGLE_DF` texts are boilerplate
  ("Baca juga ...", a site's footer) and are not counted as shared.

Near-copy pairs are joined transitively (union-find) into clusters. A cluster's key is the smallest
SHA-1 of its members' normalised texts, so it does not depend on the order the files were read in.
Evaluation keeps a cluster on one side of every split (:func:`purge`), and the sealed evaluation set
is chosen by the cluster key (:func:`is_sealed`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SHINGLE = 8
CONTAINMENT = 0.5
MAX_SHINGLE_DF = 25
SEALED_PERCENT = 10  # share of clusters (by key hash) kept out of training and threshold choice

_URL = re.compile(r"https?://\S+|www\.\S+", re.I)
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


def dedup_tokens(text: str) -> list[str]:
    """Lower-cased word tokens without URLs and punctuation."""
    return _TOKEN.findall(_URL.sub(" ", text or "").lower())


def text_key(tokens: Sequence[str]) -> str:
    return hashlib.sha1(" ".join(tokens).encode("utf-8")).hexdigest()


def is_sealed(cluster_key: str, percent: int = SEALED_PERCENT) -> bool:
    """Whether a cluster belongs to the sealed evaluation share (a fixed hash rule, about ``percent``%
    of the clusters of every source)."""
    return int(hashlib.sha256(f"sealed:{cluster_key}".encode()).hexdigest()[:8], 16) % 100 < percent


class _UnionFind:
    def __init__(self, n: int):
        self.parent = np.arange(n)

    def find(self, i: int) -> int:
        parent = self.parent
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return int(root)

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@dataclass
class Clusters:
    """The cluster key of every input text (parallel to the texts given to :func:`near_duplicate_clusters`)
    and how the clusters came about."""

    keys: list[str]
    exact_pairs: int
    shingle_pairs: int

    @property
    def n_clusters(self) -> int:
        return len(set(self.keys))

    def summary(self) -> dict[str, int]:
        sizes = np.bincount(np.unique(self.keys, return_inverse=True)[1])
        return {
            "texts": len(self.keys),
            "clusters": int(sizes.size),
            "texts_in_multi_clusters": int(sizes[sizes > 1].sum()),
            "largest_cluster": int(sizes.max()),
            "exact_copies_joined": self.exact_pairs,
            "shingle_pairs_joined": self.shingle_pairs,
        }


def near_duplicate_clusters(texts: Sequence[str], owners: Sequence[int] | None = None) -> Clusters:
    """Cluster ``texts`` by the near-copy rule of this module.

    ``owners`` (optional, one id per text): texts with the same owner are joined whatever they say, so
    a row can be given as several texts (its whole text, the window a model reads, its sections) and a
    copy of any of them joins the row's cluster."""
    tokens = [dedup_tokens(t) for t in texts]
    exact = [text_key(t) for t in tokens]
    uf = _UnionFind(len(texts))
    if owners is not None:
        seen: dict[int, int] = {}
        for i, owner in enumerate(owners):
            uf.union(i, seen.setdefault(owner, i))
    first: dict[str, int] = {}
    exact_pairs = 0
    for i, key in enumerate(exact):
        j = first.setdefault(key, i)
        if j != i and uf.find(i) != uf.find(j):
            uf.union(i, j)
            exact_pairs += 1
    shingle_pairs = _join_shingle_copies(tokens, [first[k] == i for i, k in enumerate(exact)], uf)
    members: dict[int, list[int]] = {}
    for i in range(len(texts)):
        members.setdefault(uf.find(i), []).append(i)
    keys = [""] * len(texts)
    for group in members.values():
        key = min(exact[i] for i in group)
        for i in group:
            keys[i] = key
    return Clusters(keys=keys, exact_pairs=exact_pairs, shingle_pairs=shingle_pairs)


def _join_shingle_copies(tokens: list[list[str]], representative: list[bool], uf: _UnionFind) -> int:
    """Union texts sharing at least CONTAINMENT of the smaller one's shingles (one text per exact copy)."""
    docs, hashes, sizes = [], [], {}
    for i, toks in enumerate(tokens):
        if not representative[i] or len(toks) < SHINGLE:
            continue
        grams = {hash(" ".join(toks[k : k + SHINGLE])) for k in range(len(toks) - SHINGLE + 1)}
        sizes[i] = len(grams)
        docs.extend([i] * len(grams))
        hashes.extend(grams)
    if not docs:
        return 0
    d = np.asarray(docs, dtype=np.int64)
    h = np.asarray(hashes, dtype=np.int64)
    order = np.argsort(h, kind="stable")
    h, d = h[order], d[order]
    starts = np.flatnonzero(np.r_[True, h[1:] != h[:-1]])
    counts = np.diff(np.r_[starts, h.size])
    pair_keys = []
    n = len(tokens)
    for start, count in zip(
        starts[(counts > 1) & (counts <= MAX_SHINGLE_DF)],
        counts[(counts > 1) & (counts <= MAX_SHINGLE_DF)],
        strict=True,
    ):
        group = np.sort(d[start : start + count])
        a, b = np.triu_indices(count, k=1)
        pair_keys.append(group[a] * n + group[b])
    if not pair_keys:
        return 0
    shared_keys, shared = np.unique(np.concatenate(pair_keys), return_counts=True)
    joined = 0
    for key, count in zip(shared_keys.tolist(), shared.tolist(), strict=True):
        a, b = divmod(key, n)
        if count >= CONTAINMENT * min(sizes[a], sizes[b]):
            if uf.find(a) != uf.find(b):
                joined += 1
            uf.union(a, b)
    return joined


def purge(
    train: np.ndarray, test: np.ndarray, clusters: np.ndarray, y: np.ndarray | None = None
) -> tuple[np.ndarray, dict[str, int]]:
    """``train`` without the rows whose cluster has a row in ``test``, and the near-copy counts.

    ``train``/``test`` are boolean masks over the rows of one set, ``clusters`` their cluster keys and
    ``y`` (optional) their labels, to count held-out positives with a copy on the training side."""

    def with_copy_in(mask: np.ndarray) -> np.ndarray:
        return test & np.isin(clusters, np.unique(clusters[mask]))

    touching = train & np.isin(clusters, np.unique(clusters[test]))
    kept = train & ~touching
    before, after = with_copy_in(train), with_copy_in(kept)
    out = {
        "train_rows_dropped": int(touching.sum()),
        "test_rows_with_copy_before": int(before.sum()),
        "test_rows_with_copy_after": int(after.sum()),
    }
    if y is not None:
        pos = np.asarray(y) == 1
        out["test_positives"] = int((test & pos).sum())
        out["test_positives_with_copy_before"] = int((before & pos).sum())
    return kept, out
