"""Trends over time: alerts and flagged items per local day or hour, by signal, district or stage.

Two series with the analysts' filters (:class:`storage.alert_search.AlertFilters`):

* ``alerts``: matching alerts (every kind) by the time they were raised (``alerts.created_at``);
* ``flagged``: distinct items with a matching ``flagged_item`` alert, by the item's time
  (``published_at``, else ``collected_at``; a backfilled post counts when it appeared, not when it was
  collected). ``since``/``until`` apply to that time.

Buckets are local days or hours in the region's time zone (a day in Asia/Jakarta starts at 17:00 UTC).
PostgreSQL buckets in the database (``date_trunc`` of ``timezone(zone, t)``); SQLite, which has no time
zones, groups by UTC quarter hour (every zone's offset is a multiple of 15 minutes) and the few rows
are re-bucketed here. Either way the database returns one row per (bucket, group), so memory grows with
the buckets shown, not with the alerts. Empty buckets are filled with zeros; at most ``max_buckets``
(the newest) are kept.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, String, and_, cast, func, literal_column, or_, select
from sqlalchemy.orm import Session, aliased

from storage.alert_search import AlertFilters, _filtered
from storage.columns import as_utc
from storage.models import Alert, AlertEvent, Item, Score

GRANULARITIES = ("day", "hour")
GROUPINGS = ("signal", "district", "stage")
METRICS = ("alerts", "flagged")
MAX_BUCKETS = 1500
_ZONE = re.compile(r"[A-Za-z0-9_+\-/]{1,64}")
_DASH = literal_column("'-'")


@dataclass(frozen=True, slots=True)
class TrendSeries:
    """Counts per bucket: ``series[metric][group][i]`` belongs to ``buckets[i]`` (local bucket starts)."""

    granularity: str
    by: str
    timezone: str
    buckets: list[datetime]
    series: dict[str, dict[str, list[int]]]
    truncated: bool = False

    def totals(self, metric: str) -> dict[str, int]:
        return {group: sum(counts) for group, counts in self.series[metric].items()}


def _group_column(by: str) -> Any:
    if by == "signal":
        return func.coalesce(Alert.signal, Alert.kind)
    if by == "district":
        return func.coalesce(Alert.district, _DASH)
    if by == "stage":
        return func.coalesce(Alert.stage, _DASH)
    raise ValueError(f"by must be one of {', '.join(GROUPINGS)}")


def _bucket_column(column: Any, granularity: str, timezone: str, dialect: str) -> Any:
    """PostgreSQL: the local bucket start (naive). SQLite: the UTC quarter hour, 'YYYY-MM-DD HH:q'."""
    if dialect == "postgresql":
        if not _ZONE.fullmatch(timezone):
            raise ValueError(f"unusable time zone name {timezone!r}")
        # literals, not parameters: PostgreSQL must see the GROUP BY and SELECT expressions as equal
        local = func.timezone(literal_column(f"'{timezone}'", String), column)
        return func.date_trunc(literal_column(f"'{granularity}'", String), local)
    quarter = cast(func.strftime("%M", column), Integer) // 15
    return func.strftime("%Y-%m-%d %H:", column).concat(cast(quarter, String))


def _local_bucket(raw: Any, granularity: str, tz: ZoneInfo, dialect: str) -> datetime:
    """The naive local bucket start of one database row."""
    if dialect == "postgresql":
        local = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
        return local.replace(tzinfo=None)
    hour, _, quarter = str(raw).partition(":")
    utc = datetime.strptime(hour, "%Y-%m-%d %H").replace(tzinfo=UTC) + timedelta(minutes=15 * int(quarter))
    return _truncate(utc.astimezone(tz).replace(tzinfo=None), granularity)


def _truncate(local: datetime, granularity: str) -> datetime:
    if granularity == "day":
        return datetime.combine(local.date(), datetime.min.time())
    return local.replace(minute=0, second=0, microsecond=0)


def _item_time_in(item: Any, start: datetime | None, end: datetime | None) -> Any:
    """``coalesce(published_at, collected_at)`` in ``[start, end)``, written for the two indexes."""
    published, collected = [], []
    if start is not None:
        published.append(item.published_at >= as_utc(start))
        collected.append(item.collected_at >= as_utc(start))
    if end is not None:
        published.append(item.published_at < as_utc(end))
        collected.append(item.collected_at < as_utc(end))
    return or_(
        and_(item.published_at.is_not(None), *published), and_(item.published_at.is_(None), *collected)
    )


def _counts(
    session: Session, filters: AlertFilters, metric: str, by: str, granularity: str, tz: ZoneInfo
) -> dict[tuple[datetime, str], int]:
    dialect = session.get_bind().dialect.name
    group = _group_column(by)
    if metric == "alerts":
        bucket = _bucket_column(Alert.created_at, granularity, tz.key, dialect)
        stmt = _filtered(select(bucket, group, func.count(Alert.id)), filters, dialect)
    else:
        if filters.kind not in (None, "flagged_item"):
            return {}
        # an alias: the filters' own subqueries on items (actor, text) must still correlate to alerts only
        item = aliased(Item)
        item_time = func.coalesce(item.published_at, item.collected_at)
        bucket = _bucket_column(item_time, granularity, tz.key, dialect)
        undated = dataclasses.replace(filters, since=None, until=None)
        stmt = _filtered(
            select(bucket, group, func.count(func.distinct(item.id)))
            .select_from(Alert)
            .join(item, item.id == Alert.item_id)
            .where(Alert.kind == "flagged_item", _item_time_in(item, filters.since, filters.until)),
            undated,
            dialect,
        )
    out: dict[tuple[datetime, str], int] = defaultdict(int)
    for raw, key, n in session.execute(stmt.group_by(bucket, group)):
        out[(_local_bucket(raw, granularity, tz, dialect), key)] += int(n)
    return out


def _bucket_range(
    first: datetime, last: datetime, granularity: str, tz: ZoneInfo, limit: int
) -> tuple[list[datetime], bool]:
    """Naive local bucket starts from ``first`` to ``last`` (naive local bucket starts), at most the
    ``limit`` newest; and whether older ones were left out."""
    out: list[datetime] = []
    if granularity == "day":
        day = last.date()
        while day >= first.date() and len(out) <= limit:
            out.append(datetime.combine(day, datetime.min.time()))
            day -= timedelta(days=1)
    else:
        moment = last.replace(tzinfo=tz).astimezone(UTC)
        start = first.replace(tzinfo=tz).astimezone(UTC)
        while moment >= start and len(out) <= limit:
            local = _truncate(moment.astimezone(tz).replace(tzinfo=None), "hour")
            if not out or out[-1] != local:  # a repeated hour (clocks set back) is one bucket
                out.append(local)
            moment -= timedelta(hours=1)
    return out[:limit][::-1], len(out) > limit


def _bounds(
    filters: AlertFilters, keys: list[datetime], granularity: str, tz: ZoneInfo
) -> tuple[datetime, datetime] | None:
    """The first and last bucket: the period's, else the data's."""

    def local(moment: datetime) -> datetime:
        return _truncate(as_utc(moment).astimezone(tz).replace(tzinfo=None), granularity)

    first = local(filters.since) if filters.since else (min(keys) if keys else None)
    end = filters.until - timedelta(microseconds=1) if filters.until else None
    last = local(end) if end else (max(keys) if keys else None)
    if first is None and last is None:
        return None
    first, last = first or last, last or first
    assert first is not None and last is not None
    return (first, last) if first <= last else None


def trend_series(
    session: Session,
    filters: AlertFilters,
    *,
    granularity: str = "day",
    by: str = "signal",
    timezone: str = "Asia/Jakarta",
    max_buckets: int = MAX_BUCKETS,
) -> TrendSeries:
    """Both series for ``filters``: one count per bucket and group (zeros included) from ``since`` (else
    the first bucket with data) to ``until`` (else the last one); groups without any count are left out."""
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {', '.join(GRANULARITIES)}")
    tz = ZoneInfo(timezone)
    counts = {metric: _counts(session, filters, metric, by, granularity, tz) for metric in METRICS}
    keys = [bucket for found in counts.values() for bucket, _ in found]
    bounds = _bounds(filters, keys, granularity, tz)
    buckets, truncated = _bucket_range(*bounds, granularity, tz, max_buckets) if bounds else ([], False)
    index = {bucket: i for i, bucket in enumerate(buckets)}
    series: dict[str, dict[str, list[int]]] = {}
    for metric, found in counts.items():
        groups: dict[str, list[int]] = {}
        for (bucket, group), n in sorted(found.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            if bucket in index:
                groups.setdefault(group, [0] * len(buckets))[index[bucket]] += n
        series[metric] = groups
    return TrendSeries(
        granularity=granularity,
        by=by,
        timezone=timezone,
        buckets=[b.replace(tzinfo=tz) for b in buckets],
        series=series,
        truncated=truncated,
    )


def data_version(session: Session) -> tuple[int | None, ...]:
    """What the series depend on, in three primary-key lookups: the newest alert, the newest alert
    status change and the newest score (a new model version re-tags items). A cached series whose
    version differs is stale (:mod:`pantau.web.trends`)."""
    return tuple(session.scalar(select(func.max(model.id))) for model in (Alert, AlertEvent, Score))
