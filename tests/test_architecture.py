"""Imports point one way: pantau.cli / flows -> sources, classifiers, storage -> pantau.domain.

Read from the source with ``ast`` (nothing is imported), so a forbidden import fails here even if
it sits in a function body.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# package -> top-level names it must never import
FORBIDDEN = {
    "pantau/domain": {
        "sources",
        "classifiers",
        "storage",
        "flows",
        "prefect",
        "pantau.cli",
        "pantau.settings",
        "sqlalchemy",
    },
    "sources": {"classifiers", "storage", "flows", "prefect", "pantau.cli", "pantau.settings"},
    "classifiers": {
        "sources",
        "storage",
        "flows",
        "prefect",
        "pantau.cli",
        "pantau.settings",
        "torch",
        "transformers",
    },
    "storage": {"sources", "classifiers", "flows", "prefect", "pantau.cli", "pantau.settings"},
    "flows": {"pantau.cli", "pantau.web"},
    "pantau/web": {"flows", "pantau.cli", "prefect"},
}
# Heavy libraries may be imported lazily (inside functions) in these modules only.
LAZY_HEAVY_ALLOWED = {"classifiers/transformer_backend.py", "classifiers/embeddings.py"}


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(module, at_top_level) for every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(n) for n in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, id(node) in top) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, id(node) in top))
    return found


def _violates(module: str, banned: set[str]) -> str | None:
    return next((b for b in banned if module == b or module.startswith(b + ".")), None)


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_one_way(package):
    problems = []
    for path in sorted((ROOT / package).rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for module, at_top in _imports(path):
            banned = FORBIDDEN[package]
            if rel in LAZY_HEAVY_ALLOWED and not at_top:
                banned = banned - {"torch", "transformers"}
            hit = _violates(module, banned)
            if hit:
                problems.append(f"{rel} imports {module}")
    assert not problems, "\n".join(problems)


def test_every_module_has_a_docstring():
    missing = []
    for package in ("pantau", "flows", "classifiers", "sources", "storage"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations/versions" in path.as_posix():
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            if path.stat().st_size and not ast.get_docstring(tree):
                missing.append(path.relative_to(ROOT).as_posix())
    assert not missing, missing
