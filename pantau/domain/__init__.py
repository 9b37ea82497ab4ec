"""Shared domain types: the bottom layer that sources, classifiers, storage and flows all import.

Nothing here imports from ``sources``, ``classifiers``, ``storage``, ``flows`` or Prefect.
"""

from pantau.domain.errors import (
    ConfigError,
    FetchError,
    ModelError,
    PantauError,
    ParseError,
    UnknownKindError,
    UnusableInputError,
)
from pantau.domain.records import (
    CollectedItem,
    CollectResult,
    ScoreResult,
    Skipped,
    SkipReason,
)
from pantau.domain.signals import SIGNALS, Signal
from pantau.domain.text import content_hash, normalise_for_hash

__all__ = [
    "SIGNALS",
    "CollectResult",
    "CollectedItem",
    "ConfigError",
    "FetchError",
    "ModelError",
    "PantauError",
    "ParseError",
    "ScoreResult",
    "Signal",
    "SkipReason",
    "Skipped",
    "UnknownKindError",
    "UnusableInputError",
    "content_hash",
    "normalise_for_hash",
]
