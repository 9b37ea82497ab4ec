"""The documented multi-worker setup (docs/operations.md): Prefect's own server on PostgreSQL, and
`pantau serve` pointed at it with PREFECT_API_URL, writing Pantau's records to PostgreSQL too."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml
from sqlalchemy import create_engine, text

from tests.flows.posts import append_posts, export_source, region_config

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def prefect_on_postgres(pg_database):
    """A fresh PostgreSQL database for Prefect, and `prefect server start` on it."""
    admin = create_engine(pg_database.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"prefect_test_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db = pg_database.set(drivername="postgresql+asyncpg", database=name)
    port = _free_port()
    env = {
        **os.environ,
        "PREFECT_API_DATABASE_CONNECTION_URL": db.render_as_string(hide_password=False),
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    env.pop("PREFECT_API_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(1)
        else:
            pytest.fail("the Prefect server on PostgreSQL did not start within 180 s")
        yield api, db.set(drivername="postgresql+psycopg")
    finally:
        server.terminate()
        server.wait(timeout=60)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_pantau_serve_against_prefect_server_on_postgres(prefect_on_postgres, db_url, tmp_path):
    api, prefect_db = prefect_on_postgres
    posts = tmp_path / "posts.jsonl"
    append_posts(posts, 0, 10, datetime(2024, 11, 27, 8, 0, tzinfo=ZoneInfo("Asia/Jakarta")))
    config = tmp_path / "pantau.yaml"
    config.write_text(yaml.safe_dump(region_config([export_source("fb", posts)])), encoding="utf-8")
    env = {**os.environ, "PREFECT_API_URL": api}
    result = subprocess.run(
        [shutil.which("pantau"), "serve", "--config", str(config), "--db", db_url, "--max-runs", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "run completed" in result.stdout

    engine = create_engine(prefect_db)
    with engine.connect() as conn:  # Prefect's own records, in PostgreSQL
        rows = conn.execute(
            text("SELECT d.name, fr.state_type FROM flow_run fr JOIN deployment d ON d.id = fr.deployment_id")
        ).all()
    engine.dispose()
    assert [(n, str(s)) for n, s in rows] in (
        [("pantau-sampang", "COMPLETED")],
        [("pantau-sampang", "StateType.COMPLETED")],
    )
    pantau = create_engine(db_url)
    with pantau.connect() as conn:
        assert conn.execute(text("SELECT status FROM runs")).scalars().all() == ["completed"]
        assert conn.execute(text("SELECT count(*) FROM items")).scalar_one() == 10
    pantau.dispose()
