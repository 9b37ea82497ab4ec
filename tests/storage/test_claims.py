"""Claims, counter-narrative links, matches and the matching step's state, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from pantau.domain.records import ScoreResult
from storage import claims as store
from storage import repository as repo
from storage.errors import InvalidValueError, RecordNotFoundError
from storage.models import Claim, CounterNarrative, Review

T0 = datetime(2024, 11, 27, 3, 0, tzinfo=UTC)


def _at(hours: float) -> datetime:
    return T0.replace(hour=3 + int(hours), minute=int((hours % 1) * 60))


@pytest.fixture
def stored(session, sources, new_item):
    """Three items of kabar-a (times T0, +1 h, +5 h; one also seen by kabar-b), all scored."""
    items = [
        new_item(1, published_at=_at(0), title="Hoaks TPS", text="TPS di Omben dibakar massa"),
        new_item(2, published_at=_at(1), text="TPS Omben dibakar, warga diminta waspada"),
        new_item(3, published_at=_at(5), text="Polres: kabar TPS Omben dibakar tidak benar"),
    ]
    ids = repo.upsert_items(session, sources["kabar-a"], None, items).ids
    repo.upsert_items(session, sources["kabar-b"], None, [items[1]])
    repo.set_tags(
        session, [{"id": ids[0], "districts": ["Omben"]}, {"id": ids[1], "districts": ["Omben", "Torjun"]}]
    )
    repo.save_scores(
        session, "v1", [(i, ScoreResult(scores={"hoax": 0.9}, flags=["hoax"], lang="ind")) for i in ids]
    )
    session.commit()
    return ids


def test_items_to_match_until_checked(session, stored):
    pending = store.items_to_match(session, "v1")
    assert [c.id for c in pending] == stored
    assert pending[0].full_text == "Hoaks TPS\nTPS di Omben dibakar massa"
    assert pending[0].scores == {"hoax": 0.9} and pending[0].source_kind == "rss"
    assert store.items_to_match(session, "v2") == []  # not scored by that version yet
    assert store.mark_checked(session, {stored[0]: "claim", stored[2]: "answer"}) == 2
    assert store.mark_checked(session, {stored[0]: "claim"}) == 0  # idempotent
    assert [c.id for c in store.items_to_match(session, "v1")] == [stored[1]]
    assert [a.id for a in store.answer_items(session)] == [stored[2]]
    assert store.answer_items(session, since=_at(6)) == []
    with pytest.raises(InvalidValueError):
        store.mark_checked(session, {stored[1]: "bogus"})


def test_claim_spread(session, stored):
    claim_id = store.create_claim(session, "placeholder", first_seen_at=_at(1))
    assert store.assign_items(session, claim_id, stored[:2]) == 2
    store.refresh_claim_spread(session, [claim_id], now=_at(9))
    session.commit()
    claim = session.get(Claim, claim_id)
    assert claim.first_seen_at == _at(0) and claim.last_seen_at == _at(1)
    assert (claim.item_count, claim.source_count) == (2, 2)  # item 2 was also seen by kabar-b
    assert claim.districts == ["Omben", "Torjun"]
    assert claim.canonical_text == "Hoaks TPS\nTPS di Omben dibakar massa"
    assert claim.status == "unverified" and claim.updated_at == _at(9)
    members = store.claim_members(session)
    assert [(m.id, m.claim_id) for m in members] == [(stored[0], claim_id), (stored[1], claim_id)]
    assert [m.id for m in store.claim_members(session, since=_at(0.5))] == [stored[1]]
    with pytest.raises(RecordNotFoundError):
        store.refresh_claim_spread(session, [claim_id + 100])


def test_links_are_idempotent_and_reviewable(session, stored):
    claim_id = store.create_claim(session, "TPS Omben dibakar")
    store.assign_items(session, claim_id, stored[:2])
    link = {
        "claim_id": claim_id,
        "item_id": stored[2],
        "actor": "Polres Sampang",
        "actor_category": "polres",
        "published_at": _at(5),
        "confidence": 0.8,
    }
    assert store.link_counter_narrative(session, **link) is True
    assert store.link_counter_narrative(session, **link) is False
    store.refresh_claim_spread(session, [claim_id])
    assert session.get(Claim, claim_id).status == "answered"

    rejected = store.review_link(
        session,
        claim_id=claim_id,
        item_id=stored[2],
        decision="reject",
        user="ana",
        organisation="Kabar Sampang",
        note="another TPS",
    )
    session.commit()
    assert rejected.rejected and not rejected.confirmed and rejected.link_method == "auto"
    assert session.get(Claim, claim_id).status == "unverified"
    # Automatic linking does not bring a rejected link back.
    assert store.link_counter_narrative(session, **link) is False
    assert store.links_of_claim(session, claim_id)[0].rejected

    confirmed = store.review_link(
        session,
        claim_id=claim_id,
        item_id=stored[2],
        decision="confirm",
        user="budi",
        organisation="Polres Sampang",
    )
    session.commit()
    assert confirmed.confirmed and not confirmed.rejected
    reviews = session.scalars(select(Review).order_by(Review.id)).all()
    assert [(r.action, r.verdict, r.user) for r in reviews] == [
        ("link_reject", f"claim:{claim_id}", "ana"),
        ("link_confirm", f"claim:{claim_id}", "budi"),
    ]


def test_reviewer_can_link_what_matching_missed(session, stored):
    claim_id = store.create_claim(session, "TPS Omben dibakar")
    store.assign_items(session, claim_id, stored[:1])
    link = store.review_link(
        session,
        claim_id=claim_id,
        item_id=stored[1],
        decision="confirm",
        user="ana",
        actor="Kabar Sampang",
        actor_category="media",
    )
    session.commit()
    row = session.scalars(select(CounterNarrative)).one()
    assert (row.link_method, row.confirmed, row.actor_category) == ("reviewer", True, "media")
    assert row.published_at == _at(1) and link.id == row.id
    with pytest.raises(RecordNotFoundError):
        store.review_link(session, claim_id=claim_id + 1, item_id=stored[1], decision="confirm", user="x")
    with pytest.raises(RecordNotFoundError):
        store.review_link(session, claim_id=claim_id, item_id=9999, decision="confirm", user="x")
    with pytest.raises(InvalidValueError):
        store.review_link(session, claim_id=claim_id, item_id=stored[1], decision="maybe", user="x")


def test_matches_are_recorded_once(session, stored):
    assert (
        store.record_match(
            session, item_id=stored[1], matched_item_id=stored[2], score=0.7, backend="lexical"
        )
        is True
    )
    assert store.record_match(session, item_id=stored[1], matched_item_id=stored[2], score=0.9) is False
    many = [
        (stored[1], stored[2], 0.5),
        (stored[2], stored[1], 0.6),
        (stored[2], stored[1], 0.8),
        (stored[0], stored[1], 0.9),
    ]
    assert store.record_matches(session, many, backend="ranked") == 2  # one known, one repeated
    assert store.record_matches(session, many) == 0
    assert store.record_matches(session, []) == 0
    assert store.source_actor_of_item(session, stored[0]) == (None, [])
    with pytest.raises(RecordNotFoundError):
        store.source_actor_of_item(session, 9999)
