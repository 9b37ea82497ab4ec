"""Fact-check sources: the ``factcheck_feed`` kind (a fact-checker's RSS/Atom feed) and the verdict
labels of fact-check titles (``[SALAH]``, ``[HOAKS]``, ``Cek Fakta: Tidak Benar ...``, ``Keliru, ...``).

Every item of a fact-check source is a counter-narrative: ``raw["counter_narrative_producer"] = True``,
``raw["actor"]`` is the source's actor, ``raw["verdict"]`` one of ``false``, ``misleading``,
``clarification``, ``true``, ``unknown`` and ``raw["verdict_label"]`` the label as written.
"""

from __future__ import annotations

import re
from typing import Any

from pantau.domain.config import SourceConfig
from pantau.domain.records import CollectResult
from sources.base import check_options
from sources.http import HttpFetcher
from sources.registry import register
from sources.rss import RssSource, collect_feed

VERDICTS = ("false", "misleading", "clarification", "true", "unknown")
# label (case-folded, inner spaces collapsed) -> verdict; longer labels are tried first
LABELS: dict[str, str] = {
    "salah": "false",
    "hoaks": "false",
    "hoax": "false",
    "disinformasi": "false",
    "fitnah": "false",
    "palsu": "false",
    "konten palsu": "false",
    "keliru": "false",
    "tidak benar": "false",
    "false": "false",
    "fake": "false",
    "konten yang dimanipulasi": "false",
    "konten tiruan": "false",
    "bohong": "false",
    "misleading": "misleading",
    "menyesatkan": "misleading",
    "konten menyesatkan": "misleading",
    "misinformasi": "misleading",
    "sebagian benar": "misleading",
    "satire": "misleading",
    "parodi": "misleading",
    "konteks keliru": "misleading",
    "koneksi yang salah": "misleading",
    "partly false": "misleading",
    "missing context": "misleading",
    "klarifikasi": "clarification",
    "clarification": "clarification",
    "penjelasan": "clarification",
    "benar": "true",
    "fakta": "true",
    "sahih": "true",
    "true": "true",
    "belum terbukti": "unknown",
    "unverified": "unknown",
    "tidak terbukti": "unknown",
}
_BRACKET = re.compile(r"^\s*[\[(【]\s*([^\]\)】]{2,40}?)\s*[\])】]")
_CEK_FAKTA = re.compile(r"^\s*(?:\[\s*)?cek\s*fakta\s*(?:\]\s*)?[:\-–|]?\s*", re.IGNORECASE)
_LEADING = re.compile(r"^\s*([A-Za-z][A-Za-z ]{1,30}?)\s*[,:\-–]\s", re.IGNORECASE)
_ALTERNATION = sorted(LABELS, key=len, reverse=True)


def verdict_of(title: str | None) -> tuple[str, str | None]:
    """``(verdict, label as written)`` of a fact-check title; ``("unknown", None)`` without a label.

    Looks for a bracketed label (``[SALAH] ...``), then after an optional ``Cek Fakta:`` prefix for
    a leading label followed by a comma/colon (``Keliru, ...``) or a leading phrase (``Tidak Benar ...``).
    """
    if not title:
        return "unknown", None
    bracket = _BRACKET.match(title)
    if bracket and _normal(bracket.group(1)) in LABELS:
        return LABELS[_normal(bracket.group(1))], bracket.group(1).strip()
    rest = _CEK_FAKTA.sub("", title, count=1)
    leading = _LEADING.match(rest)
    if leading and _normal(leading.group(1)) in LABELS:
        return LABELS[_normal(leading.group(1))], leading.group(1).strip()
    folded = _normal(rest)
    for label in _ALTERNATION:
        if folded.startswith(label + " ") and len(label) > 5:  # "tidak benar video ...", not "benar"
            return LABELS[label], rest.strip()[: len(label)]
    return "unknown", None


def mark_counter_narratives(result: CollectResult, actor: str | None) -> CollectResult:
    """Tag every item of a fact-check source as a counter-narrative with its verdict, in place."""
    for item in result.items:
        verdict, label = verdict_of(item.title)
        extra: dict[str, Any] = {
            "counter_narrative_producer": True,
            "actor": actor,
            "verdict": verdict,
            "verdict_label": label,
        }
        item.raw.update(extra)
    return result


@register("factcheck_feed")
class FactcheckFeedSource:
    """A fact-checker's feed: the ``rss`` kind plus counter-narrative marks and verdicts."""

    name = "factcheck_feed"

    def collect(self, config: SourceConfig, fetcher: HttpFetcher) -> CollectResult:
        check_options(config, RssSource.options)
        return mark_counter_narratives(collect_feed(config, fetcher), config.actor)


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())
