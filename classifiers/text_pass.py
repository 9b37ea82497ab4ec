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


def basic_normalise_cached(text: str, cache: dict[str, str] | None) -> str:
    """:func:`basic_normalise` through a per-batch ``cache`` (raw text -> result), when one is given.

    A tweet's model window and its rules text are usually the same string; it is normalised once.
    """
    if cache is None:
        return basic_normalise(text)
    out = cache.get(text)
    if out is None:
        out = cache[text] = basic_normalise(text)
    return out


def rules_and_languages(titles: Sequence[str], bodies: Sequence[str], rules: RuleScorer,
                        language_model: Any, *, features: Any = None, cache: dict[str, str] | None = None,
                        ) -> tuple[list[dict[str, tuple[float, list[str]]]], list[str]]:
    """Rule scores per signal and the language code of each (title, body) pair, in input order.

    ``features``: the shared TF-IDF matrix of the batch's model windows, which a language model over
    the shared features reads instead of featurising again; ``cache``: see :func:`basic_normalise_cached`.
    """
    full = [basic_normalise_cached(cut(f"{t}. {b}" if t else b, RULE_CHARS), cache)
            for t, b in zip(titles, bodies, strict=True)]
    langs = detect_language_batch([cut(f, LANGUAGE_CHARS) for f in full], language_model, normalised=True,
                                  features=features)
    return rules.score(full, normalised=True), langs
