"""The claims page's queries and a reviewer's merge and split (storage.claim_admin), on SQLite and
PostgreSQL; and that the matching step never moves an item a reviewer moved back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from pantau.domain.records import ScoreResult
from storage import claim_admin as admin
from storage import claims as store
from storage import repository as repo
from storage.errors import InvalidValueError, RecordNotFoundError
from storage.models import Claim, CounterNarrative, ItemMatchCheck, Review

T0 = datetime(2024, 11, 27, 3, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


@pytest.fixture
def world(session, sources, new_item):
    """Claim A (items a1, a2), claim B (b1, b2), a debunk item linked to both, a URL answer on B."""
    specs = [
        ("a1", 0, "TPS Omben dibakar massa"),
        ("a2", 2, "TPS Omben dibakar, warga waspada"),
        ("b1", 1, "Kotak suara Omben dibakar"),
        ("b2", 30, "Kotak suara di Omben dibakar lagi"),
        ("debunk", 5, "Polres: kabar TPS Omben dibakar tidak benar"),
    ]
    ids = dict(
        zip(
            [s[0] for s in specs],
            repo.upsert_items(
                session,
                sources["kabar-a"],
                None,
                [
                    new_item(n, published_at=at(h), title=None, text=text)
                    for n, (_, h, text) in enumerate(specs)
                ],
            ).ids,
            strict=True,
        )
    )
    repo.set_tags(
        session,
        [
            {"id": ids["a1"], "districts": ["Omben"], "stage": "voting_day"},
            {"id": ids["b1"], "districts": ["Torjun"], "stage": "counting_recapitulation"},
        ],
    )
    a = store.create_claim(session, "A")
    b = store.create_claim(session, "B")
    store.assign_items(session, a, [ids["a1"], ids["a2"]])
    store.assign_items(session, b, [ids["b1"], ids["b2"]])
    store.mark_checked(
        session,
        {ids["a1"]: "claim", ids["a2"]: "claim", ids["b1"]: "claim", ids["debunk"]: "answer"},
        now=at(40),
    )  # b2 not handled by matching yet
    for claim_id in (a, b):
        store.link_counter_narrative(
            session,
            claim_id=claim_id,
            item_id=ids["debunk"],
            actor="Polres Sampang",
            actor_category="polres",
            published_at=at(5),
            confidence=0.9,
        )
    store.record_url_answer(
        session,
        claim_id=b,
        url="https://cek.example/omben",
        user="peninjau_a",
        organisation="Redaksi",
        category="media",
        now=at(6),
    )
    store.refresh_claim_spread(session, [a, b], now=at(40))
    session.commit()
    return ids | {"A": a, "B": b}


def test_merge_moves_items_and_links_and_redirects(session, world):
    a, b = world["A"], world["B"]
    older = store.create_claim(session, "C")  # merged into B earlier: must follow B to A
    session.get(Claim, older).merged_into_id = b
    result = admin.merge_claims(
        session, source_id=b, target_id=a, user="peninjau_a", organisation="Redaksi", note="sama", now=at(50)
    )
    session.commit()
    assert (result.items_moved, result.links_moved, result.links_left) == (2, 1, 1)
    target, source = session.get(Claim, a), session.get(Claim, b)
    assert source.merged_into_id == a and session.get(Claim, older).merged_into_id == a
    assert (target.item_count, source.item_count) == (4, 0)
    assert target.districts == ["Omben", "Torjun"] and target.last_seen_at == at(30)
    links = session.execute(
        select(CounterNarrative.claim_id, CounterNarrative.item_id, CounterNarrative.url).order_by(
            CounterNarrative.id
        )
    ).all()
    # the debunk link A already had stays behind with B; B's URL answer moves to A
    assert sorted(links, key=str) == sorted(
        [(a, world["debunk"], None), (b, world["debunk"], None), (a, None, "https://cek.example/omben")],
        key=str,
    )
    reviews = session.execute(
        select(Review.item_id, Review.action, Review.verdict, Review.user).where(
            Review.action == "claim_merge"
        )
    ).all()
    assert sorted(reviews) == sorted(
        [
            (world["b1"], "claim_merge", f"claim:{a}", "peninjau_a"),
            (world["b2"], "claim_merge", f"claim:{a}", "peninjau_a"),
        ]
    )
    assert admin.resolve_claim(session, b) == a and admin.resolve_claim(session, older) == a
    assert admin.resolve_claim(session, a) == a
    listed = admin.list_claims(session, now=at(50))
    assert [o.claim_id for o in listed.rows] == [a] and listed.total == 1


def test_merge_refusals(session, world):
    a, b = world["A"], world["B"]
    with pytest.raises(admin.ClaimActionError) as same:
        admin.merge_claims(session, source_id=a, target_id=a, user="u")
    assert same.value.reason == "same_claim"
    empty = store.create_claim(session, "kosong")
    with pytest.raises(admin.ClaimActionError) as nothing:
        admin.merge_claims(session, source_id=empty, target_id=a, user="u")
    assert nothing.value.reason == "no_items"
    with pytest.raises(RecordNotFoundError):
        admin.merge_claims(session, source_id=a, target_id=9999, user="u")
    admin.merge_claims(session, source_id=b, target_id=a, user="u")
    with pytest.raises(admin.ClaimActionError) as into_merged:
        admin.merge_claims(session, source_id=a, target_id=b, user="u")
    assert (into_merged.value.reason, into_merged.value.detail) == ("target_merged", a)
    with pytest.raises(admin.ClaimActionError) as again:
        admin.merge_claims(session, source_id=b, target_id=empty, user="u")
    assert again.value.reason == "source_merged"


def test_split_moves_chosen_items_into_a_new_claim(session, world):
    b = world["B"]
    new = admin.split_claim(
        session, claim_id=b, item_ids=[world["b2"]], user="peninjau_b", organisation="Redaksi", now=at(50)
    )
    session.commit()
    claim, rest = session.get(Claim, new), session.get(Claim, b)
    assert claim.origin == "split" and claim.canonical_text == "Kotak suara di Omben dibakar lagi"
    assert (claim.item_count, rest.item_count) == (1, 1) and claim.first_seen_at == at(30)
    assert claim.status == "unverified" and rest.status == "answered"  # the links stay with B
    assert session.scalars(select(CounterNarrative.id).where(CounterNarrative.claim_id == new)).all() == []
    assert len(session.scalars(select(CounterNarrative.id).where(CounterNarrative.claim_id == b)).all()) == 2
    (review,) = session.scalars(select(Review).where(Review.action == "claim_split")).all()
    assert (review.item_id, review.verdict, review.user) == (world["b2"], f"claim:{new}", "peninjau_b")


def test_split_refusals(session, world):
    b = world["B"]
    for chosen, reason in (
        ([], "no_items"),
        ([world["b1"], world["b2"]], "all_items"),
        ([world["a1"]], "not_member"),
    ):
        with pytest.raises(admin.ClaimActionError) as refused:
            admin.split_claim(session, claim_id=b, item_ids=chosen, user="u")
        assert refused.value.reason == reason
    admin.merge_claims(session, source_id=b, target_id=world["A"], user="u")
    with pytest.raises(admin.ClaimActionError) as merged:
        admin.split_claim(session, claim_id=b, item_ids=[world["b1"]], user="u")
    assert merged.value.reason == "source_merged"


def test_moved_items_are_handled_so_matching_never_moves_them_back(session, world):
    """The matching step only clusters items without an ``item_match_checks`` row (``items_to_match``)
    and never reassigns stored members; b2 had not been handled yet, so the split marks it handled."""
    repo.save_scores(
        session,
        "v1",
        [
            (world[k], ScoreResult(scores={"hoax": 0.9}, flags=["hoax"], lang="ind"))
            for k in ("a1", "b1", "b2")
        ],
    )
    assert [c.id for c in store.items_to_match(session, "v1")] == [world["b2"]]
    admin.split_claim(session, claim_id=world["B"], item_ids=[world["b2"]], user="u", now=at(50))
    assert store.items_to_match(session, "v1") == []
    assert session.get(ItemMatchCheck, world["b2"]).role == "claim"
    assert session.get(ItemMatchCheck, world["debunk"]).role == "answer"  # existing roles untouched


def test_list_filters_and_outcomes(session, world):
    a, b = world["A"], world["B"]
    page = admin.list_claims(session, now=at(48))
    assert [o.claim_id for o in page.rows] == [b, a]  # B first seen at +1 h, A at +0 h
    first = page.rows[0]
    assert first.answered and first.first_answer_actor == "Polres Sampang"
    assert first.hours_to_first_answer == 4
    assert [o.claim_id for o in admin.list_claims(session, now=at(48), stage="voting_day").rows] == [a]
    assert [o.claim_id for o in admin.list_claims(session, now=at(48), district="Torjun").rows] == [b]
    assert admin.list_claims(session, now=at(48), answered="unanswered").total == 0
    link = store.link_of(session, a, world["debunk"])
    store.review_link(session, claim_id=a, item_id=world["debunk"], decision="reject", user="u")
    assert link.rejected
    assert [o.claim_id for o in admin.list_claims(session, now=at(48), answered="unanswered").rows] == [a]
    assert admin.list_claims(session, now=at(20), age="24h").total == 2
    assert admin.list_claims(session, now=at(24.5), age="24h").rows[0].claim_id == b
    assert admin.list_claims(session, now=at(24 * 8), age="7d").total == 0
    assert admin.list_claims(session, now=at(24 * 8), age="older").total == 2
    assert [o.claim_id for o in admin.list_claims(session, now=at(48), limit=1, offset=1).rows] == [a]
    with pytest.raises(InvalidValueError):
        admin.list_claims(session, now=at(48), answered="maybe")
    with pytest.raises(InvalidValueError):
        admin.list_claims(session, now=at(48), age="1y")


def test_claim_detail_members_links_and_lag(session, world):
    detail = admin.claim_detail(session, world["B"])
    assert [m.id for m in detail.members] == [world["b1"], world["b2"]]
    assert detail.members[0].source == "kabar-a" and detail.members[0].districts == ["Torjun"]
    assert [(v.link.item_id, v.link.url, v.hours_after_first_seen) for v in detail.links] == [
        (world["debunk"], None, 4.0),
        (None, "https://cek.example/omben", 5.0),
    ]
    assert detail.outcome is not None and detail.outcome.items == 2
    with pytest.raises(RecordNotFoundError):
        admin.claim_detail(session, 9999)


def test_review_url_link(session, world):
    b = world["B"]
    url_link = session.scalars(select(CounterNarrative).where(CounterNarrative.url.is_not(None))).one()
    admin.review_url_link(
        session,
        claim_id=b,
        link_id=url_link.id,
        decision="reject",
        user="peninjau_b",
        organisation="Redaksi",
        now=at(60),
    )
    assert url_link.rejected and not url_link.confirmed
    (review,) = session.scalars(select(Review).where(Review.action == "link_reject")).all()
    assert review.item_id == world["b1"] and review.note == "https://cek.example/omben"
    with pytest.raises(RecordNotFoundError):
        admin.review_url_link(session, claim_id=world["A"], link_id=url_link.id, decision="confirm", user="u")
    with pytest.raises(InvalidValueError):
        admin.review_url_link(session, claim_id=b, link_id=url_link.id, decision="maybe", user="u")
    with pytest.raises(admin.ClaimActionError):
        admin.check_answer_item(session, b, world["b1"])
    admin.check_answer_item(session, b, world["debunk"])


# --- a real matching run after a reviewer's split (the bundled model) ------------------------------

HOAX = (
    "INFO PENTING!!! Polisi akan menangkap warga Camplong yang datang ke TPS tanggal 27 tanpa "
    "membawa KTP asli. Katanya sudah ada perintah dari atas. Sebarkan ke keluarga sebelum terlambat!"
)
REPEAT = (
    "Hati2 yg mau nyoblos di Camplong, kabarnya polisi bakal nangkap warga yg datang ke TPS gak "
    "bawa KTP asli. Sudah ada perintah katanya. Tolong sebarkan!"
)
MATCH_CONFIG = {
    "sources": [{"name": "social", "kind": "social_export", "location": "posts.jsonl", "trust": 0.2}],
    "districts": [{"name": "Camplong"}],
    "stages": [{"name": "quiet_period", "start": "2024-11-24", "end": "2024-11-26"}],
}


def _classified(url: str, posts: list[tuple[int, str, datetime]]) -> list[int]:
    from sqlalchemy.orm import Session

    from flows import steps
    from flows.resources import engine_for
    from pantau.domain.config import SourceConfig
    from pantau.domain.records import CollectedItem

    with Session(engine_for(url)) as s, s.begin():
        ids = repo.sync_sources(s, [SourceConfig.model_validate(x) for x in MATCH_CONFIG["sources"]])
        stored = repo.upsert_items(
            s,
            ids["social"],
            None,
            [
                CollectedItem(
                    source="social", text=text, published_at=when, url=f"https://social.example/p/{n}"
                )
                for n, text, when in posts
            ],
        ).ids
    steps.classify_batch(url, None, MATCH_CONFIG, stored)
    return stored


@pytest.mark.usefixtures("fresh_resources")
def test_matching_run_leaves_a_split_item_where_the_reviewer_put_it(db_url):
    from sqlalchemy.orm import Session

    from flows.matching_step import match_items
    from flows.resources import engine_for
    from storage.models import Item

    hoax, repeat = _classified(db_url, [(1, HOAX, at(0)), (2, REPEAT, at(20))])
    assert match_items(db_url, None, MATCH_CONFIG)["claims_new"] == 1
    with Session(engine_for(db_url)) as s, s.begin():
        original = s.get(Item, hoax).claim_id
        assert original is not None and s.get(Item, repeat).claim_id == original
        split = admin.split_claim(s, claim_id=original, item_ids=[repeat], user="peninjau_a")
    # a third copy matches both stored members; the matching step puts it in a claim but moves no member
    (again,) = _classified(db_url, [(3, REPEAT.replace("Hati2", "Awas"), at(30))])
    assert match_items(db_url, None, MATCH_CONFIG)["claim_items"] == 1
    with Session(engine_for(db_url)) as s:
        assert s.get(Item, hoax).claim_id == original and s.get(Item, repeat).claim_id == split
        assert s.get(Item, again).claim_id in (original, split)
