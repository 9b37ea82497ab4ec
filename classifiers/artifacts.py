"""Reading and writing model artifacts: skops files checked against an explicit type allowlist.

Nothing is ever unpickled. Before :func:`skops.io.load` runs, every type named in the file's schema is
compared with :data:`TRUSTED_TYPES`; a file that names any other type is refused with a
:class:`~pantau.domain.ModelError`.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

from pantau.domain import ModelError

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "models"

# Every type the bundled artifacts may contain: plain data, numpy arrays/scalars and logistic
# regressions. Vectorisers are stored as arrays (vocabulary, idf) and rebuilt in code, so no
# vectoriser or pipeline class needs to be trusted.
TRUSTED_TYPES: tuple[str, ...] = (
    "builtins.dict",
    "builtins.list",
    "builtins.tuple",
    "builtins.str",
    "builtins.int",
    "builtins.float",
    "builtins.bool",
    "builtins.NoneType",
    "numpy.ndarray",
    "numpy.dtype",
    "numpy.float64",
    "numpy.float32",
    "numpy.int64",
    "numpy.int32",
    "sklearn.linear_model._logistic.LogisticRegression",
)


def _schema_types(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        module, cls = node.get("__module__"), node.get("__class__")
        if isinstance(module, str) and isinstance(cls, str):
            found.add(f"{module}.{cls}")
        for value in node.values():
            _schema_types(value, found)
    elif isinstance(node, list):
        for value in node:
            _schema_types(value, found)


def types_in_file(path: Path) -> set[str]:
    """All ``module.Class`` names a skops file's schema refers to."""
    try:
        with zipfile.ZipFile(path) as archive:
            schema = json.loads(archive.read("schema.json"))
    except (OSError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: not a readable skops file ({exc})") from exc
    found: set[str] = set()
    _schema_types(schema, found)
    # numpy dtypes appear as e.g. "numpy.dtypes.Float64DType"; they are data, not code
    return {t for t in found if not t.startswith("numpy.dtypes.")}


def load_skops(path: Path, trusted: tuple[str, ...] = TRUSTED_TYPES) -> Any:
    """Load a skops file after checking that it names only trusted types."""
    import skops.io as sio

    path = Path(path)
    if not path.exists():
        raise ModelError(f"model artifact missing: {path}")
    unknown = sorted(types_in_file(path) - set(trusted))
    if unknown:
        raise ModelError(f"{path}: refusing to load untrusted types: {', '.join(unknown)}")
    needed = [t for t in sio.get_untrusted_types(file=path) if t in trusted]
    try:
        return sio.load(path, trusted=needed)
    except Exception as exc:  # skops raises several types; report one
        raise ModelError(f"{path}: could not load ({type(exc).__name__}: {exc})") from exc


def save_skops(obj: Any, path: Path) -> None:
    """Write ``obj`` as a compressed skops file and check that it only needs trusted types."""
    import skops.io as sio

    sio.dump(obj, path, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    unknown = sorted(types_in_file(path) - set(TRUSTED_TYPES))
    if unknown:
        raise ModelError(f"{path}: artifact would need untrusted types: {', '.join(unknown)}")


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
