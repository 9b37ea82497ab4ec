"""`prefect server start` as a child process for the tests that need Prefect's real server (its
scheduler, or its PostgreSQL backend), on a free loopback port, through the class `pantau serve`
uses (flows.prefect_server.LocalPrefectServer); stopped when the block ends."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from flows.prefect_server import LocalPrefectServer, PrefectServerError, free_port


@contextmanager
def prefect_server(env: dict[str, str], *, drop: tuple[str, ...] = (), timeout: float = 180) -> Iterator[str]:
    """Run the server with ``os.environ`` plus ``env``, less the names in ``drop`` (UI and analytics
    off; never an inherited ``PREFECT_API_URL``); yields its API URL once ``/health`` answers."""
    full = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", **env}
    for name in drop:
        full.pop(name, None)
    with tempfile.TemporaryDirectory() as logs:
        server = LocalPrefectServer(port=free_port(), log_path=Path(logs) / "server.log", ui=False, env=full)
        try:
            server.start(timeout=timeout)
        except PrefectServerError as exc:
            pytest.fail(str(exc))
        try:
            yield server.api_url
        finally:
            server.stop(timeout=60)
