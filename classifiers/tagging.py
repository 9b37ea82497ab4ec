"""Tag items with the districts (kecamatan) and actors they mention, from the configured name variants.

Matching is on whole words, case- and accent-insensitive ("Camplông" matches "camplong").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from pantau.domain.config import ActorConfig, CandidateConfig, DistrictConfig


def fold(text: str) -> str:
    """Lower-case, strip accents and collapse whitespace: the form both texts and names are matched in."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    no_marks = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", no_marks.casefold())


def _pattern(phrases: Iterable[str]) -> re.Pattern[str] | None:
    alternatives = sorted(
        {re.escape(fold(p).strip()) for p in phrases if p and p.strip()}, key=len, reverse=True
    )
    if not alternatives:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


@dataclass(frozen=True)
class _Entry:
    key: str
    pattern: re.Pattern[str]


class Tagger:
    """Finds configured districts and actors in a text. Build once per run, reuse for every item."""

    def __init__(
        self,
        districts: list[DistrictConfig],
        actors: list[ActorConfig],
        candidates: list[CandidateConfig] | None = None,
    ):
        self._districts = self._entries((d.name, d.phrases()) for d in districts)
        named = [(a.id, [a.name, *a.variants]) for a in actors]
        named += [(c.id, [c.name, *c.variants]) for c in candidates or []]
        self._actors = self._entries(named)

    @staticmethod
    def _entries(pairs: Iterable[tuple[str, list[str]]]) -> list[_Entry]:
        entries = []
        for key, phrases in pairs:
            pattern = _pattern(phrases)
            if pattern is not None:
                entries.append(_Entry(key, pattern))
        return entries

    def districts(self, text: str) -> list[str]:
        """Names of the districts the text mentions, in configuration order."""
        folded = fold(text)
        return [e.key for e in self._districts if e.pattern.search(folded)]

    def actors(self, text: str) -> list[str]:
        """Ids of the actors and candidates the text mentions, in configuration order."""
        folded = fold(text)
        return [e.key for e in self._actors if e.pattern.search(folded)]
