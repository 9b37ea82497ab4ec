"""The saved search step of the monitoring run (Prefect-free): after the alert rules, find the new alerts
of every saved search and queue one notice per search that found some.

Each saved search of an active user is scanned in its own transaction (:func:`storage.saved_searches.scan`:
what "new" means, and why nothing is notified twice or missed, is in that module's docstring). The
notice goes to the channels of ``notifications`` that carry the owner's organisation (a channel's
``organisations``; none given: every channel), as escalations do; the run's dispatch sends it. A search
whose stored filters no longer parse, or whose scan fails, is counted and skipped; the others go on.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from flows.resources import engine_for
from pantau.domain.config import PantauConfig
from storage import saved_searches
from storage.db import session_factory
from storage.errors import InvalidValueError, db_error_summary

log = logging.getLogger(__name__)


def match_saved_searches(
    database_url: str, config: dict[str, Any], now: datetime | None = None
) -> dict[str, Any]:
    """Scan every saved search once; returns counts: ``searches`` scanned, ``matched`` (new matches),
    ``notices`` made, ``queued`` deliveries, ``skipped`` (bad filters or a failed scan, with ``errors``)."""
    region = PantauConfig.model_validate(config)
    at = now.astimezone(UTC) if now else datetime.now(UTC)
    notifications = region.notifications
    make_session = session_factory(engine_for(database_url))
    counts: dict[str, Any] = {
        "searches": 0,
        "matched": 0,
        "notices": 0,
        "queued": 0,
        "skipped": 0,
        "errors": [],
    }
    with make_session() as session:
        ids = saved_searches.active_ids(session)
    for saved_id in ids:
        try:
            with make_session() as session, session.begin():
                result = saved_searches.scan(
                    session, saved_id, region.timezone, notifications.escalation_channels, now=at
                )
        except InvalidValueError as exc:
            counts["skipped"] += 1
            counts["errors"].append(f"saved search {saved_id}: {exc}")
            continue
        except SQLAlchemyError as exc:  # one search's trouble (a lock timeout) must not stop the others
            counts["skipped"] += 1
            counts["errors"].append(f"saved search {saved_id}: {db_error_summary(exc)}")
            log.warning("saved search %s not scanned: %s", saved_id, db_error_summary(exc))
            continue
        counts["searches"] += 1
        counts["matched"] += result.matched
        counts["notices"] += result.notice_id is not None
        counts["queued"] += result.queued
    return counts
