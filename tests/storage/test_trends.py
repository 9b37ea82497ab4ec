"""Trend series (storage/trends.py) on SQLite and PostgreSQL: local days and hours in Asia/Jakarta (an
alert at 23:30 UTC belongs to the next local day), zero-filled buckets, the groupings, flagged items by
the item's own time, the filters and the bucket limit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from storage import repository as repo
from storage.alert_search import AlertFilters
from storage.trends import trend_series

JKT = "Asia/Jakarta"


def _alert(session: Session, n: int, when: datetime, **kw) -> None:
    repo.raise_alert(
        session,
        kind=kw.pop("kind", "flagged_item"),
        severity=kw.pop("severity", "high"),
        reason="test",
        dedupe_key=f"k{n}",
        now=when,
        **kw,
    )


@pytest.fixture
def alerts(session: Session, sources: dict[str, int], new_item) -> Session:
    published = datetime(2024, 11, 20, 2, 0, tzinfo=UTC)  # 09:00 WIB on 20 Nov
    item = repo.upsert_items(
        session,
        sources["kabar-a"],
        None,
        [new_item(1, published_at=published, text="Ada amplop di Omben menjelang pilkada.")],
    ).ids[0]
    other = repo.upsert_items(session, sources["kabar-b"], None, [new_item(2)], now=published).ids[0]
    # 23:30 UTC on 26 Nov is 06:30 WIB on 27 Nov (voting day)
    _alert(
        session, 1, datetime(2024, 11, 26, 23, 30, tzinfo=UTC), signal="hoax", item_id=item, district="Omben"
    )
    _alert(
        session, 2, datetime(2024, 11, 26, 16, 59, tzinfo=UTC), signal="hoax", district="Omben"
    )  # 23:59 WIB
    _alert(
        session,
        3,
        datetime(2024, 11, 27, 1, 0, tzinfo=UTC),
        signal="vote_buying",
        item_id=item,
        stage="voting_day",
    )
    _alert(session, 4, datetime(2024, 11, 24, 3, 0, tzinfo=UTC), kind="spike", district="Torjun")
    _alert(
        session, 5, datetime(2024, 11, 27, 2, 0, tzinfo=UTC), signal="hoax", item_id=other, district="Torjun"
    )
    session.commit()
    return session


def test_days_are_local_days_with_zeros_filled(alerts):
    trend = trend_series(alerts, AlertFilters(), granularity="day", by="signal", timezone=JKT)
    days = [b.date().isoformat() for b in trend.buckets]
    # both series share the axis: from the flagged item's date (20 Nov) to the last alert (27 Nov)
    assert days == [f"2024-11-{d}" for d in range(20, 28)]
    assert all(b.utcoffset().total_seconds() == 7 * 3600 for b in trend.buckets)
    assert trend.series["alerts"] == {
        "hoax": [0, 0, 0, 0, 0, 0, 1, 2],  # 16:59 UTC on the 26th is still the 26th; 23:30 UTC is the 27th
        "spike": [0, 0, 0, 0, 1, 0, 0, 0],
        "vote_buying": [0, 0, 0, 0, 0, 0, 0, 1],
    }


def test_flagged_items_count_items_once_by_their_own_time(alerts):
    trend = trend_series(alerts, AlertFilters(), granularity="day", by="district", timezone=JKT)
    assert trend.buckets[0].date().isoformat() == "2024-11-20"  # the item's published date
    flagged = {k: sum(v) for k, v in trend.series["flagged"].items()}
    # item 1 has two flagged_item alerts (Omben, and '-' for the one without a district): one per group
    assert flagged == {"Omben": 1, "-": 1, "Torjun": 1}
    assert trend.series["flagged"]["Omben"][0] == 1


def test_hours_and_the_stage_grouping(alerts):
    trend = trend_series(
        alerts,
        AlertFilters(since=datetime(2024, 11, 26, 17, 0, tzinfo=UTC)),
        granularity="hour",
        by="stage",
        timezone=JKT,
    )
    # the period starts at local midnight of the 27th (17:00 UTC on the 26th)
    assert trend.buckets[0].isoformat() == "2024-11-27T00:00:00+07:00"
    assert trend.buckets[-1].isoformat() == "2024-11-27T09:00:00+07:00"
    assert len(trend.buckets) == 10
    assert trend.series["alerts"]["voting_day"][8] == 1  # 01:00 UTC = 08:00 WIB
    assert trend.series["alerts"]["-"][6] == 1  # 23:30 UTC = 06:30 WIB
    assert sum(trend.series["alerts"]["-"]) == 2


def test_filters_apply(alerts):
    trend = trend_series(alerts, AlertFilters(district="Torjun", kind="spike"), by="signal", timezone=JKT)
    assert trend.series["alerts"] == {"spike": [1]}
    assert trend.series["flagged"] == {}
    by_source = trend_series(alerts, AlertFilters(source="kabar-b"), timezone=JKT)
    assert by_source.totals("alerts") == {"hoax": 1}


def test_an_empty_database_and_the_bucket_limit(session, alerts):
    empty = trend_series(session, AlertFilters(signal="sara"), timezone=JKT)
    assert empty.buckets == [] and empty.series == {"alerts": {}, "flagged": {}}
    long = trend_series(
        alerts,
        AlertFilters(since=datetime(2000, 1, 1, tzinfo=UTC), until=datetime(2100, 1, 1, tzinfo=UTC)),
        granularity="hour",
        timezone=JKT,
        max_buckets=50,
    )
    assert long.truncated and len(long.buckets) == 50
    assert long.buckets[-1].isoformat() == "2100-01-01T06:00:00+07:00"


def test_text_and_actor_filters_work_on_both_series(alerts):
    trend = trend_series(alerts, AlertFilters(q="amplop", actor="Polres"), timezone=JKT)
    assert trend.series == {"alerts": {}, "flagged": {}}
    found = trend_series(alerts, AlertFilters(q="amplop"), timezone=JKT)
    assert found.totals("flagged") == {"hoax": 1, "vote_buying": 1}
