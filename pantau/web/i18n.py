"""The app's words in Bahasa Indonesia: labels for signals, verdicts, severities, statuses, roles, actions,
escalation statuses, stages, actor categories and attribution bases.

The tables come from the one message catalogue (:mod:`pantau.messages`, ``pantau/locale``) that the
report and the Telegram digest use too; add a label there, not here. Code and stored values stay
English (``hoax``, ``voting_day``); only what people read is translated.
"""

from __future__ import annotations

from pantau import messages

SIGNALS = messages.table("signal")
VERDICTS = messages.table("verdict")
SEVERITIES = messages.table("severity")
STATUSES = messages.table("alert_status")
ROLES = messages.table("role")
ACTIONS = messages.table("review_action")
LANGUAGES = messages.table("language")
STAGES = messages.table("stage")
ACTOR_CATEGORIES = messages.table("actor_category")
ESCALATION_STATUSES = messages.table("escalation_status")

attribution = messages.attribution_label
reason = messages.reason_label


def label(table: dict[str, str], value: str | None) -> str:
    """The Indonesian label of ``value``, or the value itself when it has none ('-' for None)."""
    if value is None:
        return "-"
    return table.get(value, value)
