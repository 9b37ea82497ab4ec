"""Saved searches that alert: a user's named filter of the alerts view or the item search, its matches and
its notices.

A saved search stores the filter parameters of the page it was saved from (``filters``: ``signal``,
``stage``, ``district``, ``source``, ``actor``, ``status``, ``kind``, ``since``, ``until``, ``q``, as the
URL has them) and that page (``view``): ``alerts`` matches **alerts** through the alerts page's own
query (:func:`storage.alert_search.alerts_after`), ``search`` matches **items** (alerted or not) through
the item search's (:func:`storage.text_search.items_matching`, which needs words in ``q``). Only its
owner may rename, pause, resume or delete it (:class:`NotOwnerError`); the owner's organisation may
read it.

**New** means: a row (alert, or item) whose id is above the search's ``watermark`` and that matches its
filters when a scan (:func:`scan`, run by the monitoring flow after the alert rules) reads it. Saving
sets both watermarks to the highest id then, so nothing already on the page is new. A scan records each
(search, row) pair once in ``saved_search_matches`` (unique constraints; ``INSERT ... ON CONFLICT DO
NOTHING``), then moves ``watermark`` to the previous scan's ``high_water`` and ``high_water`` to the
highest id it saw. The floor lags one scan behind, so a row whose transaction committed after a later
id was already visible (PostgreSQL allocates ids before commit) is still read by the next scan; reading
a row twice records and notifies it once. A scan begins by updating its search's row (``checked_at``),
which locks it (PostgreSQL) or takes the write lock (SQLite), so concurrent scans of one search run one
after the other and the second finds nothing new.

The pairs a scan newly records become one :class:`~storage.models.SavedSearchNotice` (when the search
notifies; a paused search only records them for the badge), queued in the notification outbox for the
channels that carry the owner's organisation (``storage.saved_search_outbox`` sends them). Functions
take a Session; the caller commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage import alert_search, text_search
from storage.alert_search import AlertFilters
from storage.columns import as_utc, utcnow
from storage.dialect import upsert_insert
from storage.errors import InvalidValueError, RecordNotFoundError, StorageError
from storage.models import (
    Alert,
    Item,
    NotificationDelivery,
    Organisation,
    SavedSearch,
    SavedSearchMatch,
    SavedSearchNotice,
    User,
)

#: The filter parameters a saved search keeps (those of the alerts page and the API).
FILTER_KEYS = ("signal", "stage", "district", "source", "actor", "status", "kind", "since", "until", "q")
#: The pages a saved search opens on: the alerts view (matches alerts) or the item search (matches items).
VIEWS = ("alerts", "search")
NAME_CHARS = 120
VALUE_CHARS = 500
SCAN_PAGE = 200
FIRST_PAGE = 20


class NotOwnerError(StorageError):
    """Only the owner of a saved search may change or delete it."""

    def __init__(self, saved_search_id: int, user_id: int):
        self.saved_search_id = saved_search_id
        self.user_id = user_id
        super().__init__(f"saved search {saved_search_id} does not belong to user {user_id}")


@dataclass(frozen=True, slots=True)
class SavedSearchView:
    """A saved search as the web app lists it, with its owner and match counts."""

    id: int
    user_id: int
    username: str
    organisation_id: int
    organisation: str
    name: str
    view: str
    filters: dict[str, str]
    notify: bool
    created_at: datetime
    unseen: int = 0
    matches: int = 0


@dataclass(frozen=True, slots=True)
class ScanResult:
    """What one scan of one saved search did: ``read`` matching alerts (items) above the floor,
    ``matched`` of them recorded for the first time (``new_ids``), the notice made and deliveries queued."""

    saved_search_id: int
    read: int = 0
    matched: int = 0
    notice_id: int | None = None
    queued: int = 0
    new_ids: list[int] = field(default_factory=list)


def clean_name(name: object) -> str:
    """The name with whitespace collapsed, 1 to NAME_CHARS characters (InvalidValueError otherwise)."""
    clean = " ".join(str(name or "").split())
    if not clean or len(clean) > NAME_CHARS:
        raise InvalidValueError("name", name, (f"1-{NAME_CHARS} characters",))
    return clean


def clean_filters(filters: Mapping[str, object]) -> dict[str, str]:
    """The known, non-empty filter parameters (stripped); other keys are dropped. A value longer than
    VALUE_CHARS raises InvalidValueError. The web app validates the values first (parse_filters)."""
    out: dict[str, str] = {}
    for key in FILTER_KEYS:
        value = filters.get(key)
        if value is None:
            continue
        text = str(value).strip()
        if len(text) > VALUE_CHARS:
            raise InvalidValueError(key, text[:40], (f"at most {VALUE_CHARS} characters",))
        if text:
            out[key] = text
    return out


def _day(value: str | None, key: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidValueError(key, value, ("a date like 2024-11-27",)) from None


def alert_filters(filters: Mapping[str, str], timezone: str) -> AlertFilters:
    """The AlertFilters of stored filter parameters: ``since``/``until`` are local dates of ``timezone``
    (``until`` inclusive), as on the alerts page. A bad date raises InvalidValueError."""
    tz = ZoneInfo(timezone)
    since, until = _day(filters.get("since"), "since"), _day(filters.get("until"), "until")
    values = {k: filters.get(k) or None for k in FILTER_KEYS if k not in ("since", "until")}
    return AlertFilters(
        **values,
        since=datetime.combine(since, time(0), tz) if since else None,
        until=datetime.combine(until + timedelta(days=1), time(0), tz) if until else None,
    )


def top_alert_id(session: Session) -> int:
    """The highest alert id (0 when there is none)."""
    return session.execute(select(func.coalesce(func.max(Alert.id), 0))).scalar_one()


def top_id(session: Session, view: str) -> int:
    """The highest id of what a search of ``view`` matches: alerts, or items for ``search``."""
    if view == "search":
        return session.execute(select(func.coalesce(func.max(Item.id), 0))).scalar_one()
    return top_alert_id(session)


def create(
    session: Session,
    user_id: int,
    name: str,
    filters: Mapping[str, object],
    *,
    view: str = "alerts",
    notify: bool = True,
    now: datetime | None = None,
) -> int:
    """Save a search for ``user_id``; what exists now is not new to it. Returns its id. A ``search`` view
    needs a text query (``q``)."""
    if view not in VIEWS:
        raise InvalidValueError("view", view, VIEWS)
    kept = clean_filters(filters)
    if view == "search" and not kept.get("q"):
        raise InvalidValueError("q", "", ("words to search for",))
    at = as_utc(now) if now else utcnow()
    top = top_id(session, view)
    saved = SavedSearch(
        user_id=user_id,
        name=clean_name(name),
        view=view,
        filters=kept,
        notify=notify,
        watermark=top,
        high_water=top,
        created_at=at,
        updated_at=at,
    )
    session.add(saved)
    session.flush()
    return saved.id


def _views_query():  # noqa: ANN202 - a select
    unseen = (
        select(func.count())
        .where(SavedSearchMatch.saved_search_id == SavedSearch.id, SavedSearchMatch.seen_at.is_(None))
        .scalar_subquery()
    )
    total = select(func.count()).where(SavedSearchMatch.saved_search_id == SavedSearch.id).scalar_subquery()
    return (
        select(SavedSearch, User.username, User.organisation_id, Organisation.name, unseen, total)
        .join(User, User.id == SavedSearch.user_id)
        .join(Organisation, Organisation.id == User.organisation_id)
    )


def _view(
    saved: SavedSearch, username: str, org_id: int, org: str, unseen: int, total: int
) -> SavedSearchView:
    return SavedSearchView(
        id=saved.id,
        user_id=saved.user_id,
        username=username,
        organisation_id=org_id,
        organisation=org,
        name=saved.name,
        view=saved.view,
        filters=dict(saved.filters or {}),
        notify=saved.notify,
        created_at=as_utc(saved.created_at),
        unseen=unseen or 0,
        matches=total or 0,
    )


def get(session: Session, saved_search_id: int) -> SavedSearchView:
    """One saved search; RecordNotFoundError when there is none."""
    row = session.execute(_views_query().where(SavedSearch.id == saved_search_id)).first()
    if row is None:
        raise RecordNotFoundError("saved search", saved_search_id)
    return _view(*row)


def visible_to(session: Session, user_id: int, organisation_id: int) -> list[SavedSearchView]:
    """The user's own saved searches (newest first), then the other ones of their organisation."""
    rows = session.execute(
        _views_query()
        .where(User.organisation_id == organisation_id)
        .order_by((SavedSearch.user_id != user_id), SavedSearch.created_at.desc(), SavedSearch.id.desc())
    )
    return [_view(*row) for row in rows]


def unseen_count(session: Session, user_id: int) -> int:
    """Matches of the user's own saved searches that the user has not opened yet (the nav badge)."""
    return session.execute(
        select(func.count())
        .select_from(SavedSearchMatch)
        .join(SavedSearch, SavedSearch.id == SavedSearchMatch.saved_search_id)
        .where(SavedSearch.user_id == user_id, SavedSearchMatch.seen_at.is_(None))
    ).scalar_one()


def _owned(session: Session, saved_search_id: int, user_id: int) -> SavedSearch:
    saved = session.get(SavedSearch, saved_search_id)
    if saved is None:
        raise RecordNotFoundError("saved search", saved_search_id)
    if saved.user_id != user_id:
        raise NotOwnerError(saved_search_id, user_id)
    return saved


def rename(
    session: Session, saved_search_id: int, user_id: int, name: str, *, now: datetime | None = None
) -> None:
    """Rename the user's saved search (NotOwnerError for anyone else's)."""
    saved = _owned(session, saved_search_id, user_id)
    saved.name = clean_name(name)
    saved.updated_at = as_utc(now) if now else utcnow()
    session.flush()


def set_notify(
    session: Session, saved_search_id: int, user_id: int, notify: bool, *, now: datetime | None = None
) -> None:
    """Pause (False) or resume (True) the notifications of the user's saved search. Matches found while
    paused are still counted in the badge, never notified later."""
    saved = _owned(session, saved_search_id, user_id)
    saved.notify = notify
    saved.updated_at = as_utc(now) if now else utcnow()
    session.flush()


def delete(session: Session, saved_search_id: int, user_id: int) -> None:
    """Delete the user's saved search with its matches, notices and their pending deliveries."""
    saved = _owned(session, saved_search_id, user_id)
    notices = select(SavedSearchNotice.id).where(SavedSearchNotice.saved_search_id == saved_search_id)
    session.execute(  # SQLite enforces ON DELETE CASCADE too, but only with foreign keys on: be explicit
        NotificationDelivery.__table__.delete().where(NotificationDelivery.notice_id.in_(notices))
    )
    session.execute(
        SavedSearchMatch.__table__.delete().where(SavedSearchMatch.saved_search_id == saved_search_id)
    )
    session.execute(
        SavedSearchNotice.__table__.delete().where(SavedSearchNotice.saved_search_id == saved_search_id)
    )
    session.delete(saved)
    session.flush()


def mark_seen(session: Session, saved_search_id: int, user_id: int, *, now: datetime | None = None) -> int:
    """The owner opened the search: its unseen matches become seen. Returns how many. Anyone else
    opening it (the organisation's members) changes nothing (returns 0)."""
    saved = session.get(SavedSearch, saved_search_id)
    if saved is None:
        raise RecordNotFoundError("saved search", saved_search_id)
    if saved.user_id != user_id:
        return 0
    result = session.execute(
        update(SavedSearchMatch)
        .where(SavedSearchMatch.saved_search_id == saved_search_id, SavedSearchMatch.seen_at.is_(None))
        .values(seen_at=as_utc(now) if now else utcnow())
    )
    return result.rowcount


def active_ids(session: Session) -> list[int]:
    """Every saved search of an active user, oldest first (what the monitoring step scans)."""
    return list(
        session.scalars(
            select(SavedSearch.id)
            .join(User, User.id == SavedSearch.user_id)
            .where(User.active.is_(True))
            .order_by(SavedSearch.id)
        )
    )


def _matching_ids(session: Session, view: str, filters: AlertFilters, floor: int) -> list[int]:
    """The ids above ``floor`` that match, through the page's own query: alerts newest first in keyset
    pages until a page reaches the floor, or items above the floor in pages (``search``)."""
    found: list[int] = []
    if view == "search":
        after = floor
        while True:
            hits = text_search.items_matching(
                session, filters, after_id=after, limit=SCAN_PAGE, snippets=False
            )
            found += [h.id for h in hits]
            if len(hits) < SCAN_PAGE:
                return found
            after = hits[-1].id
    before: int | None = None
    size = FIRST_PAGE  # usually nothing or little is new: a short first page finds the floor
    while True:
        rows = alert_search.alerts_after(session, filters, before, limit=size)
        fresh = [r.id for r in rows if r.id > floor]
        found += fresh
        if len(rows) < size or len(fresh) < len(rows):
            return found
        before, size = rows[-1].id, SCAN_PAGE


def _target(view: str) -> str:
    return "item_id" if view == "search" else "alert_id"


def scan(
    session: Session,
    saved_search_id: int,
    timezone: str,
    channels_for: Callable[[str], Iterable[str]] = lambda organisation: (),
    *,
    now: datetime | None = None,
) -> ScanResult:
    """Record the new matches of one saved search and, when it notifies, one notice for them queued on
    ``channels_for(owner's organisation)``; then move its watermarks (see the module docstring).

    A search deleted meanwhile gives an empty result; stored filters that no longer parse raise
    InvalidValueError (nothing changes). The caller commits (one transaction per search)."""
    at = as_utc(now) if now else utcnow()
    claimed = session.execute(  # first statement: takes the row lock (PostgreSQL) or write lock (SQLite)
        update(SavedSearch)
        .where(SavedSearch.id == saved_search_id)
        .values(checked_at=at)
        .returning(
            SavedSearch.watermark,
            SavedSearch.high_water,
            SavedSearch.filters,
            SavedSearch.notify,
            SavedSearch.view,
        )
    ).first()
    if claimed is None:
        return ScanResult(saved_search_id)
    watermark, high_water, stored, notify, view = claimed
    filters = alert_filters(stored or {}, timezone)
    top = top_id(session, view)
    ids = _matching_ids(session, view, filters, watermark)
    new_ids = _record(session, saved_search_id, _target(view), ids, at)
    notice_id, queued = None, 0
    if new_ids and notify:
        notice_id, queued = _notice(session, saved_search_id, _target(view), new_ids, channels_for, at)
    session.execute(
        update(SavedSearch)
        .where(SavedSearch.id == saved_search_id)
        .values(watermark=max(watermark, high_water), high_water=max(high_water, top, *ids))
    )
    session.flush()
    return ScanResult(saved_search_id, len(ids), len(new_ids), notice_id, queued, sorted(new_ids))


def _record(session: Session, saved_search_id: int, target: str, ids: list[int], at: datetime) -> list[int]:
    """Insert the (search, alert or item) pairs not recorded yet; returns the ids that were new."""
    if not ids:
        return []
    column = SavedSearchMatch.__table__.c[target]
    stmt = (
        upsert_insert(session, SavedSearchMatch.__table__)
        .values([{"saved_search_id": saved_search_id, target: i, "matched_at": at} for i in sorted(ids)])
        .on_conflict_do_nothing(index_elements=["saved_search_id", target])
        .returning(column)
    )
    return list(session.execute(stmt).scalars())


def _notice(
    session: Session,
    saved_search_id: int,
    target: str,
    ids: list[int],
    channels_for: Callable[[str], Iterable[str]],
    at: datetime,
) -> tuple[int, int]:
    organisation = session.execute(
        select(Organisation.name)
        .join(User, User.organisation_id == Organisation.id)
        .join(SavedSearch, SavedSearch.user_id == User.id)
        .where(SavedSearch.id == saved_search_id)
    ).scalar_one()
    notice = SavedSearchNotice(
        saved_search_id=saved_search_id, organisation=organisation, match_count=len(ids), created_at=at
    )
    session.add(notice)
    session.flush()
    session.execute(
        update(SavedSearchMatch)
        .where(
            SavedSearchMatch.saved_search_id == saved_search_id, getattr(SavedSearchMatch, target).in_(ids)
        )
        .values(notice_id=notice.id)
    )
    queued = 0
    for channel in dict.fromkeys(channels_for(organisation)):
        stmt = (
            upsert_insert(session, NotificationDelivery.__table__)
            .values(notice_id=notice.id, channel=channel, status="pending", attempts=0, created_at=at)
            .on_conflict_do_nothing(index_elements=["notice_id", "channel"])
        )
        queued += len(session.execute(stmt.returning(NotificationDelivery.id)).all())
    return notice.id, queued


@dataclass(frozen=True, slots=True)
class MatchPreview:
    """One match as a notice or the /saved page lists it: an alert (with its item, if any) or an item
    (``alert_id`` None). The snippet is scraped text: escape it."""

    alert_id: int | None
    item_id: int | None
    created_at: datetime
    kind: str | None
    signal: str | None
    severity: str | None
    district: str | None
    item_url: str | None
    snippet: str | None


def previews(session: Session, matches: Iterable[tuple[int | None, int | None]]) -> list[MatchPreview]:
    """These (alert id, item id) matches, newest first, with the item's snippet and URL."""
    pairs = list(matches)
    alert_ids = [a for a, _ in pairs if a is not None]
    item_ids = [i for a, i in pairs if a is None and i is not None]
    text = func.substr(Item.text, 1, 4 * alert_search.SNIPPET_CHARS)
    out: list[MatchPreview] = []
    if alert_ids:
        rows = session.execute(
            select(Alert, Item.title, Item.url, text)
            .outerjoin(Item, Item.id == Alert.item_id)
            .where(Alert.id.in_(alert_ids))
        )
        out += [
            MatchPreview(
                alert_id=a.id,
                item_id=a.item_id,
                created_at=as_utc(a.created_at),
                kind=a.kind,
                signal=a.signal,
                severity=a.severity,
                district=a.district,
                item_url=url,
                snippet=alert_search.snippet(title, body) or a.reason,
            )
            for a, title, url, body in rows
        ]
    if item_ids:
        rows = session.execute(
            select(Item.id, Item.collected_at, Item.districts, Item.title, Item.url, text).where(
                Item.id.in_(item_ids)
            )
        )
        out += [
            MatchPreview(
                alert_id=None,
                item_id=i,
                created_at=as_utc(collected),
                kind=None,
                signal=None,
                severity=None,
                district=(districts or [None])[0],
                item_url=url,
                snippet=alert_search.snippet(title, body),
            )
            for i, collected, districts, title, url, body in rows
        ]
    return sorted(out, key=lambda m: (m.created_at, m.alert_id or 0, m.item_id or 0), reverse=True)


def match_query(*conditions: object, limit: int):  # noqa: ANN201 - a select of (alert_id, item_id)
    """The newest matches meeting ``conditions`` as (alert id, item id)."""
    return (
        select(SavedSearchMatch.alert_id, SavedSearchMatch.item_id)
        .where(*conditions)
        .order_by(func.coalesce(SavedSearchMatch.alert_id, SavedSearchMatch.item_id).desc())
        .limit(limit)
    )


def unseen_previews(session: Session, saved_search_id: int, limit: int = 5) -> list[MatchPreview]:
    """The newest unseen matches of a saved search (for the /saved page)."""
    query = match_query(
        SavedSearchMatch.saved_search_id == saved_search_id, SavedSearchMatch.seen_at.is_(None), limit=limit
    )
    return previews(session, [tuple(r) for r in session.execute(query)])


def as_query(filters: Mapping[str, Any]) -> dict[str, str]:
    """The stored filters as URL query parameters (only the known keys)."""
    return {k: str(v) for k, v in filters.items() if k in FILTER_KEYS and v not in (None, "")}
