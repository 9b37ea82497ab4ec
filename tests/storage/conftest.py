"""Shared fixtures: every storage test runs on a SQLite file database and on PostgreSQL.

PostgreSQL: one fresh database ``pantau_test_<random>`` per test session (dropped at the end) and one
fresh schema per test inside it. Set ``PANTAU_TEST_POSTGRES_URL`` to use another server; the
PostgreSQL variants are skipped (with the reason) only when the server cannot be reached.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from pantau.domain.config import SourceConfig
from pantau.domain.records import CollectedItem
from storage.db import make_engine, migrate, session_factory
from storage.repository import sync_sources

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def pg_database() -> Iterator[URL]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
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


@pytest.fixture
def raw_engine(db_url: str) -> Iterator[Engine]:
    """An engine on an empty, unmigrated database."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(raw_engine: Engine) -> Engine:
    """An engine on a freshly migrated database."""
    migrate(raw_engine)
    return raw_engine


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with session_factory(engine)() as s:
        yield s


@pytest.fixture
def sources(session: Session) -> dict[str, int]:
    """Three sources: two news feeds and a social export."""
    ids = sync_sources(session, [
        SourceConfig(name="kabar-a", kind="rss", location="https://a.example/feed", trust=0.9),
        SourceConfig(name="kabar-b", kind="rss", location="https://b.example/feed", trust=0.7),
        SourceConfig(name="social", kind="social_export", location="export.jsonl", trust=0.2),
    ])
    session.commit()
    return ids


@pytest.fixture
def new_item() -> Callable[..., CollectedItem]:
    """The :func:`make_item` factory."""
    return make_item


def make_item(n: int, *, source: str = "kabar-a", url: str | None = "auto", text: str | None = None,
              **kwargs) -> CollectedItem:
    """A distinct item number ``n`` (its own URL and text unless given)."""
    return CollectedItem(
        source=source,
        title=kwargs.pop("title", f"Berita {n}"),
        text=text if text is not None else f"Isi berita nomor {n} tentang pilkada Sampang.",
        url=f"https://news.example/berita/{n}" if url == "auto" else url,
        **kwargs,
    )
