"""The web app's queries and actions on SQLite and PostgreSQL (``storage.review_queue``,
``storage.alert_search``, ``storage.accounts``): same answers on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from webfixtures import NOW, Seeded, seed

from storage import accounts, review_labels
from storage import alert_search as search
from storage import review_queue as rq
from storage.db import make_engine, migrate
from storage.errors import InvalidValueError, RecordNotFoundError


@pytest.fixture
def backend(db_url: str) -> Iterator[tuple[Engine, Seeded]]:
    """A migrated, seeded database: SQLite, and a fresh PostgreSQL schema (``db_url``, tests/conftest.py)."""
    engine = make_engine(db_url)
    migrate(engine)
    yield engine, seed(engine)
    engine.dispose()


def _actor(seeded: Seeded, name: str) -> rq.Actor:
    return rq.Actor(seeded.users[name], name, "Redaksi Kabar Sampang")


def test_queue_actions_and_labels(backend):
    engine, seeded = backend
    ids = seeded.items
    a, b = _actor(seeded, "peninjau_a"), _actor(seeded, "peninjau_b")
    with Session(engine) as session, session.begin():
        queue = rq.review_queue(session, now=NOW)
        order = ("tps_omben", "fajar", "ancaman", "xss", "sara")
        assert [e.item_id for e in queue] == [ids[k] for k in order]
        assert queue[0].spread == 2 and queue[0].signals == ["hoax"] and queue[0].severity == "high"
        assert rq.queue_size(session, stage="campaign") == 3
        pages = [
            e.item_id
            for offset in range(0, 6, 2)
            for e in rq.review_queue(session, limit=2, offset=offset, now=NOW)
        ]
        assert pages == [e.item_id for e in queue]  # pages cross severity buckets cleanly
        assert rq.review_queue(session, offset=5, now=NOW) == []
        rq.acquire_lock(session, ids["fajar"], a, now=NOW)
        with pytest.raises(rq.ItemLockedError):
            rq.give_verdict(session, ids["fajar"], b, "hoax", now=NOW)
        assert rq.review_queue(session, now=NOW)[1].locked_by == "peninjau_a"
        with pytest.raises(InvalidValueError):
            rq.give_verdict(session, ids["fajar"], a, "maybe", now=NOW)
        rq.give_verdict(session, ids["fajar"], a, "misleading", "note", now=NOW)
        rq.link_counter_narrative(session, ids["tps_omben"], b, url="https://cek.example/x", now=NOW)
        with pytest.raises(RecordNotFoundError):
            rq.link_counter_narrative(session, ids["tps_omben"], b, counter_item_id=10**6, now=NOW)
        rq.escalate(session, ids["ancaman"], b, seeded.orgs["Polres Sampang"], "ancaman", now=NOW)
        rq.dismiss(session, ids["sara"], b, now=NOW + timedelta(minutes=1))
    with Session(engine) as session:
        remaining = [e.item_id for e in rq.review_queue(session, now=NOW)]
        assert remaining == [ids["tps_omben"], ids["ancaman"], ids["xss"]]
        escalated = rq.review_queue(
            session,
            escalated_to=seeded.orgs["Polres Sampang"],
            organisation_id=seeded.orgs["Polres Sampang"],
            now=NOW,
        )
        assert [(e.item_id, e.escalated) for e in escalated] == [(ids["ancaman"], True)]
        detail = rq.item_detail(session, ids["tps_omben"], now=NOW)
        assert [c.url for c in detail.counter_links] == ["https://cek.example/x"]
        assert detail.lock_holder == "peninjau_b" and detail.spread == 2
        assert [r["hoax"] for r in review_labels.verdict_labels(session)] == [1]


def test_alert_search_on_both_backends(backend):
    engine, seeded = backend
    with Session(engine) as session:
        assert search.count_alerts(session, search.AlertFilters()) == 5
        polres = search.search_alerts(session, search.AlertFilters(actor="Polres Sampang"))
        assert [r.item_id for r in polres] == [seeded.items["ancaman"]]
        assert [r.item_id for r in search.search_alerts(session, search.AlertFilters(q="amplop"))] == [
            seeded.items["fajar"]
        ]
        # full-text search: "%" is no wildcard but separates words, and words match whole
        assert [r.item_id for r in search.search_alerts(session, search.AlertFilters(q="100%"))] == [
            seeded.items["fajar"]
        ]
        assert search.search_alerts(session, search.AlertFilters(q="10%")) == []
        every = list(search.iter_alerts(session, search.AlertFilters(), batch=2))
        assert [r.id for r in every] == sorted((r.id for r in every), reverse=True) and len(every) == 5
        counts = search.stage_signal_counts(session, search.AlertFilters())
        assert counts[("campaign", "hoax")] == 1 and sum(counts.values()) == 5
        assert search.items_per_stage(session)["campaign"] == 3
        table = search.district_table(session, search.AlertFilters())
        assert table[0].severe == 1 and {r.district for r in table} == {
            "Omben",
            "Kedungdung",
            "Torjun",
            "Sampang",
            "Robatal",
        }
        choices = search.filter_choices(session)
        assert choices["source"] == ["grup-wa", "kabar-demo"] and "Omben" in choices["district"]


def test_accounts_on_both_backends(backend):
    engine, seeded = backend
    with Session(engine) as session, session.begin():
        with pytest.raises(accounts.DuplicateUserError):
            accounts.create_user(session, "Peninjau_A", "h", "reviewer", seeded.orgs["Polres Sampang"])
        with pytest.raises(InvalidValueError):
            accounts.create_user(session, "x", "h", "reviewer", seeded.orgs["Polres Sampang"])
        secret = accounts.create_api_token(session, seeded.users["analis_bawaslu"], "t", now=NOW)
        assert accounts.account_for_token(session, secret, now=NOW).username == "analis_bawaslu"
        assert accounts.account_for_token(session, secret + "x", now=NOW) is None
        accounts.set_active(session, seeded.users["analis_bawaslu"], False)
        assert accounts.account_for_token(session, secret, now=NOW) is None
        assert len(accounts.accounts_of(session, seeded.orgs["Bawaslu Sampang"])) == 2
