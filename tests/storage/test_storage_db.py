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


@pytest.mark.parametrize(
    "given",
    [
        "postgresql://u:p@db:5432/pantau",
        "postgres://u:p@db:5432/pantau",
        "postgresql+psycopg://u:p@db:5432/pantau",
    ],
)
def test_postgres_urls_use_psycopg3(given):
    url = normalise_url(given)
    assert url.drivername == "postgresql+psycopg"
    assert (url.host, url.database, url.username) == ("db", "pantau", "u")


def test_foreign_keys_are_enforced(engine):
    with session_factory(engine)() as session:
        with pytest.raises(IntegrityError):
            upsert_items(session, 999, None, [CollectedItem(source="x", text="t")])
            session.flush()


def test_errors_do_not_print_the_statement_parameters(engine):
    """Issue 16 row 1: a failed INSERT's message names the error, not the scraped values: SQLAlchemy
    hides the parameters, and the summary the flow logs drops PostgreSQL's "Failing row" detail."""
    import pytest as _pytest
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    from storage.errors import db_error_summary
    from storage.models import Item

    secret_text = "teks rahasia dari warga 0812-3456"
    with engine.connect() as conn, _pytest.raises(IntegrityError) as failure:
        conn.execute(
            insert(Item).values(
                source_id=999_999,
                content_hash="h",
                text=secret_text,
                title="t",
                collected_at=None,
                districts=[],
                actors=[],
                raw={},
            )
        )
    assert "hidden due to hide_parameters" in str(failure.value)
    summary = db_error_summary(failure.value)
    assert secret_text not in summary and "0812" not in summary
    assert "null" in summary.lower() or "not null" in summary.lower() or "foreign key" in summary.lower()
