"""The JSON API's keyset pages on SQLite and PostgreSQL (``storage.api_queries``): the row-value seek
``(created_at, id) < (?, ?)`` across ties, the alerts' severity order and id bound, the capped count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from pantau.domain.config import SourceConfig
from pantau.domain.records import CollectedItem
from storage import api_queries as aq
from storage import repository as repo
from storage.alert_search import AlertFilters
from storage.alerts import raise_alert
from storage.models import SEVERITIES

T0 = datetime(2024, 11, 20, tzinfo=UTC)


def _alert(session: Session, item_id: int, n: int, *, severity: str, hours: int) -> int:
    return raise_alert(
        session,
        kind="flagged_item",
        severity=severity,
        signal="hoax",
        item_id=item_id,
        reason=f"r{n}",
        dedupe_key=f"k{n}",
        now=T0 + timedelta(hours=hours),
    )[0]


def _walk(read, limit: int) -> list:
    rows, key = [], None
    for _ in range(100):
        page, key = read(key, limit)
        rows += page
        if key is None:
            return rows
    raise AssertionError("the walk does not end")


def test_keyset_walks_on_both_databases(engine):
    with Session(engine) as session, session.begin():
        source = repo.sync_sources(
            session, [SourceConfig(name="s", kind="rss", location="https://s.example")]
        )
        items = [
            repo.upsert_items(
                session,
                source["s"],
                None,
                [CollectedItem(source="s", title=f"t{i}", text=f"x{i}", url=f"https://s.example/{i}")],
                now=T0 + timedelta(hours=i // 2),  # two items per collection time
            ).ids[0]
            for i in range(7)
        ]
        # two alerts of each severity at each of two times: every page boundary falls inside a tie
        expected = [
            _alert(session, items[0], n, severity=SEVERITIES[n // 4], hours=n // 2 % 2) for n in range(16)
        ]
    with Session(engine) as session:

        def alerts(key, limit):
            rows, key = aq.alerts_after(session, AlertFilters(), key, limit=limit)
            if key is not None:  # a new alert of every severity arrives between pages: never listed
                with Session(engine) as other, other.begin():
                    for severity in SEVERITIES:
                        _alert(
                            other,
                            items[1],
                            1000 + len(rows) * 10 + SEVERITIES.index(severity),
                            severity=severity,
                            hours=99,
                        )
            return rows, key

        rows = _walk(alerts, 3)
        assert sorted(r.id for r in rows) == sorted(expected)
        rank = {s: i for i, s in enumerate(SEVERITIES)}
        assert rows == sorted(rows, key=lambda r: (rank[r.severity], r.created_at, r.id), reverse=True)
        listed = _walk(lambda key, limit: aq.items_after(session, aq.ItemFilters(), key, limit=limit), 2)
        assert len({r.collected_at for r in listed}) == 4  # ties of two at each collection time
        assert listed == sorted(listed, key=lambda r: (r.collected_at, r.id), reverse=True)
        assert sorted(r.id for r in listed) == sorted(items)
        assert aq.capped_count(session, AlertFilters(), cap=5) == (5, False)
        assert aq.capped_count(session, AlertFilters(signal="sara")) == (0, True)
