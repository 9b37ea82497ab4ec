"""Why each answer is credited to its actor, in words, for the report and the outcomes page.

The basis is stored per counter-narrative (``AnswerRecord.attribution``: source, confirmed, reviewer,
mentioned; see ``pantau.domain.outcomes.attribute``) and shown as 'sumber', 'dikonfirmasi oleh
<organisation>', 'dicatat oleh <organisation>' or 'disebut dalam teks'. Pure functions.
"""

from __future__ import annotations

from collections.abc import Iterable

from pantau.domain.outcomes import AnswerRecord, ClaimOutcome
from pantau.messages import attribution_label

UNATTRIBUTED = "(unattributed)"  # the actor name ``pantau.domain.outcomes.by_actor`` uses for nobody


def answer_basis(answer: AnswerRecord) -> str:
    """One answer's basis in words ('-' when none is recorded)."""
    by = answer.confirmed_by or (answer.actor if answer.attribution == "reviewer" else None)
    return attribution_label(answer.attribution, by)


def first_answers(answers: Iterable[AnswerRecord]) -> dict[int, AnswerRecord]:
    """Each claim's first answer, ordered as ``claim_outcome`` orders them (``AnswerRecord.order_key``)."""
    first: dict[int, AnswerRecord] = {}
    for answer in answers:
        seen = first.get(answer.claim_id)
        if seen is None or answer.order_key < seen.order_key:
            first[answer.claim_id] = answer
    return first


def claim_bases(outcomes: Iterable[ClaimOutcome], answers: Iterable[AnswerRecord]) -> dict[int, str]:
    """claim id -> the basis of its first answer, for the answered claims among ``outcomes``."""
    firsts = first_answers(answers)
    return {
        o.claim_id: answer_basis(firsts[o.claim_id]) for o in outcomes if o.answered and o.claim_id in firsts
    }


def actor_bases(
    outcomes: Iterable[ClaimOutcome], answers: Iterable[AnswerRecord]
) -> dict[tuple[str, str], str]:
    """(actor, category) as ``by_actor`` keys them -> the bases of that actor's answers to ``outcomes``'
    claims, distinct, strongest first, joined with '; '."""
    order = {"source": 0, "confirmed": 1, "reviewer": 2, "mentioned": 3}
    wanted = {o.claim_id for o in outcomes}
    found: dict[tuple[str, str], dict[str, int]] = {}
    for a in answers:
        if a.claim_id in wanted:
            words = found.setdefault((a.actor or UNATTRIBUTED, a.category), {})
            words.setdefault(answer_basis(a), order.get(a.attribution or "", len(order)))
    return {
        key: "; ".join(sorted((w for w in words if w != "-" or len(words) == 1), key=lambda w: (words[w], w)))
        for key, words in found.items()
    }
