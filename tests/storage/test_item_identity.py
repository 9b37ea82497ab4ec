"""Issue 15, problems 1 and 4: a fact-check is never swallowed by a tip or post that carried its URL, and
the stored record does not depend on the order in which sources were stored (SQLite and PostgreSQL)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pantau.domain.config import SourceConfig
from pantau.domain.records import CollectedItem
from storage.models import Item, ItemSighting, Score, Source
from storage.repository import sync_sources, upsert_items

FACT_URL = "https://turnbackhoax.example/2024/11/20/salah-tps-dipindah"
FACT_TEXT = "[SALAH] TPS 5 Desa Banyuates dipindah ke balai desa. Faktanya KPU tidak memindahkan TPS."


@pytest.fixture
def kinds(session: Session) -> dict[str, int]:
    ids = sync_sources(
        session,
        [
            SourceConfig(
                name="cekfakta", kind="factcheck_feed", location="https://cek.example/feed", trust=0.95
            ),
            SourceConfig(name="tipline", kind="tipline", location="tipline", trust=0.3),
            SourceConfig(name="sosmed", kind="social_export", location="posts.jsonl", trust=0.2),
            SourceConfig(name="kabar-a", kind="rss", location="https://a.example/feed", trust=0.9),
            SourceConfig(name="kabar-b", kind="rss", location="https://b.example/feed", trust=0.7),
        ],
    )
    session.commit()
    return ids


def _fact_check() -> CollectedItem:
    return CollectedItem(
        source="cekfakta",
        title="[SALAH] TPS 5 dipindah",
        text=FACT_TEXT,
        url=FACT_URL,
        published_at=datetime(2024, 11, 20, 9, tzinfo=UTC),
    )


def _tip() -> CollectedItem:
    return CollectedItem(
        source="tipline",
        text=f"cek tautan ini {FACT_URL}",
        url=FACT_URL,
        published_at=datetime(2024, 11, 20, 8, tzinfo=UTC),
    )


def _post() -> CollectedItem:
    return CollectedItem(
        source="sosmed",
        text="Sudah dibantah, baca ini",
        url=FACT_URL + "?utm_source=wa",
        published_at=datetime(2024, 11, 20, 10, tzinfo=UTC),
    )


def _store(session: Session, kinds: dict[str, int], batches: list[list[CollectedItem]]) -> None:
    for batch in batches:
        upsert_items(session, kinds[batch[0].source], None, batch)
        session.commit()


def _record(session: Session) -> tuple[set, set]:
    """Items as (source, url, link_url, published, title, text) and sightings as (item text, source)."""
    rows = session.execute(select(Item, Source.name).join(Source, Source.id == Item.source_id)).all()
    items = {
        (
            name,
            i.url,
            i.link_url,
            i.published_at.replace(tzinfo=None) if i.published_at else None,
            i.title,
            i.text,
        )
        for i, name in rows
    }
    sightings = {
        (text, name)
        for text, name in session.execute(
            select(Item.text, Source.name)
            .join(ItemSighting, ItemSighting.item_id == Item.id)
            .join(Source, Source.id == ItemSighting.source_id)
        )
    }
    return items, sightings


@pytest.mark.parametrize("order", ["tip first", "feed first"])
def test_a_fact_check_lands_whether_its_link_came_first(session, kinds, order):
    batches = [[_tip()], [_fact_check()]]
    _store(session, kinds, batches if order == "tip first" else batches[::-1])
    fact = session.scalars(select(Item).where(Item.source_id == kinds["cekfakta"])).one()
    tip = session.scalars(select(Item).where(Item.source_id == kinds["tipline"])).one()
    assert fact.url == FACT_URL and fact.text == FACT_TEXT and fact.link_url is None
    assert tip.url is None and tip.link_url == FACT_URL  # a tip never owns the URL it forwards
    seen_by = set(session.scalars(select(ItemSighting.source_id).where(ItemSighting.item_id == fact.id)))
    assert seen_by == {kinds["cekfakta"], kinds["tipline"]}  # the tip is a sighting of the fact-check


@pytest.mark.parametrize("order", ["post first", "feed first"])
def test_a_post_sharing_the_fact_check_url_does_not_replace_it(session, kinds, order):
    batches = [[_post()], [_fact_check()]]
    _store(session, kinds, batches if order == "post first" else batches[::-1])
    fact = session.scalars(select(Item).where(Item.source_id == kinds["cekfakta"])).one()
    post = session.scalars(select(Item).where(Item.source_id == kinds["sosmed"])).one()
    assert fact.url == FACT_URL and fact.text == FACT_TEXT
    assert post.url is None and post.link_url == FACT_URL  # the publisher holds its URL
    seen_by = set(session.scalars(select(ItemSighting.source_id).where(ItemSighting.item_id == fact.id)))
    assert kinds["sosmed"] in seen_by


def _overlapping() -> dict[str, list[CollectedItem]]:
    """Batches per source whose items overlap: one story in both papers (b published it earlier), the
    same text reposted, a fact-check whose link a tip and a post carry, and an undated copy."""
    story = "Bawaslu Sampang menertibkan alat peraga kampanye di Jalan Trunojoyo pada Selasa pagi."

    def copy(source: str, title: str, text: str, url: str, hour: int | None = None) -> CollectedItem:
        when = None if hour is None else datetime(2024, 11, 19, hour, tzinfo=UTC)
        return CollectedItem(source=source, title=title, text=text, url=url, published_at=when)

    debate = "Debat kedua digelar di Sampang."
    return {
        "kabar-a": [
            copy("kabar-a", "APK ditertibkan", story, "https://a.example/apk", 7),
            copy("kabar-a", "Debat kedua", debate, "https://a.example/debat"),
        ],
        "kabar-b": [
            copy("kabar-b", "APK ditertibkan", story, "https://b.example/apk", 6),
            copy("kabar-b", "Debat kedua", debate, "https://b.example/debat"),
        ],
        "sosmed": [copy("sosmed", "APK ditertibkan", story, "https://social.example/p/1", 6), _post()],
        "tipline": [_tip()],
        "cekfakta": [_fact_check()],
    }


def test_the_record_is_the_same_whatever_the_source_order(session, kinds):
    batches = _overlapping()
    records = set()
    for order in itertools.permutations(batches):
        session.execute(delete(ItemSighting))
        session.execute(delete(Item))
        session.commit()
        _store(session, kinds, [batches[name] for name in order])
        items, sightings = _record(session)
        records.add((frozenset(items), frozenset(sightings)))
    if len(records) > 1:
        first, *others = records
        diff = [(sorted(first[k] - o[k]), sorted(o[k] - first[k])) for o in others for k in (0, 1)]
        raise AssertionError(f"{len(records)} different records over the 120 orders: {diff}")
    items, _ = _record(session)
    by_title = {title: (name, url) for name, url, _, _, title, _ in items}
    # the story: earliest published wins; the tie between kabar-b and the post goes to the publisher
    assert by_title["APK ditertibkan"] == ("kabar-b", "https://b.example/apk")
    assert by_title["Debat kedua"] == ("kabar-a", "https://a.example/debat")  # undated tie: source name
    assert by_title["[SALAH] TPS 5 dipindah"] == ("cekfakta", FACT_URL)


def test_a_scored_item_keeps_what_reviewers_saw(session, kinds):
    late = _overlapping()["kabar-a"][:1]
    early = _overlapping()["kabar-b"][:1]
    stored = upsert_items(session, kinds["kabar-a"], None, late)
    session.add(Score(item_id=stored.new_ids[0], model_version="m", scores={"hoax": 0.1}))
    session.commit()
    upsert_items(session, kinds["kabar-b"], None, early)
    session.commit()
    item = session.get(Item, stored.new_ids[0])
    assert item.url == "https://a.example/apk" and item.source_id == kinds["kabar-a"]
