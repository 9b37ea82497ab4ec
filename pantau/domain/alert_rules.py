"""Alert rules: when a scored item needs a person's eyes, and how urgently. Pure functions, no I/O.

One alert per (item, harm signal) over its threshold, so alerts filter cleanly by signal; the
review queue groups them by item. Thresholds come from the model (chosen by cross-source
validation), refined by the config's global and per-stage thresholds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pantau.domain.config import AlertConfig
from pantau.domain.records import ScoreResult
from pantau.domain.signals import HARM_SIGNALS, Signal

SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")

# Stages around the vote, when a threat or vote buying turns into harm within hours.
HOT_STAGES: frozenset[str] = frozenset({"quiet_period", "voting_day", "counting_recapitulation"})

# The base severity of each harm signal when flagged.
_BASE_SEVERITY: dict[str, str] = {
    Signal.VIOLENCE_THREAT: "high",
    Signal.SARA: "medium",
    Signal.HATE_SPEECH: "medium",
    Signal.HOAX: "medium",
    Signal.VOTE_BUYING: "medium",
    Signal.ABUSIVE: "low",
}

# A source this trusted (a verified outlet) publishing a "hoax"-scored text is more likely a report
# about a hoax than the hoax itself: the alert is kept, but at the lowest severity.
TRUSTED_SOURCE = 0.8


@dataclass(frozen=True, slots=True)
class AlertDraft:
    """An alert to raise; ``dedupe_key`` makes raising it twice a no-op."""

    kind: str
    severity: str
    reason: str
    dedupe_key: str
    signal: str | None = None
    item_id: int | None = None
    stage: str | None = None
    district: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def effective_thresholds(
    model_thresholds: Mapping[str, float], config: AlertConfig, stage: str | None
) -> dict[str, float]:
    """Model thresholds, overridden by the config's global ones, then by the stage's."""
    merged = dict(model_thresholds)
    merged.update(config.thresholds)
    if stage and stage in config.stage_thresholds:
        merged.update(config.stage_thresholds[stage])
    return merged


def severity_for(
    signal: str, probability: float, threshold: float, *, stage: str | None, source_trust: float | None
) -> str:
    """Base severity of the signal, raised for near-certain scores and hot stages, lowered for
    hoax scores on trusted outlets."""
    level = SEVERITIES.index(_BASE_SEVERITY.get(signal, "medium"))
    if signal == Signal.HOAX and source_trust is not None and source_trust >= TRUSTED_SOURCE:
        return "low"
    if probability >= max(0.9, threshold + 0.5 * (1 - threshold)):
        level += 1
    if stage in HOT_STAGES and signal in (
        Signal.VIOLENCE_THREAT,
        Signal.VOTE_BUYING,
        Signal.HOAX,
        Signal.SARA,
    ):
        level += 1
    return SEVERITIES[min(level, len(SEVERITIES) - 1)]


# A debunk repeats the claim it answers ("kabar TPS dibakar di Omben tidak benar"): an item this
# surely a counter-narrative raises no harm alerts; a likelier-than-threshold one raises them at low.
CERTAIN_COUNTER_NARRATIVE = 0.8


def alerts_for_item(
    item_id: int,
    result: ScoreResult,
    *,
    thresholds: Mapping[str, float],
    stage: str | None,
    districts: list[str],
    source_trust: float | None = None,
    title: str | None = None,
) -> list[AlertDraft]:
    """The flagged-item alerts for one scored item.

    Counter-narratives (scored at or above their threshold) raise no hoax alert, and no alert at all
    when near-certain; otherwise their harm alerts are kept at low severity.
    """
    cn = result.scores.get(Signal.COUNTER_NARRATIVE, 0.0)
    cn_threshold = thresholds.get(Signal.COUNTER_NARRATIVE, 1.0)
    answering = cn >= cn_threshold
    if answering and cn >= max(cn_threshold, CERTAIN_COUNTER_NARRATIVE):
        return []
    drafts = []
    for signal in HARM_SIGNALS:
        p = result.scores.get(signal, 0.0)
        t = thresholds.get(signal)
        if t is None or p < t or (answering and signal == Signal.HOAX):
            continue
        why = result.explanations.get(signal, [])
        reason = f"{signal} {p:.2f} ≥ {t:.2f}"
        if why:
            reason += ": " + ", ".join(why[:5])
        drafts.append(
            AlertDraft(
                kind="flagged_item",
                severity="low"
                if answering
                else severity_for(signal, p, t, stage=stage, source_trust=source_trust),
                reason=reason,
                dedupe_key=f"flagged_item:{item_id}:{signal}",
                signal=signal,
                item_id=item_id,
                stage=stage,
                district=districts[0] if districts else None,
                details={
                    "probability": round(p, 4),
                    "threshold": t,
                    "explanation": why,
                    "districts": districts,
                    "model_version": result.model_version,
                    "counter_narrative": cn,
                    "title": title,
                },
            )
        )
    return drafts
