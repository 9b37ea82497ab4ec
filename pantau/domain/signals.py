"""The seven signals every item is scored for (one probability each, 0..1)."""

from __future__ import annotations

from enum import StrEnum


class Signal(StrEnum):
    HOAX = "hoax"
    HATE_SPEECH = "hate_speech"
    SARA = "sara"
    ABUSIVE = "abusive"
    VIOLENCE_THREAT = "violence_threat"
    VOTE_BUYING = "vote_buying"
    COUNTER_NARRATIVE = "counter_narrative"


SIGNALS: tuple[str, ...] = tuple(s.value for s in Signal)

# Signals that describe harm (raise alerts). ``counter_narrative`` marks answers, not harm.
HARM_SIGNALS: tuple[str, ...] = tuple(s for s in SIGNALS if s != Signal.COUNTER_NARRATIVE)
