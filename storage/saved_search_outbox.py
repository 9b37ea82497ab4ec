"""The outbox rows of saved search notices (``notification_deliveries.notice_id``): claimed in batches per
channel, with what a message needs (the search's name, owner, count and first matches), and marked with
:func:`storage.notifications.mark_sent` / ``mark_failed`` like alert deliveries.

Same guarantee as alerts and escalations (at least once): a claim gives the rows a batch id and counts
an attempt before anything is sent; a pending row found with a batch id was interrupted and is claimed
again under the same id. A delivery whose search was paused meanwhile is ``dropped`` (a deleted search
takes its deliveries with it). Claim only under :func:`storage.notifications.channel_lock`; the caller
commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.columns import as_utc
from storage.models import NotificationDelivery, SavedSearch, SavedSearchMatch, SavedSearchNotice, User
from storage.outbox import claim_rows
from storage.saved_searches import MatchPreview, as_query, match_query, previews

#: matches listed in one notice (the count says how many there are)
PREVIEW_MATCHES = 3


@dataclass(frozen=True, slots=True)
class PendingSavedSearch:
    """One claimed notice delivery: which saved search found how many new alerts, and the first few."""

    delivery_id: int
    batch_id: str
    attempts: int
    notice_id: int
    saved_search_id: int
    name: str
    owner: str
    organisation: str
    view: str
    query: dict[str, str]
    match_count: int
    created_at: datetime
    matches: list[MatchPreview]


def _base(channel: str) -> list[object]:
    return [
        NotificationDelivery.channel == channel,
        NotificationDelivery.status == "pending",
        NotificationDelivery.notice_id.is_not(None),
    ]


def has_pending(session: Session, channel: str) -> bool:
    """Whether ``channel`` has a saved search notice waiting (fresh or interrupted)."""
    found = session.execute(select(NotificationDelivery.id).where(*_base(channel)).limit(1)).first()
    return found is not None


def _candidates(session: Session, channel: str, limit: int, retry_id: str | None) -> list[tuple]:
    query = (
        select(
            NotificationDelivery.id,
            NotificationDelivery.attempts,
            SavedSearchNotice,
            SavedSearch,
            User.username,
        )
        .join(SavedSearchNotice, SavedSearchNotice.id == NotificationDelivery.notice_id)
        .join(SavedSearch, SavedSearch.id == SavedSearchNotice.saved_search_id)
        .join(User, User.id == SavedSearch.user_id)
        .where(*_base(channel), SavedSearch.notify.is_(True))
        .order_by(SavedSearchNotice.id)
    )
    if retry_id is not None:
        query = query.where(NotificationDelivery.batch_id == retry_id)
    else:
        query = query.where(NotificationDelivery.batch_id.is_(None)).limit(limit)
    return [tuple(row) for row in session.execute(query)]


def _first_matches(session: Session, notice_id: int) -> list[MatchPreview]:
    query = match_query(SavedSearchMatch.notice_id == notice_id, limit=PREVIEW_MATCHES)
    return previews(session, [tuple(r) for r in session.execute(query)])


def claim_batch(
    session: Session, channel: str, limit: int, *, max_attempts: int | None = None
) -> list[PendingSavedSearch]:
    """The next notice batch of ``channel`` (an interrupted one first, under its id); counts an attempt
    per row. Empty list: nothing left to send."""
    paused = select(SavedSearch.id).where(
        SavedSearch.id == SavedSearchNotice.saved_search_id,
        SavedSearchNotice.id == NotificationDelivery.notice_id,
        SavedSearch.notify.is_(False),
    )
    session.execute(
        update(NotificationDelivery)
        .where(*_base(channel), paused.exists())
        .values(status="dropped", last_error="saved search paused")
    )
    claim = claim_rows(
        session,
        _base(channel),
        lambda retry_id: _candidates(session, channel, limit, retry_id),
        max_attempts=max_attempts,
    )
    if claim is None:
        return []
    claim_id, rows = claim
    return [
        PendingSavedSearch(
            delivery_id=d_id,
            batch_id=claim_id,
            attempts=attempts + 1,
            notice_id=notice.id,
            saved_search_id=saved.id,
            name=saved.name,
            owner=owner,
            organisation=notice.organisation,
            view=saved.view,
            query=as_query(saved.filters or {}),
            match_count=notice.match_count,
            created_at=as_utc(notice.created_at),
            matches=_first_matches(session, notice.id),
        )
        for d_id, attempts, notice, saved, owner in rows
    ]
