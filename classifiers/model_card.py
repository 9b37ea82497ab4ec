"""Writes MODEL_CARD.md for a trained model; the text is :func:`classifiers.doc_tables.render_model_card`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from classifiers.doc_tables import render_model_card


def write_model_card(path: Path, manifest: Mapping, metrics: Mapping) -> None:
    Path(path).write_text(render_model_card(manifest, metrics), encoding="utf-8")
