"""Per-process caches of heavy resources (database engines, loaded models), keyed by plain values.

Tasks receive plain data (a database URL, a model directory) and look the resource up here, so
nothing unpicklable crosses a task boundary and each process migrates a database and loads a
model once.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

_engines: dict[str, Engine] = {}
_classifiers: dict[tuple[str | None, tuple[str, ...], bool], Any] = {}
_lock = threading.Lock()


def engine_for(database_url: str) -> Engine:
    """One engine per URL per process, migrated to the latest schema on first use."""
    with _lock:
        engine = _engines.get(database_url)
        if engine is None:
            from storage.db import make_engine, migrate

            engine = make_engine(database_url)
            migrate(engine)
            _engines[database_url] = engine
        return engine


def classifier_for(model_dir: str | None, places: Sequence[str] = (), second_stage: bool = False):
    """The signal classifier from ``model_dir`` (None: the bundled model) with the region's place
    names for its rules (``PantauConfig.place_names()``) and, when asked, the opt-in hoax second stage
    (``classifier.second_stage``), loaded once per combination."""
    key = (model_dir, tuple(places), bool(second_stage))
    with _lock:
        model = _classifiers.get(key)
        if model is None:
            from classifiers import load_classifier

            model = load_classifier(
                Path(model_dir) if model_dir else None, places=key[1], second_stage=key[2]
            )
            _classifiers[key] = model
        return model


def region_classifier(model_dir: str | None, region: Any):
    """:func:`classifier_for` with what the region config (``PantauConfig``) says of the classifier: its
    place names for the rules and ``classifier.second_stage``."""
    return classifier_for(model_dir, region.place_names(), region.classifier.second_stage)


def reset() -> None:
    """Dispose cached engines and forget models (tests, or after a model was retrained)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _classifiers.clear()
