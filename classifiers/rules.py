"""A small rule engine: regular-expression lexicons scored into probabilities, with context dampers.

Each :class:`Rule` matches a phrase (optionally only when a second pattern occurs nearby). A match is
weakened when a negation precedes it ("tolak politik uang"), when the text reads as a report or an
appeal ("polisi mengimbau ...") and when the match sits inside quotation marks. The weights of the
matched rules add up to ``s`` (weakened ones capped together at 0.5) and the probability is
``1 - exp(-s)`` (see docs/classifiers.md).

Speed: each rule's pattern is analysed once for literal strings of which every match must contain one
(:func:`required_literals`); a text is only searched with the rules whose literals occur in it, found
through an index of the literals' first three characters. The result is the same as running every
pattern on every text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from classifiers.normalise import basic_normalise, fold_diacritics

try:  # the regular-expression parser (public as sre_parse before Python 3.11)
    from re import _constants as _sre
    from re import _parser as _sre_parse
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants as _sre  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

NEGATION_FACTOR = 0.25
DAMPENED_CAP = 0.5  # weakened hits together add at most this much (p <= 0.39 from them alone)
REPORT_FACTOR = 0.5
QUOTE_FACTOR = 0.6
MIN_PROB = 0.005
MAX_PROB = 0.99

_NEGATION_BEFORE = re.compile(
    r"\b(tidak|tak|jangan|janganlah|bukan|tolak|menolak|anti|stop|lawan|melawan|cegah|mencegah|"
    r"larang|dilarang|melarang|hindari|tanpa|ja'|enjek|haram|no(?!\.?\s*\d)|katakan tidak|bebas|berantas|"
    r"perangi|memerangi|waspada|waspadai|awasi|mengawasi|pantau|ta'|enje'|bhunten|jha'|jha)(?!\w)"
    r"[^.!?\n]{0,25}$"
)
_NEGATION_AFTER = re.compile(r"^\W{0,3}(tidak|tak|ta'|jangan|bukan|enje'|dilarang|haram)(?!\w)")
_REPORT_CUES = re.compile(
    r"\b(mengimbau|imbau|imbauan|himbau|menghimbau|himbauan|sosialisasi|antisipasi|mengantisipasi|"
    r"pencegahan|mencegah|patroli|deklarasi|kampanye damai|pemilu damai|pilkada damai|mewaspadai|"
    r"diamankan|ditangkap|tersangka|terduga|pidana|sanksi|menindak|ditindak|penindakan|"
    r"dilaporkan|mengatakan|kata dia|ujarnya|ujar|jelasnya|tegasnya|"
    r"menyebutkan|kapolres|kapolsek|polres|polda|polisi|aparat|menelusuri|ditelusuri|unit siber|"
    r"bawaslu|panwaslu|gakkumdu|satgas|kemendagri)\b"
)
# Reported speech: the phrase is what someone else wrote or threatened ("akun yang mengancam membakar
# TPS", "laporan dugaan pembagian amplop"), not the author's own call.
_REPORTED_BEFORE = re.compile(
    r"\b(mengancam|ngancam|ancaman|diancam|menulis|menyebut|menuduh|tuduhan|dugaan|diduga|laporan|"
    r"melaporkan|isu|soal|terkait|tentang)(?!\w)[^.!?\n]{0,30}$"
)
REPORTED_FACTOR = 0.3
_HAS_QUOTE = re.compile('["“«]')
_QUOTED = re.compile(r"\"[^\"]{0,200}\"|“[^”]{0,200}”|«[^»]{0,200}»")


_LITERAL_CAP = 400  # larger literal sets are not worth indexing
_PIECE_CACHE_LIMIT = 100_000
_ZERO_WIDTH = (_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT)
_REPEATS = (_sre.MAX_REPEAT, _sre.MIN_REPEAT)


def _cross(left: set[str] | None, right: set[str] | None) -> set[str] | None:
    if left is None or right is None or len(left) * len(right) > _LITERAL_CAP:
        return None
    return {a + b for a in left for b in right}


def _finite(items) -> set[str] | None:
    """Every string a pattern fragment can match, when that is a small finite set (else None)."""
    out: set[str] | None = {""}
    for op, av in items:
        if op is _sre.LITERAL:
            out = _cross(out, {chr(av)})
        elif op in _ZERO_WIDTH:
            continue
        elif op is _sre.SUBPATTERN:
            out = None if av[1] & re.IGNORECASE else _cross(out, _finite(av[3]))
        elif op is _sre.BRANCH:
            alts = [_finite(a) for a in av[1]]
            out = None if any(a is None for a in alts) else _cross(out, set().union(*alts))
        elif op in _REPEATS and av[1] <= 3:
            body, reps, allowed = _finite(av[2]), {""}, set()
            for k in range(av[1] + 1):
                if k >= av[0]:
                    allowed |= reps
                reps = _cross(reps, body) or set()
            out = _cross(out, allowed if body is not None else None)
        else:
            return None
        if out is None:
            return None
    return out


def _better(candidate: set[str] | None, best: set[str] | None) -> set[str] | None:
    if not candidate or "" in candidate:
        return best
    if best is None or min(map(len, candidate)) > min(map(len, best)):
        return candidate
    return best


def _required(items) -> set[str] | None:
    best: set[str] | None = None
    stretch: set[str] | None = {""}
    for item in items:
        single = _finite([item])
        if single is not None:
            joined = _cross(stretch, single)
            if joined is None:
                best, joined = _better(stretch, best), single
            stretch = joined
            continue
        best, stretch = _better(stretch, best), {""}
        op, av = item
        if op is _sre.SUBPATTERN and not av[1] & re.IGNORECASE:
            best = _better(_required(av[3]), best)
        elif op is _sre.BRANCH:
            alts = [_required(a) for a in av[1]]
            if all(alts):
                best = _better(set().union(*alts), best)
        elif op in _REPEATS and av[0] >= 1:
            best = _better(_required(av[2]), best)
    return _better(stretch, best)


def required_literals(pattern: str) -> frozenset[str] | None:
    """Strings of which every match of ``pattern`` contains at least one; None when none are known.

    Derived from the parsed pattern: literal runs, small finite alternations, and repeats that must
    occur at least once. Case-insensitive patterns get None (the rules run on case-folded text).
    """
    try:
        parsed = _sre_parse.parse(pattern)
    except re.error:
        return None
    if parsed.state.flags & re.IGNORECASE:
        return None
    found = _required(parsed)
    return frozenset(found) if found else None


class LiteralIndex:
    """Which rules can match a text: their required literals, looked up by first three characters.

    A text's three-character substrings are found per space-separated piece (cached per piece, so a
    repeated word costs one lookup); substrings with a space in the middle are tested directly.
    """

    def __init__(self, patterns: Sequence[str]):
        self.always: list[int] = []  # rules without known literals: always searched
        self.short: list[tuple[str, int]] = []  # literals shorter than three characters
        self.by_prefix: dict[str, list[tuple[str, int]]] = {}
        for i, pattern in enumerate(patterns):
            literals = required_literals(pattern)
            if literals is None:
                self.always.append(i)
                continue
            for lit in literals:
                if len(lit) < 3:
                    self.short.append((lit, i))
                else:
                    self.by_prefix.setdefault(lit[:3], []).append((lit, i))
        self.prefixes = frozenset(self.by_prefix)
        self.spaced = [p for p in self.prefixes if p[1] == " "]
        self._pieces: dict[str, frozenset[str]] = {}

    def _prefixes_in_piece(self, piece: str) -> frozenset[str]:
        found = self._pieces.get(piece)
        if found is None:
            padded = f" {piece} "
            found = frozenset({padded[k : k + 3] for k in range(len(padded) - 2)} & self.prefixes)
            if len(self._pieces) >= _PIECE_CACHE_LIMIT:
                self._pieces.clear()
            self._pieces[piece] = found
        return found

    def candidates(self, text: str) -> set[int]:
        """Indices of the rules whose pattern may match ``text`` (a superset of those that do)."""
        found = set(self.always)
        found.update(i for lit, i in self.short if i not in found and lit in text)
        present = {p for p in self.spaced if p in text}
        cached = self._pieces.get
        for piece in text.split(" "):
            prefixes = cached(piece)
            if prefixes is None:
                prefixes = self._prefixes_in_piece(piece)
            if prefixes:
                present |= prefixes
        for prefix in present:
            for lit, i in self.by_prefix[prefix]:
                if i not in found and lit in text:
                    found.add(i)
        return found


@dataclass(frozen=True)
class Rule:
    """One lexicon entry: a phrase pattern for a signal, its weight and what it means."""

    name: str
    signal: str
    pattern: str
    weight: float
    meaning: str
    near: str | None = None  # the rule fires only if this also matches within ``window`` chars
    window: int = 80
    near_places: bool = False  # a place word of the scorer (``RuleScorer(places=...)``) also counts
    #                                  as ``near``; the lexicon names no place of a particular region
    negatable: bool = True  # a preceding negation weakens it
    reportable: bool = True  # report/appeal wording in the text weakens it
    reported_speech: bool = True  # "... yang mengancam <phrase>" just before it weakens it


@dataclass(frozen=True)
class RuleHit:
    rule: str
    phrase: str
    weight: float
    dampened: bool = False


def place_pattern(places: Sequence[str]) -> str | None:
    """One alternation of the place words as rules see them (:meth:`RuleScorer.prepare`), whole words
    only, longest first; None when there are none. Multi-word names ("karang penang") are fine."""
    words = {RuleScorer.prepare(p) for p in places}
    words.discard("")
    if not words:
        return None
    ordered = sorted(words, key=lambda w: (-len(w), w))
    return r"(?<!\w)(" + "|".join(re.escape(w) for w in ordered) + r")(?!\w)"


def _near_pattern(rule: Rule, places: str | None) -> re.Pattern[str] | None:
    parts = [rule.near] if rule.near else []
    if rule.near_places and places:
        parts.append(places)
    if rule.near_places and not parts:
        return re.compile(r"(?!)")  # only places would do, and none were given: never fires
    return re.compile("|".join(f"(?:{p})" for p in parts)) if parts else None


class RuleScorer:
    """Scores texts for the signals its rules cover (``compile()`` builds the patterns, then score).

    ``places``: the monitored region's place names (regency, districts and their spellings, from the
    config); rules with ``near_places`` accept them as their nearby context. They are prepared like
    texts (case-folded, diacritics removed) and escaped, so ``"Camplông"`` finds "camplong".
    """

    def __init__(self, rules: Sequence[Rule], places: Sequence[str] = ()):
        self.rules = rules
        self.places = (places,) if isinstance(places, str) else tuple(places)

    def compile(self) -> RuleScorer:
        """Compile the rules' patterns (with the place words) and index their literals."""
        places = place_pattern(self.places)
        self.compiled_ = [(r, re.compile(r.pattern), _near_pattern(r, places)) for r in self.rules]
        self.signals_ = sorted({r.signal for r in self.rules})
        self.index_ = LiteralIndex([r.pattern for r in self.rules])
        return self

    def _compiled(self):
        if not hasattr(self, "compiled_"):
            self.compile()
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
        compiled = self._compiled()
        out: dict[str, list[RuleHit]] = {}
        candidates = self.index_.candidates(prepared)
        if not candidates:
            return out
        reported: bool | None = None  # report wording and quotations: looked for at the first match
        quoted: list[tuple[int, int]] | None = None
        for k in sorted(candidates):
            rule, pattern, near = compiled[k]
            best: RuleHit | None = None
            for match in pattern.finditer(prepared):
                start, end = match.span()
                if near is not None:
                    around = prepared[max(0, start - rule.window) : end + rule.window]
                    if not near.search(around):
                        continue
                factor = 1.0
                if rule.negatable and (
                    _NEGATION_BEFORE.search(prepared[max(0, start - 40) : start])
                    or _NEGATION_AFTER.search(prepared[end : end + 20])
                ):
                    factor *= NEGATION_FACTOR
                if rule.reportable:
                    if reported is None:
                        reported = bool(_REPORT_CUES.search(prepared))
                    if reported:
                        factor *= REPORT_FACTOR
                if rule.reported_speech and _REPORTED_BEFORE.search(prepared[max(0, start - 45) : start]):
                    factor *= REPORTED_FACTOR
                if quoted is None:
                    quoted = (
                        [m.span() for m in _QUOTED.finditer(prepared)] if _HAS_QUOTE.search(prepared) else []
                    )
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
        total = sum(h.weight for h in hits if not h.dampened) + min(
            DAMPENED_CAP, sum(h.weight for h in hits if h.dampened)
        )
        return min(MAX_PROB, max(MIN_PROB, 1.0 - math.exp(-total)))

    def score(
        self, texts: Sequence[str], *, normalised: bool = False
    ) -> list[dict[str, tuple[float, list[str]]]]:
        """For each text: signal -> (probability, explanations "rule_name: phrase", strongest first)."""
        self._compiled()
        empty = self.probability([])
        results = []
        for text in texts:
            found = self.hits(text, normalised=normalised)
            if not found:
                results.append({signal: (empty, []) for signal in self.signals_})
                continue
            row = {}
            for signal in self.signals_:
                hits = sorted(found.get(signal, []), key=lambda h: -h.weight)
                row[signal] = (self.probability(hits), [f"{h.rule}: {h.phrase}" for h in hits])
            results.append(row)
        return results
