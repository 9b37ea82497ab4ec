"""The storage layer imports only pantau.domain, SQLAlchemy, Alembic and the standard library."""

from __future__ import annotations

import ast
from pathlib import Path

import storage

FORBIDDEN = ("prefect", "flows", "sources", "classifiers", "pantau.cli", "pantau.settings", "pantau.web")


def test_storage_imports_point_down_only():
    root = Path(storage.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                if any(name == f or name.startswith(f + ".") for f in FORBIDDEN):
                    offenders.append(f"{path.relative_to(root)}: {name}")
    assert offenders == []
