"""Test-wide settings: offline (no hub downloads, no telemetry), quiet Prefect, no user config, crash
points armable (``PANTAU_TESTING=1``); the database fixtures shared by the storage, flow and web tests;
and the Prefect test harness.

PostgreSQL: one fresh database ``pantau_test_<random>`` per test session (dropped at the end) and one
fresh schema per test inside it. Set ``PANTAU_TEST_POSTGRES_URL`` to use another server; the
PostgreSQL variants are skipped (with the reason) only when the server cannot be reached or the
``postgres`` extra (psycopg) is not installed. Tests of the other optional extras (scale, embeddings,
transformers, playwright, schemathesis) skip with the reason through ``pytest.importorskip``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["DO_NOT_TRACK"] = "1"
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.pop("PANTAU_CONFIG", None)
os.environ.pop("PANTAU_DATABASE_URL", None)
# Arms flows/failpoints.py for the crash-safety tests (inherited by the processes they start);
# without it PANTAU_FAILPOINTS / PANTAU_FAILPOINTS_FILE are ignored.
os.environ["PANTAU_TESTING"] = "1"

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def pg_database() -> Iterator[URL]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    pytest.importorskip("psycopg", reason="the 'postgres' extra (psycopg) is not installed")
    server = make_url(os.environ.get("PANTAU_TEST_POSTGRES_URL", DEFAULT_PG_URL))
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect():
            pass
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL server not reachable at {server.render_as_string()}: {exc.orig}")
    name = f"pantau_test_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """The URL of an empty database: a SQLite file, or a fresh PostgreSQL schema (via search_path)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'pantau.db'}"
    database: URL = request.getfixturevalue("pg_database")
    schema = f"t_{secrets.token_hex(6)}"
    setup = create_engine(database, isolation_level="AUTOCOMMIT")
    with setup.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    setup.dispose()
    url = database.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def prefect_harness():
    """A real Prefect test harness (a temporary API server and database) for the whole session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture()
def fresh_resources():
    """Forget cached engines and models before and after a test that runs flows."""
    from flows import resources

    resources.reset()
    yield
    resources.reset()
