"""Migration 0011 (issue 17): URLs stored before the courlan canonical form are rewritten to it, on
SQLite and PostgreSQL; when two stored items fold to one URL, the already-canonical (else the oldest)
keeps it and the other keeps its old URL, so the unique index holds and no item is lost."""

from __future__ import annotations

from alembic import command
from sqlalchemy import select
from sqlalchemy.orm import Session

from pantau.domain.text import canonical_url
from storage.db import alembic_config, migrate
from storage.models import Item, ItemSighting, Source

OLD = {  # item -> the URL an earlier version stored
    "www": "https://www.kabar.example/pilkada/debat",
    "mobile": "https://m.kabar.example/pilkada/debat",  # folds to the same URL as "www", younger
    "tracked": "https://kabar.example/tps/5?mc_cid=abc",
    "clean": "https://kabar.example/tps/5",  # already canonical: it keeps its URL
    "amp": "https://amp.portal.example/berita/amplop/amp",
}


def test_stored_urls_take_the_new_form(raw_engine):
    cfg = alembic_config()
    with raw_engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0010")
        conn.commit()
    with Session(raw_engine) as session, session.begin():
        source = Source(name="kabar", kind="rss", location="https://kabar.example/feed")
        session.add(source)
        session.flush()
        ids = {}
        for n, (name, url) in enumerate(OLD.items()):
            item = Item(source_id=source.id, url=url, text=f"teks {name}", content_hash=f"{n:064d}")
            session.add(item)
            session.flush()
            ids[name] = item.id
        tip = Item(
            source_id=source.id,
            text="tip",
            content_hash="f" * 64,
            link_url="https://www.kabar.example/pilkada/debat?ref=wa",
        )
        session.add(tip)
        session.flush()
        tip_id = tip.id
        session.add(
            ItemSighting(item_id=tip.id, source_id=source.id, url="https://m.kabar.example/x?fbclid=1")
        )

    migrate(raw_engine)
    with Session(raw_engine) as session:
        urls = dict(session.execute(select(Item.id, Item.url).where(Item.url.is_not(None))).all())
        assert urls[ids["www"]] == "https://kabar.example/pilkada/debat"
        assert urls[ids["mobile"]] == OLD["mobile"]  # would collide with the older item
        assert urls[ids["clean"]] == "https://kabar.example/tps/5"
        assert urls[ids["tracked"]] == OLD["tracked"]  # would collide with the canonical one
        assert urls[ids["amp"]] == "https://portal.example/berita/amplop"
        assert session.scalar(select(Item.link_url).where(Item.id == tip_id)) == (
            "https://kabar.example/pilkada/debat"
        )
        assert session.scalar(select(ItemSighting.url)) == "https://kabar.example/x"
        assert session.scalar(select(Item.id).where(Item.id == ids["mobile"])) is not None
    # the rewritten URLs are fixed points: a new copy of the page finds the stored row
    assert all(canonical_url(u) == u for u in urls.values() if u not in (OLD["mobile"], OLD["tracked"]))
