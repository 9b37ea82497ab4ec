"""Items are stored once: by canonical URL or content hash, within a batch, across runs and sources."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import func, select

from storage.models import Item, ItemSighting
from storage.repository import MAX_URL_LENGTH, set_item_tags, set_tags, start_run, upsert_items


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_new_items_are_inserted_in_input_order(session, sources, new_item):
    result = upsert_items(session, sources["kabar-a"], None, [new_item(1), new_item(2), new_item(3)])
    session.commit()
    assert result.new_ids == result.ids and len(set(result.ids)) == 3
    assert result.duplicate_ids == [] and result.batch_repeats == 0
    titles = [session.get(Item, i).title for i in result.ids]
    assert titles == ["Berita 1", "Berita 2", "Berita 3"]


def test_same_url_is_one_item_across_runs(session, sources, new_item):
    first = upsert_items(session, sources["kabar-a"], start_run(session), [new_item(1)])
    session.commit()
    edited = new_item(
        1, text="Isi yang sudah disunting.", url="https://NEWS.example/berita/1/?utm_source=x#top"
    )
    second = upsert_items(session, sources["kabar-a"], start_run(session), [edited])
    session.commit()
    assert second.new_ids == [] and second.duplicate_ids == first.new_ids
    assert _count(session, Item) == 1
    assert session.get(Item, first.new_ids[0]).text.startswith("Isi berita nomor 1")  # first copy wins


def test_same_content_with_other_url_is_one_item(session, sources, new_item):
    first = upsert_items(session, sources["kabar-a"], None, [new_item(1, text="Hoaks: TPS 5 dipindah!!")])
    session.commit()
    copy = new_item(1, url="https://mirror.example/x", text="  hoaks  TPS 5 DIPINDAH https://t.co/abc ")
    second = upsert_items(session, sources["kabar-a"], None, [copy])
    session.commit()
    assert second.duplicate_ids == first.new_ids and second.new_ids == []
    assert _count(session, Item) == 1


def test_item_seen_by_another_source_gets_a_sighting(session, sources, new_item):
    first = upsert_items(session, sources["kabar-a"], None, [new_item(1)])
    run = start_run(session)
    repost = new_item(1, source="social", url="https://social.example/p/9")
    second = upsert_items(session, sources["social"], run, [repost])
    session.commit()
    item_id = first.new_ids[0]
    assert second.ids == [item_id]
    assert session.get(Item, item_id).source_id == sources["kabar-a"]
    sightings = session.scalars(select(ItemSighting).order_by(ItemSighting.source_id)).all()
    assert [(s.item_id, s.source_id, s.run_id, s.url) for s in sightings] == [
        (item_id, sources["kabar-a"], None, "https://news.example/berita/1"),
        (item_id, sources["social"], run, "https://social.example/p/9"),
    ]
    upsert_items(session, sources["social"], run, [repost])  # seen again: still one sighting per source
    session.commit()
    assert _count(session, ItemSighting) == 2


def test_repeats_within_a_batch_collapse(session, sources, new_item):
    batch = [
        new_item(1),
        new_item(2),
        new_item(1, text="other text, same url"),
        new_item(2, url="https://elsewhere.example/2"),  # same content as item 2
        new_item(3, url=None),
        new_item(3, url=None),
    ]
    result = upsert_items(session, sources["kabar-a"], None, batch)
    session.commit()
    a, b, c = result.new_ids
    assert result.ids == [a, b, a, b, c, c]
    assert result.batch_repeats == 3 and result.duplicate_ids == []
    assert _count(session, Item) == 3 and _count(session, ItemSighting) == 3


def test_rerun_reports_duplicates_in_input_order(session, sources, new_item):
    first = upsert_items(session, sources["kabar-a"], None, [new_item(1), new_item(2)])
    session.commit()
    again = upsert_items(session, sources["kabar-b"], None, [new_item(2), new_item(5), new_item(1)])
    session.commit()
    assert again.duplicate_ids == [first.ids[1], first.ids[0]]
    assert len(again.new_ids) == 1 and again.ids[1] == again.new_ids[0]


def test_fields_are_stored_and_times_are_utc(session, sources, new_item):
    wib = timezone(timedelta(hours=7))
    item = new_item(
        1,
        author="ab12cd",
        external_id="tg-77",
        lang="ind",
        raw={"views": 12},
        published_at=datetime(2024, 11, 27, 7, 30, tzinfo=wib),
    )
    naive = new_item(2, published_at=datetime(2024, 11, 27, 1, 0))
    run = start_run(session)
    ids = upsert_items(
        session, sources["kabar-a"], run, [item, naive], now=datetime(2024, 11, 27, 2, 0, tzinfo=UTC)
    ).ids
    session.commit()
    session.expire_all()
    stored = session.get(Item, ids[0])
    assert stored.published_at == datetime(2024, 11, 27, 0, 30, tzinfo=UTC)
    assert stored.published_at.tzinfo is not None
    assert stored.collected_at == datetime(2024, 11, 27, 2, 0, tzinfo=UTC)
    assert (stored.author, stored.external_id, stored.lang, stored.raw) == (
        "ab12cd",
        "tg-77",
        "ind",
        {"views": 12},
    )
    assert stored.first_run_id == run and stored.districts == [] and stored.actors == []
    assert session.get(Item, ids[1]).published_at == datetime(2024, 11, 27, 1, 0, tzinfo=UTC)


def test_overlong_url_falls_back_to_content_identity(session, sources, new_item):
    long_url = "https://news.example/a?" + "q=" + "x" * MAX_URL_LENGTH
    ids = upsert_items(session, sources["kabar-a"], None, [new_item(1, url=long_url)]).ids
    session.commit()
    stored = session.get(Item, ids[0])
    assert stored.url is None and stored.raw["url"] == long_url


def test_set_tags(session, sources, new_item):
    a, b = upsert_items(session, sources["kabar-a"], None, [new_item(1), new_item(2)]).ids
    set_item_tags(session, a, lang="mad", stage="campaign", districts=["Omben", "Camplong", "Omben"])
    set_tags(session, [{"id": b, "actors": ["polres-sampang"]}, {"id": a, "lang": "ind"}])
    session.commit()
    session.expire_all()
    item_a, item_b = session.get(Item, a), session.get(Item, b)
    assert (item_a.lang, item_a.stage, item_a.districts) == ("ind", "campaign", ["Camplong", "Omben"])
    assert item_b.actors == ["polres-sampang"] and item_b.stage is None
