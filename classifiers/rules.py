"""A small rule engine: regular-expression lexicons scored into probabilities, with context dampers.

Each :class:`Rule` matches a phrase (optionally only when a second pattern occurs nearby). A match is
weakened when a negation precedes it ("tolak politik uang"), when the text reads as a report or an
appeal ("polisi mengimbau ...") and when the match sits inside quotation marks. The weights of the
matched rules add up to ``s`` (weakened ones capped together at 0.5) and the probability is
``1 - exp(-s)`` (see docs/classifiers.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from classifiers.normalise import basic_normalise, fold_diacritics

NEGATION_FACTOR = 0.25
DAMPENED_CAP = 0.5  # weakened hits together add at most this much (p <= 0.39 from them alone)
REPORT_FACTOR = 0.5
QUOTE_FACTOR = 0.6
MIN_PROB = 0.005
MAX_PROB = 0.99

_NEGATION_BEFORE = re.compile(
    r"\b(tidak|tak|jangan|janganlah|bukan|tolak|menolak|anti|stop|lawan|melawan|cegah|mencegah|"
    r"larang|dilarang|melarang|hindari|tanpa|ja'|enjek|haram|no|katakan tidak|bebas|berantas|"
    r"perangi|memerangi|waspada|waspadai|awasi|mengawasi|pantau|ta'|tak|enje'|bhunten|jha'|jha)(?!\w)"
    r"[^.!?\n]{0,25}$")
_NEGATION_AFTER = re.compile(r"^\W{0,3}(tidak|tak|ta'|jangan|bukan|enje'|dilarang|haram)(?!\w)")
_REPORT_CUES = re.compile(
    r"\b(mengimbau|imbau|imbauan|himbau|menghimbau|himbauan|sosialisasi|antisipasi|mengantisipasi|"
    r"pencegahan|mencegah|patroli|deklarasi|kampanye damai|pemilu damai|pilkada damai|mewaspadai|"
    r"diamankan|ditangkap|tersangka|terduga|pidana|sanksi|menindak|ditindak|penindakan|"
    r"dilaporkan|mengatakan|kata dia|ujarnya|ujar|jelasnya|tegasnya|"
    r"menyebutkan|kapolres|kapolsek|polres|polda|polisi|aparat|menelusuri|ditelusuri|unit siber|"
    r"bawaslu|panwaslu|gakkumdu|satgas|kemendagri)\b")
# Reported speech: the phrase is what someone else wrote or threatened ("akun yang mengancam membakar
# TPS", "laporan dugaan pembagian amplop"), not the author's own call.
_REPORTED_BEFORE = re.compile(
    r"\b(mengancam|ngancam|ancaman|diancam|menulis|menyebut|menuduh|tuduhan|dugaan|diduga|laporan|"
    r"melaporkan|isu|soal|terkait|tentang)(?!\w)[^.!?\n]{0,30}$")
REPORTED_FACTOR = 0.3
_QUOTED = re.compile(r"\"[^\"]{0,200}\"|“[^”]{0,200}”|«[^»]{0,200}»")


@dataclass(frozen=True)
class Rule:
    """One lexicon entry: a phrase pattern for a signal, its weight and what it means."""

    name: str
    signal: str
    pattern: str
    weight: float
    meaning: str
    near: str | None = None          # the rule fires only if this also matches within ``window`` chars
    window: int = 80
    negatable: bool = True           # a preceding negation weakens it
    reportable: bool = True          # report/appeal wording in the text weakens it
    reported_speech: bool = True     # "... yang mengancam <phrase>" just before it weakens it


@dataclass(frozen=True)
class RuleHit:
    rule: str
    phrase: str
    weight: float
    dampened: bool = False


class RuleScorer:
    """Scores texts for the signals its rules cover (sklearn-like: ``fit`` compiles, then score)."""

    def __init__(self, rules: Sequence[Rule]):
        self.rules = rules

    def fit(self, texts: Sequence[str] | None = None, y: Sequence[int] | None = None) -> RuleScorer:
        self.compiled_ = [(r, re.compile(r.pattern), re.compile(r.near) if r.near else None)
                          for r in self.rules]
        self.signals_ = sorted({r.signal for r in self.rules})
        return self

    def _compiled(self):
        if not hasattr(self, "compiled_"):
            self.fit()
        return self.compiled_

    @staticmethod
    def prepare(text: str) -> str:
        """Case-folded, cleaned text without diacritics (so "bâgi pèssè" matches "bagi pesse")."""
        return fold_diacritics(basic_normalise(text))

    def hits(self, text: str, *, normalised: bool = False) -> dict[str, list[RuleHit]]:
        """Matched rules per signal (each rule once, at its strongest occurrence).

        ``normalised=True`` says ``text`` already went through ``basic_normalise``.
        """
        prepared = fold_diacritics(text) if normalised else self.prepare(text)
        reported = bool(_REPORT_CUES.search(prepared))
        quoted = [m.span() for m in _QUOTED.finditer(prepared)]
        out: dict[str, list[RuleHit]] = {}
        for rule, pattern, near in self._compiled():
            best: RuleHit | None = None
            for match in pattern.finditer(prepared):
                start, end = match.span()
                if near is not None:
                    around = prepared[max(0, start - rule.window): end + rule.window]
                    if not near.search(around):
                        continue
                factor = 1.0
                if rule.negatable and (_NEGATION_BEFORE.search(prepared[max(0, start - 40): start])
                                       or _NEGATION_AFTER.search(prepared[end: end + 20])):
                    factor *= NEGATION_FACTOR
                if rule.reportable and reported:
                    factor *= REPORT_FACTOR
                if rule.reported_speech and _REPORTED_BEFORE.search(prepared[max(0, start - 45): start]):
                    factor *= REPORTED_FACTOR
                if any(a <= start and end <= b for a, b in quoted):
                    factor *= QUOTE_FACTOR
                hit = RuleHit(rule.name, match.group(0).strip(), rule.weight * factor, factor < 1.0)
                if best is None or hit.weight > best.weight:
                    best = hit
            if best is not None:
                out.setdefault(rule.signal, []).append(best)
        return out

    @staticmethod
    def probability(hits: Sequence[RuleHit]) -> float:
        """``1 - exp(-s)``, clipped to [MIN_PROB, MAX_PROB]; ``s`` = full-strength weights plus the
        weakened (negated / reported / quoted) weights capped at :data:`DAMPENED_CAP`."""
        total = (sum(h.weight for h in hits if not h.dampened)
                 + min(DAMPENED_CAP, sum(h.weight for h in hits if h.dampened)))
        return min(MAX_PROB, max(MIN_PROB, 1.0 - math.exp(-total)))

    def score(self, texts: Sequence[str], *,
              normalised: bool = False) -> list[dict[str, tuple[float, list[str]]]]:
        """For each text: signal -> (probability, explanations "rule_name: phrase", strongest first)."""
        self._compiled()
        results = []
        for text in texts:
            found = self.hits(text, normalised=normalised)
            row = {}
            for signal in self.signals_:
                hits = sorted(found.get(signal, []), key=lambda h: -h.weight)
                row[signal] = (self.probability(hits), [f"{h.rule}: {h.phrase}" for h in hits])
            results.append(row)
        return results
