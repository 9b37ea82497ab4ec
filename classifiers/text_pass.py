"""The model-independent half of scoring, shared by both backends: rules and language id per text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from classifiers.datasets import cut
from classifiers.language import detect_language_batch
from classifiers.normalise import basic_normalise
from classifiers.rules import RuleScorer

RULE_CHARS = 5000  # rules read the title and up to this many characters of the text
LANGUAGE_CHARS = 1000


def rules_and_languages(titles: Sequence[str], bodies: Sequence[str], rules: RuleScorer,
                        language_model: Any) -> tuple[list[dict[str, tuple[float, list[str]]]], list[str]]:
    """Rule scores per signal and the language code of each (title, body) pair, in input order."""
    full = [basic_normalise(cut(f"{t}. {b}" if t else b, RULE_CHARS))
            for t, b in zip(titles, bodies, strict=True)]
    langs = detect_language_batch([cut(f, LANGUAGE_CHARS) for f in full], language_model, normalised=True)
    return rules.score(full, normalised=True), langs
