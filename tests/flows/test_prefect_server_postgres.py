"""The documented multi-worker setup (docs/operations.md): Prefect's own server on PostgreSQL, and
`pantau serve` pointed at it with PREFECT_API_URL, writing Pantau's records to PostgreSQL too."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import create_engine, text

from tests.flows.posts import append_posts, export_source, region_config
from tests.flows.prefect_server import prefect_server

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture()
def prefect_on_postgres(pg_database):
    """A fresh PostgreSQL database for Prefect, and `prefect server start` on it."""
    admin = create_engine(pg_database.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"prefect_test_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db = pg_database.set(drivername="postgresql+asyncpg", database=name)
    try:
        prefect_db = {"PREFECT_API_DATABASE_CONNECTION_URL": db.render_as_string(hide_password=False)}
        with prefect_server(prefect_db) as api:
            yield api, db.set(drivername="postgresql+psycopg")
    finally:
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
    states = [(n, str(s).removeprefix("StateType.")) for n, s in rows]
    # the run it started, and the upcoming runs Prefect's scheduler made from the stage schedules
    assert [x for x in states if x[1] != "SCHEDULED"] == [("pantau-sampang", "COMPLETED")]
    assert ("pantau-sampang", "SCHEDULED") in states
    pantau = create_engine(db_url)
    with pantau.connect() as conn:
        assert conn.execute(text("SELECT status FROM runs")).scalars().all() == ["completed"]
        assert conn.execute(text("SELECT count(*) FROM items")).scalar_one() == 10
    pantau.dispose()
