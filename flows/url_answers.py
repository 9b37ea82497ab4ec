"""Counter-narratives reviewers gave as URLs: the monitoring run fetches their pages (Prefect-free).

A reviewer who answers a claim with a link (the item page's main field, the claims page) records it at
once, credited to their organisation (``storage.claims.record_url_answer``). When the machine is
online, the next run fetches the page like an ``html`` source (same fetcher, limits, robots and
extraction) under the source ``reviewer-links``, stores it as an item (so it is scored and matched like
any other, and deduplicated against a feed that carried it), and points the link at it: the answer's
time becomes the page's publication time when that is earlier than the time it was recorded, so the
lag is measured to when the answer was published. Actor and basis stay the reviewer's organisation's.

A failed fetch (offline, 404, no article text, a refused host) is recorded on the link
(``fetch_error``) and tried again after :data:`RETRY_AFTER`, at most :data:`MAX_ATTEMPTS` times; the
URL answer counts in the outcomes all along. Pages on loopback, private or link-local addresses are
refused unless ``http.reviewer_links_private_hosts`` is set: a reviewer's link must not make the server
read its own network (a resolve-then-fetch check; DNS rebinding is not covered).
"""

from __future__ import annotations

import ipaddress
import socket
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from flows import steps
from flows.resources import engine_for
from pantau.domain.config import HttpConfig, SourceConfig
from pantau.domain.records import CollectResult
from storage import claims as claims_store
from storage import repository as repo

SOURCE_NAME = "reviewer-links"
#: a design choice: a day's outage is retried within the day; three tries, then the link stays a URL
RETRY_AFTER = timedelta(hours=6)
MAX_ATTEMPTS = 3
COUNT_KEYS = ("url_answers_tried", "url_answers_fetched", "url_answers_failed")


def _refused_host(url: str) -> str | None:
    """Why the URL's host may not be fetched (loopback, private, link-local, reserved), or None."""
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        return f"cannot resolve {host}: {exc.strerror or exc}"
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            return f"{host} resolves to a non-public address ({address})"
    return None


def _error(result: CollectResult | None) -> str | None:
    if result is None:
        return None
    return result.error or "; ".join(f"{s.reason}: {s.detail}" for s in result.skipped) or None


def fetch_url_answers(
    database_url: str, config: dict[str, Any], run_id: int | None, *, now: datetime | None = None
) -> dict[str, int]:
    """Fetch the pages of the URL answers that are due; returns the counts (:data:`COUNT_KEYS`)."""
    http = HttpConfig.model_validate(config.get("http", {}))
    counts = dict.fromkeys(COUNT_KEYS, 0)
    if not http.fetch_reviewer_links:
        return counts
    at = now or datetime.now(UTC)
    engine = engine_for(database_url)
    with Session(engine) as session:
        due = claims_store.url_answers_to_fetch(
            session, now=at, retry_after=RETRY_AFTER, max_attempts=MAX_ATTEMPTS
        )
    for answer in due:
        counts["url_answers_tried"] += 1
        source = SourceConfig(name=SOURCE_NAME, kind="html", location=answer.url, trust=0.5)
        refused = None if http.reviewer_links_private_hosts else _refused_host(answer.url)
        result = (
            None
            if refused
            else steps.collect(source.model_dump(mode="json"), http.model_dump(mode="json"), database_url)
        )
        with Session(engine) as session, session.begin():
            item_id = None
            if result is not None and result.items:
                source_id = repo.sync_sources(session, [source])[SOURCE_NAME]
                item_id = repo.upsert_items(session, source_id, run_id, result.items[:1]).ids[0]
            claims_store.record_fetched_answer(
                session, answer.id, item_id, error=refused or _error(result), now=at
            )
        counts["url_answers_fetched" if item_id is not None else "url_answers_failed"] += 1
    return counts
