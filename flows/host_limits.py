"""Concurrency limits per source host: never more than ``schedule.host_concurrency`` fetches at once
from one web server, across every task, flow run and worker that shares the Prefect server.

Each host of an enabled ``http(s)`` source gets a Prefect global concurrency limit named
``pantau-host-<host>``, created or resized when a run starts; a collect task holds one slot of its
host's limit while it fetches. Local files need no slot. A slot is a lease of ``LEASE_SECONDS`` that
Prefect renews while its holder lives, so the slot of a run killed mid-fetch comes free within a minute.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

PREFIX = "pantau-host-"
LEASE_SECONDS = 60  # the shortest lease Prefect's server accepts
_log = logging.getLogger(__name__)


def limit_name(location: str) -> str | None:
    """The limit's name for a source location, or None when it is not fetched over HTTP."""
    parts = urlsplit(location)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return PREFIX + parts.hostname.lower().rstrip(".")


def ensure_host_limits(
    sources: list[dict[str, Any]], per_host: int, *, reset_slots: bool = False
) -> list[str]:
    """Create (or resize to ``per_host``) the limit of every host among the enabled sources.

    ``reset_slots``: also free every occupied slot. Only for a run that knows no other run is active: a
    run killed mid-fetch leaves its slot taken until Prefect's server revokes the expired lease, and a
    temporary local server (``pantau run`` / ``pantau serve`` without ``PREFECT_API_URL``) never does."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate
    from prefect.exceptions import ObjectAlreadyExists

    names = sorted({n for s in sources if s.get("enabled", True) and (n := limit_name(s["location"]))})
    if not names:
        return []
    with get_client(sync_client=True) as client:
        for name in names:
            try:
                client.upsert_global_concurrency_limit_by_name(name, per_host)
            except ObjectAlreadyExists:  # another run created it between our read and our create
                client.upsert_global_concurrency_limit_by_name(name, per_host)
            if reset_slots:
                client.update_global_concurrency_limit(name, GlobalConcurrencyLimitUpdate(active_slots=0))
    return names


@contextmanager
def host_slot(location: str, *, timeout_seconds: float = 600) -> Iterator[None]:
    """Hold one slot of the location's host limit (no-op for local files)."""
    name = limit_name(location)
    if name is None:
        yield
        return
    from prefect.concurrency.sync import concurrency

    with concurrency(
        name, occupy=1, timeout_seconds=timeout_seconds, lease_duration=LEASE_SECONDS, strict=False
    ):
        yield
