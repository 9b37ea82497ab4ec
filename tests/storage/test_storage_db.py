"""Engine setup: SQLite pragmas and folders, PostgreSQL URL rewriting, foreign keys enforced."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import IntegrityError

from pantau.domain.records import CollectedItem
from storage.db import make_engine, migrate, normalise_url, session_factory
from storage.repository import upsert_items


def test_sqlite_pragmas_and_parent_folder(tmp_path):
    path = tmp_path / "deep" / "er" / "pantau.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    engine.dispose()
    assert path.parent.is_dir()


def test_wal_mode_persists_in_a_migrated_file(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'pantau.db'}")
    migrate(engine)
    engine.dispose()
    with sqlite3.connect(tmp_path / "pantau.db") as plain:  # a connection without Pantau's pragmas
        assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize("given", ["postgresql://u:p@db:5432/pantau", "postgres://u:p@db:5432/pantau",
                                   "postgresql+psycopg://u:p@db:5432/pantau"])
def test_postgres_urls_use_psycopg3(given):
    url = normalise_url(given)
    assert url.drivername == "postgresql+psycopg"
    assert (url.host, url.database, url.username) == ("db", "pantau", "u")


def test_foreign_keys_are_enforced(engine):
    with session_factory(engine)() as session:
        with pytest.raises(IntegrityError):
            upsert_items(session, 999, None, [CollectedItem(source="x", text="t")])
            session.flush()


