"""The model-independent half of scoring, shared by both backends: rules and language id per text."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from classifiers.datasets import MAX_CHARS, cut, join_title
from classifiers.language import detect_language_batch
from classifiers.normalise import basic_normalise
from classifiers.rules import RuleScorer
from classifiers.source_prior import SourcePrior, note_prior
from pantau.domain import SIGNALS, ScoreResult

RULE_CHARS = 5000  # rules read the title and up to this many characters of the text
LANGUAGE_CHARS = 1000


def titles_and_bodies(records: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[str]]:
    """The ``title`` and ``text`` of every record of a batch, as strings."""
    return [str(r.get("title") or "") for r in records], [str(r.get("text") or "") for r in records]


def split_records(records: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[str], list[str]]:
    """Titles, bodies and the model windows (title + start of the text, MAX_CHARS) of a batch."""
    titles, bodies = titles_and_bodies(records)
    windows = [join_title(t, b, MAX_CHARS) for t, b in zip(titles, bodies, strict=True)]
    return titles, bodies, windows


def rule_text(title: str, body: str) -> str:
    """What the rules read of a record: the title and the body, cut to :data:`RULE_CHARS`."""
    return cut(f"{title}. {body}" if title else body, RULE_CHARS)


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


def rules_and_languages(
    titles: Sequence[str],
    bodies: Sequence[str],
    rules: RuleScorer,
    language_model: Any,
    *,
    features: Any = None,
    cache: dict[str, str] | None = None,
) -> tuple[list[dict[str, tuple[float, list[str]]]], list[str]]:
    """Rule scores per signal and the language code of each (title, body) pair, in input order.

    ``features``: the shared TF-IDF matrix of the batch's model windows, which a language model over
    the shared features reads instead of featurising again; ``cache``: see :func:`basic_normalise_cached`.
    """
    full = [basic_normalise_cached(rule_text(t, b), cache) for t, b in zip(titles, bodies, strict=True)]
    langs = detect_language_batch(
        [cut(f, LANGUAGE_CHARS) for f in full], language_model, normalised=True, features=features
    )
    return rules.score(full, normalised=True), langs


def empty_result(model_version: str) -> ScoreResult:
    """The result for a record with no text: every signal 0, language ``und``."""
    return ScoreResult(scores=dict.fromkeys(SIGNALS, 0.0), flags=[], lang="und", model_version=model_version)


def finish_result(
    scores: dict[str, float],
    *,
    url: str | None,
    prior: SourcePrior,
    thresholds: Mapping[str, float],
    explain: Callable[[str], list[str]],
    lang: str,
    model_version: str,
) -> ScoreResult:
    """Both backends' last step for one record: apply the source prior from ``url``, flag the signals at
    their thresholds, explain each flag (``explain(signal)``) and name the prior where it applied."""
    scores, found = prior.apply(scores, url)
    flags = [s for s in SIGNALS if scores[s] >= thresholds[s]]
    explanations = {s: explain(s) for s in flags}
    note_prior(explanations, found)
    return ScoreResult(
        scores=scores, flags=flags, lang=lang, explanations=explanations, model_version=model_version
    )
