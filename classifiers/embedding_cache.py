"""Embeddings cached on disk, keyed by a hash of the text: one ``.npz`` per (encoder, kind).

Embedding the ~10,000 texts of a signal set takes a quarter of an hour on one core, so training the
opt-in second stage (:mod:`classifiers.second_stage`) and the experiments under ``benchmarks/`` keep
what they embedded and reuse it. The cache holds vectors only (and text hashes), never the texts.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from classifiers.embeddings import Encoder

DEFAULT_CACHE = Path("/tmp/pantau-embeddings")


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()[:20]


class EmbeddingCache:
    """Embeddings keyed by text hash, saved after every chunk as it grows."""

    def __init__(self, directory: Path, encoder: Encoder, kind: str):
        self.path = Path(directory) / f"{encoder.name}-{kind}.npz"
        self.encoder, self.kind = encoder, kind
        self.rows: dict[str, np.ndarray] = {}
        if self.path.exists():
            with np.load(self.path) as stored:
                self.rows = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))

    def missing(self, texts: Sequence[str]) -> int:
        return len({text_key(t) for t in texts} - set(self.rows))

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(list(self.rows)), vectors=np.stack(list(self.rows.values())))
        tmp.replace(self.path)

    def get(
        self, texts: Sequence[str], chunk: int = 512, progress: Callable[[str], None] | None = print
    ) -> np.ndarray:
        """One row per text, in order; texts not cached yet are embedded first (with progress)."""
        keys = [text_key(t) for t in texts]
        todo = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in self.rows))
        started = time.time()
        for i in range(0, len(todo), chunk):
            part = todo[i : i + chunk]
            for text, row in zip(part, self.encoder.encode(part, kind=self.kind), strict=True):
                self.rows[text_key(text)] = row
            self._save()
            done = i + len(part)
            if progress:
                progress(f"  embedded {done}/{len(todo)} new texts ({done / (time.time() - started):.1f}/s)")
        return np.stack([self.rows[k] for k in keys]) if keys else np.zeros((0, self.encoder.dim), np.float32)
