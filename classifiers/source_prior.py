"""The hoax source prior: who published an item moves its hoax score, by a documented amount.

An article from an outlet verified by the Press Council (Dewan Pers) is far less likely to be a hoax
than the same words forwarded on WhatsApp, and a fact-checker's page repeats a hoax only to debunk it.
The text model cannot see that, so the prior adds a fixed log-odds shift to the calibrated hoax score
(and lifts the counter-narrative score on fact-checkers' pages), applied from the item's URL:

``hoax' = sigmoid(logit(hoax) + shift)``; verified outlet -2.5 (odds / 12), fact-checker -4.0
(odds / 55), configured low-credibility domain +1.0. The shifts are design choices, not fitted (no
labelled data carries URLs); they are configurable in ``source_prior`` of the config.

The bundled list and its provenance: ``classifiers/data/credible_sources.yaml``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pantau.domain.config import SourcePriorConfig

BUNDLED_LIST = Path(__file__).resolve().parent / "data" / "credible_sources.yaml"
KINDS = ("fact_checker", "verified_outlet", "low_credibility")
_EPS = 1e-6


@dataclass(frozen=True)
class PriorMatch:
    """Which list entry an URL matched, and the shifts that follow."""

    kind: str
    entry: str
    hoax_shift: float
    counter_shift: float = 0.0

    def reason(self) -> str:
        label = {
            "fact_checker": "fact-checker",
            "verified_outlet": "Dewan Pers-verified outlet",
            "low_credibility": "low-credibility domain (config)",
        }[self.kind]
        return f"source prior: {label} {self.entry} ({self.hoax_shift:+.1f} log-odds)"


def _clean(entry: str) -> tuple[str, str]:
    """(host, path prefix) of a list entry such as ``www.Kompas.com/cekfakta/``."""
    entry = entry.strip().lower()
    if "://" in entry:
        entry = entry.split("://", 1)[1]
    host, _, path = entry.partition("/")
    host = host.removeprefix("www.")
    return host, ("/" + path.strip("/")) if path.strip("/") else ""


@lru_cache(maxsize=4)
def _bundled(path: Path = BUNDLED_LIST) -> dict[str, tuple[str, ...]]:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {
        key: tuple(str(e["domain"]) for e in data.get(key) or ())
        for key in ("verified_outlets", "fact_checkers")
    }


@dataclass
class SourcePrior:
    """Look-up of URLs in the credible-source lists; build with :meth:`from_config`."""

    config: SourcePriorConfig = field(default_factory=SourcePriorConfig)
    _entries: list[tuple[str, str, str, str]] = field(default_factory=list, repr=False)

    @classmethod
    def from_config(cls, config: SourcePriorConfig | None = None) -> SourcePrior:
        config = config or SourcePriorConfig()
        lists: dict[str, list[str]] = {
            "verified_outlet": list(config.verified_outlets),
            "fact_checker": list(config.fact_checkers),
            "low_credibility": list(config.low_credibility),
        }
        if config.use_bundled:
            bundled = _bundled()
            lists["verified_outlet"] += bundled["verified_outlets"]
            lists["fact_checker"] += bundled["fact_checkers"]
        prior = cls(config)
        for kind in KINDS:  # order decides ties between equally specific entries
            for raw in lists[kind]:
                host, path = _clean(raw)
                if host:
                    prior._entries.append((host, path, kind, raw.strip()))
        # most specific first: a path entry beats its bare domain, a longer host beats a shorter one
        prior._entries.sort(key=lambda e: (-len(e[1]), -len(e[0])))
        return prior

    def match(self, url: str | None) -> PriorMatch | None:
        """The most specific entry covering ``url``, or None (no URL, unparsable, or unlisted)."""
        if not url:
            return None
        try:
            parts = urlsplit(url if "://" in url else f"https://{url}")
            host = (parts.hostname or "").removeprefix("www.")
        except ValueError:
            return None
        path = parts.path.lower().rstrip("/")
        for entry_host, entry_path, kind, raw in self._entries:
            if host != entry_host and not host.endswith("." + entry_host):
                continue
            if entry_path and not (path == entry_path or path.startswith(entry_path + "/")):
                continue
            return self._shifts(kind, raw)
        return None

    def _shifts(self, kind: str, raw: str) -> PriorMatch:
        c = self.config
        if kind == "fact_checker":
            return PriorMatch(kind, raw, c.fact_checker_shift, c.fact_checker_counter_shift)
        if kind == "verified_outlet":
            return PriorMatch(kind, raw, c.verified_outlet_shift)
        return PriorMatch(kind, raw, c.low_credibility_shift)

    def apply(self, scores: dict[str, float], url: str | None) -> tuple[dict[str, float], PriorMatch | None]:
        """``scores`` with the prior's shifts applied (a new dict), and the match that moved them."""
        found = self.match(url)
        if found is None:
            return scores, None
        out = dict(scores)
        if "hoax" in out:
            out["hoax"] = round(shift_probability(out["hoax"], found.hoax_shift), 4)
        if found.counter_shift and "counter_narrative" in out:
            out["counter_narrative"] = round(
                shift_probability(out["counter_narrative"], found.counter_shift), 4
            )
        return out, found


def shift_probability(p: float, shift: float) -> float:
    """``sigmoid(logit(p) + shift)``, with p clipped away from 0 and 1."""
    p = min(1 - _EPS, max(_EPS, float(p)))
    return 1.0 / (1.0 + math.exp(-(math.log(p / (1 - p)) + shift)))


@lru_cache(maxsize=1)
def default_prior() -> SourcePrior:
    """The bundled lists with the default shifts (what ``pantau classify`` uses without a config)."""
    return SourcePrior.from_config()


def note_prior(explanations: dict[str, list[str]], found: PriorMatch | None) -> None:
    """Add the prior's reason to the hoax / counter-narrative explanations it affected."""
    if found is None:
        return
    for signal in ("hoax", "counter_narrative"):
        if signal in explanations and (signal == "hoax" or found.counter_shift):
            explanations[signal] = [*explanations[signal], found.reason()]
