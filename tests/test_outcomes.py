"""Outcome measures on a small scenario whose figures were worked out by hand (see the comments)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pantau.domain.config import ActorConfig
from pantau.domain.outcomes import (
    ACTOR_CATEGORIES,
    AnswerRecord,
    ClaimRecord,
    answering_actor,
    attribute,
    by_actor,
    by_category,
    by_stage,
    category_of,
    claim_outcomes,
    group_outcome,
)


def t(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=UTC)


# Claim 1 (voting day): seen 10:00, 11:00 and 15:00; Polres answers 13:30, a newsroom 14:00.
#   -> 3.5 h to the first answer, by Polres; one item (15:00) after it: it kept spreading.
# Claim 2 (campaign): seen 20 Oct 08:00 and 09:00; a newsroom answers 21 Oct 08:00 -> 24 h, no later item.
# Claim 3 (quiet period): seen once, never answered.
# Claim 4 (counting): seen 28 Nov 10:00, but KPU had debunked it on 25 Nov -> answered after 0 h.
CLAIMS = [
    ClaimRecord(
        1,
        "TPS di Omben dibakar",
        (t(11, 27, 10), t(11, 27, 11), t(11, 27, 15)),
        stage="voting_day",
        districts=("Omben",),
        source_count=2,
    ),
    ClaimRecord(2, "Paslon 02 mundur", (t(10, 20, 9), t(10, 20, 8)), stage="campaign", source_count=1),
    ClaimRecord(3, "Amplop 100 ribu", (t(11, 26, 12),), stage="quiet_period", source_count=1),
    ClaimRecord(4, "Hasil resmi sudah keluar", (t(11, 28, 10),), stage="counting_recapitulation"),
]
ANSWERS = [
    AnswerRecord(1, 101, t(11, 27, 14), "Kabar Sampang", "media"),
    AnswerRecord(1, 100, t(11, 27, 13, 30), "Polres Sampang", "polres", confirmed=True),
    AnswerRecord(2, 102, t(10, 21, 8), "Kabar Sampang", "media"),
    AnswerRecord(4, 103, t(11, 25, 9), "KPU Kabupaten Sampang", "kpu"),
    AnswerRecord(99, 104, t(11, 25, 9), "Bawaslu", "bawaslu"),  # a claim not in the report
]
STAGES = ["campaign", "quiet_period", "voting_day", "counting_recapitulation"]


def test_claim_outcomes_match_the_hand_computed_figures():
    outcomes = {o.claim_id: o for o in claim_outcomes(CLAIMS, ANSWERS)}
    first = outcomes[1]
    assert first.first_seen_at == t(11, 27, 10)
    assert first.first_answer_at == t(11, 27, 13, 30)
    assert first.hours_to_first_answer == 3.5
    assert first.first_answer_actor == "Polres Sampang" and first.first_answer_category == "polres"
    assert first.answering_actors == ("Polres Sampang", "Kabar Sampang")
    assert first.answering_categories == ("media", "polres")
    assert first.items == 3 and first.items_after_answer == 1 and first.kept_spreading
    assert outcomes[2].first_seen_at == t(10, 20, 8)
    assert outcomes[2].hours_to_first_answer == 24.0 and not outcomes[2].kept_spreading
    assert not outcomes[3].answered and outcomes[3].hours_to_first_answer is None
    assert outcomes[4].hours_to_first_answer == 0.0 and outcomes[4].items_after_answer == 1
    # Oldest first sighting first.
    assert [o.claim_id for o in claim_outcomes(CLAIMS, ANSWERS)] == [2, 3, 1, 4]


def test_totals_and_stages():
    outcomes = claim_outcomes(CLAIMS, ANSWERS)
    total = group_outcome("all", outcomes)
    # Claim 1 (15:00 after 13:30) and claim 4 (its only item came after the old debunk) kept spreading.
    assert (total.claims, total.answered, total.kept_spreading) == (4, 3, 2)
    assert total.answered_share == 0.75
    assert sorted(total.hours_to_first_answer) == [0.0, 3.5, 24.0]
    assert total.median_hours == 3.5
    stages = by_stage(outcomes, STAGES)
    assert [s.name for s in stages] == STAGES
    quiet = stages[1]
    assert (quiet.claims, quiet.answered, quiet.answered_share, quiet.median_hours) == (1, 0, 0.0, None)
    assert stages[2].hours_to_first_answer == (3.5,)


def test_actors_and_categories():
    outcomes = claim_outcomes(CLAIMS, ANSWERS)
    rows = {r.actor: r for r in by_actor(outcomes, ANSWERS)}
    assert set(rows) == {"Kabar Sampang", "Polres Sampang", "KPU Kabupaten Sampang"}  # not Bawaslu (claim 99)
    media = rows["Kabar Sampang"]
    # Claim 1: 10:00 -> 14:00 = 4 h; claim 2: 24 h; it was first only on claim 2.
    assert (media.claims_answered, media.first_answers, media.hours_to_answer) == (2, 1, (4.0, 24.0))
    assert media.median_hours == 14.0
    assert (rows["Polres Sampang"].first_answers, rows["Polres Sampang"].hours_to_answer) == (1, (3.5,))
    assert by_category(outcomes) == {
        "media": 2,
        "polres": 1,
        "kodim": 0,
        "kpu": 1,
        "bawaslu": 0,
        "nu": 0,
        "other": 0,
    }


def test_empty_input_and_claims_without_items():
    assert claim_outcomes([ClaimRecord(7, "x", ())], []) == []
    total = group_outcome("all", [])
    assert total.answered_share is None and total.median_hours is None
    assert by_category([]) == dict.fromkeys(ACTOR_CATEGORIES, 0)


ACTORS = [
    ActorConfig(id="polres-sampang", name="Polres Sampang", kind="police"),
    ActorConfig(id="kpu-sampang", name="KPU Kabupaten Sampang", kind="election_commission"),
    ActorConfig(id="pcnu", name="PCNU Sampang", kind="religious_org"),
    ActorConfig(id="kabar", name="Kabar Sampang (demo)", kind="media"),
    ActorConfig(id="mafindo", name="Mafindo", kind="fact_checker"),
    ActorConfig(id="pemkab", name="Pemkab", kind="government"),
]


@pytest.mark.parametrize(
    ("source_actor", "mentioned", "expected"),
    [
        ("polres-sampang", ["kpu-sampang"], ("Polres Sampang", "polres", "source")),  # its own feed
        # a newsroom's own debunk that quotes KPU and Polres is the newsroom's (issue 15: who published,
        # not who is mentioned)
        ("kabar", ["kpu-sampang", "polres-sampang"], ("Kabar Sampang (demo)", "media", "source")),
        ("kabar", ["paslon-01"], ("Kabar Sampang (demo)", "media", "source")),
        ("mafindo", [], ("Mafindo", "media", "source")),
        (None, ["pcnu"], ("PCNU Sampang", "nu", "mentioned")),  # a post relaying PCNU's clarification
        (
            None,
            ["mafindo", "polres-sampang"],
            ("Polres Sampang", "polres", "mentioned"),
        ),  # "cek fakta" is no one
        (None, [], (None, "other", None)),  # a citizen's correction
        ("pemkab", [], ("Pemkab", "other", "source")),
        ("unknown-id", [], (None, "other", None)),
    ],
)
def test_attribution_by_who_published(source_actor, mentioned, expected):
    found = attribute(source_actor, mentioned, ACTORS)
    assert (found.actor, found.category, found.basis) == expected
    assert answering_actor(source_actor, mentioned, ACTORS) == expected[:2]


def test_category_of_kinds():
    assert [category_of(k) for k in ("military", "election_supervisor", "civil_society", None)] == [
        "kodim",
        "bawaslu",
        "other",
        "other",
    ]
