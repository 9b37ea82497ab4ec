"""Topic-neutral style features for the hoax signal ("text distortion").

A hoax model trained on fact-checked claims and ordinary news learns topic and period ("covid",
"foto", "gaza", "harga") unless it is kept from doing so. Following the text-distortion idea from
cross-topic authorship work (Stamatatos 2017, "Authorship attribution using text distortion"), every
word that is not a *topic-neutral* word is replaced by its shape (``x`` lower case, ``Xx``
capitalised, ``XX`` all capitals, ``0`` digits); punctuation, emoji and the neutral words stay.
Word 1-3 grams over the distorted text then see how a text is written (urgency, shouting, chain-message
formulas, the reporting verbs of journalism), not what it is about.

Topic-neutral words are learnt without labels: words whose document frequency reaches
:data:`MIN_DOC_SHARE` in at least :data:`MIN_GROUPS` different training groups (claims of several
years, several news outlets, several social-media sets), plus the claim-pattern cues of
:data:`CLAIM_CUES`. Fitting on training groups only keeps cross-source evaluation honest.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

MIN_GROUPS = 4
MIN_DOC_SHARE = 0.01
# Chain-message and urgency formulas documented in docs/classifiers.md (hoax signal); kept as words.
CLAIM_CUES = frozenset(
    "viralkan sebarkan bagikan share viral hoaks hoax waspada info penting tolong segera awas "
    "hati-hati berantai beredar broadcast forward teruskan gratis dapatkan klik link daftar hadiah "
    "bantuan pemerintah resmi mohon ingat jangan".split()
)
_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)
_WORD = re.compile(r"\w+", re.UNICODE)
STYLE_VECTORISER = {
    "analyzer": "word",
    "ngram_range": (1, 3),
    "min_df": 3,
    "max_df": 1.0,
    "max_features": 40_000,
    "token_pattern": r"\S+",
}


def fit_neutral_words(
    texts: Sequence[str],
    groups: Sequence[str],
    *,
    min_groups: int = MIN_GROUPS,
    min_doc_share: float = MIN_DOC_SHARE,
) -> list[str]:
    """Words frequent in many groups (sorted), plus :data:`CLAIM_CUES`."""
    per_group: dict[str, Counter] = {}
    sizes: Counter = Counter()
    for text, group in zip(texts, groups, strict=True):
        per_group.setdefault(group, Counter()).update({w.lower() for w in _WORD.findall(text)})
        sizes[group] += 1
    spread: Counter = Counter()
    for group, counts in per_group.items():
        floor = min_doc_share * sizes[group]
        spread.update(w for w, n in counts.items() if n >= floor)
    return sorted({w for w, n in spread.items() if n >= min_groups} | CLAIM_CUES)


def _shape(token: str) -> str:
    if token.isdigit():
        return "0"
    if token.isupper() and len(token) > 1:
        return "XX"
    return "Xx" if token[:1].isupper() else "x"


def distort(text: str, neutral: frozenset[str] | set[str]) -> str:
    """The text with every non-neutral word replaced by its shape; tokens joined by spaces."""
    out = []
    for token in _TOKEN.findall(text):
        if not token[0].isalnum() and token[0] != "_":
            out.append(token)
            continue
        lower = token.lower()
        if lower in neutral:
            out.append(lower.upper() if token.isupper() and len(token) > 1 else lower)
        else:
            out.append(_shape(token))
    return " ".join(out)


class StyleFeatures:
    """Neutral-word list + a word 1-3 gram TF-IDF over distorted texts (fit on training groups)."""

    def fit(self, texts: Sequence[str], groups: Sequence[str]) -> StyleFeatures:
        from classifiers.features import build_vectoriser

        self.neutral_ = frozenset(fit_neutral_words(texts, groups))
        self.vectoriser_ = build_vectoriser({"style": STYLE_VECTORISER})
        self.vectoriser_.fit([distort(t, self.neutral_) for t in texts])
        return self

    def transform(self, texts: Iterable[str]):
        return self.vectoriser_.transform([distort(t, self.neutral_) for t in texts])

    def state(self) -> dict:
        """Plain data for a skops artifact (sorted arrays, no callables)."""
        from classifiers.features import vectoriser_state

        return {
            "neutral": np.array(sorted(self.neutral_), dtype=str),
            "vectoriser": vectoriser_state(self.vectoriser_),
        }

    @classmethod
    def from_state(cls, state: dict) -> StyleFeatures:
        from classifiers.features import restore_vectoriser

        out = cls()
        out.neutral_ = frozenset(state["neutral"].tolist())
        out.vectoriser_ = restore_vectoriser(state["vectoriser"])
        return out
