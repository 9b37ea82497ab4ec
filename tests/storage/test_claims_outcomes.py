"""Loading outcome records from storage: stage of first sighting, filters, rejected links left out."""

from __future__ import annotations

from datetime import UTC, datetime

from pantau.domain.outcomes import claim_outcomes
from storage import claims as store
from storage import repository as repo
from storage.outcomes_query import load_outcome_records


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 11, day, hour, minute, tzinfo=UTC)


def test_records_round_trip_to_hand_checked_outcomes(session, sources, new_item):
    ids = repo.upsert_items(
        session,
        sources["social"],
        None,
        [
            new_item(1, published_at=at(25, 3), text="Polisi tangkap pemilih tanpa KTP asli"),
            new_item(2, published_at=at(26, 1), text="Pemilih tanpa KTP asli ditangkap polisi"),
            new_item(3, published_at=at(25, 6, 30), text="Polres: tidak ada penangkapan pemilih"),
            new_item(4, published_at=at(25, 7), text="Kabar penangkapan pemilih itu tidak benar"),
            new_item(5, published_at=at(28, 2), text="Hasil resmi sudah keluar"),
        ],
    ).ids
    repo.set_tags(
        session,
        [
            {"id": ids[0], "stage": "quiet_period"},
            {"id": ids[1], "stage": "quiet_period"},
            {"id": ids[4], "stage": "counting_recapitulation"},
        ],
    )
    hoax = store.create_claim(session, "x")
    store.assign_items(session, hoax, ids[:2])
    other = store.create_claim(session, "y")
    store.assign_items(session, other, ids[4:])
    store.create_claim(session, "a claim without members is left out")
    store.refresh_claim_spread(session, [hoax, other])
    store.link_counter_narrative(
        session,
        claim_id=hoax,
        item_id=ids[2],
        actor="Polres Sampang",
        actor_category="polres",
        published_at=None,
        confidence=0.9,
    )
    store.link_counter_narrative(
        session,
        claim_id=hoax,
        item_id=ids[3],
        actor=None,
        actor_category="other",
        published_at=at(25, 7),
        confidence=0.6,
    )
    store.review_link(session, claim_id=hoax, item_id=ids[3], decision="reject", user="ana")
    session.commit()

    claims, answers = load_outcome_records(session)
    assert [c.claim_id for c in claims] == [hoax, other]
    assert claims[0].stage == "quiet_period" and claims[0].item_times == (at(25, 3), at(26, 1))
    assert claims[0].source_count == 1
    # The rejected link is left out; the other one takes the item's time as it had none.
    assert [(a.item_id, a.published_at, a.category) for a in answers] == [(ids[2], at(25, 6, 30), "polres")]
    outcome = claim_outcomes(claims, answers)[0]
    # First sighting 03:00 UTC on the 25th, Polres 06:30 -> 3.5 h; the repost on the 26th came after.
    assert outcome.hours_to_first_answer == 3.5 and outcome.kept_spreading

    assert [c.claim_id for c in load_outcome_records(session, stage="counting_recapitulation")[0]] == [other]
    assert [c.claim_id for c in load_outcome_records(session, since=at(27, 0))[0]] == [other]
    assert [c.claim_id for c in load_outcome_records(session, until=at(27, 0))[0]] == [hoax]
    assert load_outcome_records(session, confirmed_only=True)[1] == []
