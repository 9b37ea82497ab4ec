"""Understanding texts: normalisation, language id, the seven signal scores and their explanations.

Importing this package is cheap; models load on :func:`load_classifier`, scikit-learn and skops are
imported when first needed, and :func:`train` is imported on first access.
"""

from typing import Any

from classifiers.language import detect_language
from classifiers.pipeline import DEFAULT_MODEL_DIR, SignalClassifier, load_classifier

__all__ = ["DEFAULT_MODEL_DIR", "SignalClassifier", "detect_language", "load_classifier", "train"]


def __getattr__(name: str) -> Any:
    if name == "train":  # lazy: keeps `python -m classifiers.training` and plain imports light
        from classifiers.training import train

        return train
    raise AttributeError(f"module 'classifiers' has no attribute {name!r}")
