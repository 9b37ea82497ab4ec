"""The counts behind volume-spike detection: flagged items per district and signal, by item time.

An item counts for a signal when it has a ``flagged_item`` alert for that signal that no reviewer
dismissed (open, acknowledged and resolved ones count, so alerts folded into their claim's alert still
do): those are what reviewers see, and they already respect the per-stage thresholds. An item counts
for every district it names (``items.districts``), not only the first one that its alert carries, so
a burst about Omben is seen whatever other kecamatan its posts mention; items naming none count under
district None. Item time is ``published_at``, else ``collected_at``.

One narrow select (signal, item id, time, districts) of the period only, written so that SQLite and
PostgreSQL use the ``published_at`` and ``collected_at`` indexes, then one pass in Python.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from pantau.domain.spikes import EarlierSpike, PairCount, SpikePeriod
from storage.columns import as_utc
from storage.models import Alert, Item

COUNTED_STATUSES = ("open", "acknowledged", "resolved")


def _item_time_in(start: datetime, end: datetime):
    """``coalesce(published_at, collected_at)`` in ``[start, end)``, as two index-friendly ranges."""
    start, end = as_utc(start), as_utc(end)
    return or_(
        and_(Item.published_at >= start, Item.published_at < end),
        and_(Item.published_at.is_(None), Item.collected_at >= start, Item.collected_at < end),
    )


def coverage_start(session: Session) -> datetime | None:
    """When monitoring began: the earliest ``collected_at`` (None for an empty database)."""
    first = session.execute(select(func.min(Item.collected_at))).scalar_one_or_none()
    return as_utc(first) if first is not None else None


def flagged_counts(session: Session, period: SpikePeriod, *, max_item_ids: int = 20) -> list[PairCount]:
    """Per (district, signal) seen in the period: flagged items in the window and in the baseline.

    Each pair's ``item_ids`` are its first ``max_item_ids`` window items by time. Pairs are ordered by
    district (None first), then signal.
    """
    item_time = func.coalesce(Item.published_at, Item.collected_at)
    stmt = (
        select(Alert.signal, Item.id, item_time, Item.districts)
        .join(Item, Item.id == Alert.item_id)
        .where(
            Alert.kind == "flagged_item",
            Alert.status.in_(COUNTED_STATUSES),
            Alert.signal.is_not(None),
            _item_time_in(period.baseline_start, period.window_end),
        )
    )
    window: dict[tuple[str | None, str], list[tuple[datetime, int]]] = defaultdict(list)
    baseline: dict[tuple[str | None, str], int] = defaultdict(int)
    seen: set[tuple[str, int]] = set()
    for signal, item_id, when, districts in session.execute(stmt):
        if (signal, item_id) in seen:
            continue
        seen.add((signal, item_id))
        in_window = as_utc(when) >= period.window_start
        for district in dict.fromkeys(districts or [None]):
            if in_window:
                window[(district, signal)].append((as_utc(when), item_id))
            else:
                baseline[(district, signal)] += 1
    pairs = sorted(set(window) | set(baseline), key=lambda p: (p[0] is not None, p[0] or "", p[1]))
    out = []
    for key in pairs:
        items = sorted(window.get(key, []))
        out.append(
            PairCount(
                district=key[0],
                signal=key[1],
                count=len(items),
                baseline_count=baseline.get(key, 0),
                item_ids=tuple(i for _, i in items[:max_item_ids]),
            )
        )
    return out


def earlier_spikes(session: Session, period: SpikePeriod) -> dict[tuple[str | None, str], list[EarlierSpike]]:
    """Spike alerts (any status) whose window may overlap ``period``'s, by (district, signal).

    A spike alert is created at its window's end, so only those created after this window's start
    are read; their windows come from their details.
    """
    stmt = select(Alert.district, Alert.signal, Alert.details).where(
        Alert.kind == "spike", Alert.created_at > as_utc(period.window_start), Alert.signal.is_not(None)
    )
    found: dict[tuple[str | None, str], list[EarlierSpike]] = defaultdict(list)
    for district, signal, details in session.execute(stmt):
        try:
            start = datetime.fromisoformat(details["window_start"])
            end = datetime.fromisoformat(details["window_end"])
        except (KeyError, TypeError, ValueError):
            continue  # a spike alert without a readable window cannot suppress anything
        found[(district, signal)].append(EarlierSpike(window_start=as_utc(start), window_end=as_utc(end)))
    return dict(found)
