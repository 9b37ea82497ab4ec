"""The model-independent half of scoring, shared by both backends: rules and language id per text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from classifiers.datasets import MAX_CHARS, cut, join_title
from classifiers.language import detect_language_batch
from classifiers.normalise import basic_normalise
from classifiers.rules import RuleScorer

RULE_CHARS = 5000  # rules read the title and up to this many characters of the text
LANGUAGE_CHARS = 1000


def split_records(records: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[str], list[str]]:
    """Titles, bodies and the model windows (title + start of the text, MAX_CHARS) of a batch."""
    titles = [str(r.get("title") or "") for r in records]
    bodies = [str(r.get("text") or "") for r in records]
    windows = [join_title(t, b, MAX_CHARS) for t, b in zip(titles, bodies, strict=True)]
    return titles, bodies, windows


def rules_and_languages(titles: Sequence[str], bodies: Sequence[str], rules: RuleScorer,
                        language_model: Any) -> tuple[list[dict[str, tuple[float, list[str]]]], list[str]]:
    """Rule scores per signal and the language code of each (title, body) pair, in input order."""
    full = [basic_normalise(cut(f"{t}. {b}" if t else b, RULE_CHARS))
            for t, b in zip(titles, bodies, strict=True)]
    langs = detect_language_batch([cut(f, LANGUAGE_CHARS) for f in full], language_model, normalised=True)
    return rules.score(full, normalised=True), langs
