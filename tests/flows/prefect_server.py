"""`prefect server start` as a child process for the tests that need Prefect's real server (its
scheduler, or its PostgreSQL backend), on a free loopback port; stopped when the block ends."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def prefect_server(env: dict[str, str], *, drop: tuple[str, ...] = (), timeout: float = 180) -> Iterator[str]:
    """Run the server with ``os.environ`` plus ``env``, less the names in ``drop`` (UI and analytics
    off; never an inherited ``PREFECT_API_URL``); yields its API URL once ``/health`` answers."""
    port = free_port()
    full = {**os.environ, "PREFECT_UI_ENABLED": "false", "PREFECT_SERVER_ANALYTICS_ENABLED": "false", **env}
    for name in ("PREFECT_API_URL", *drop):
        full.pop(name, None)
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=full,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            pytest.fail(f"prefect server start did not answer within {timeout:.0f} s")
        yield api
    finally:
        server.terminate()
        server.wait(timeout=60)
