"""Number and table formatting shared by the generated docs (:mod:`classifiers.doc_tables`,
:mod:`classifiers.doc_blocks`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

DASH = "–"


def num(value: Any, digits: int = 3) -> str:
    """A number as the tables print it: floats to ``digits`` places, ints as they are, else ``–``."""
    if isinstance(value, bool) or value is None:
        return DASH
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return DASH


def _get(m: Mapping | None, key: str) -> Any:
    m = m or {}
    if key == "pr_auc" and m.get(key) is None:  # the name in metrics.json files before the nested protocol
        return m.get("avg_precision")
    return m.get(key)


def prf(m: Mapping | None) -> str:
    """``precision / recall / F1``."""
    return " / ".join(num(_get(m, k)) for k in ("precision", "recall", "f1"))


def aucs(m: Mapping | None) -> str:
    """``ROC AUC / PR AUC``."""
    return " / ".join(num(_get(m, k)) for k in ("roc_auc", "pr_auc"))


def table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
