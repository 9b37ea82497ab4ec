"""Engines, sessions and migrations: the only place that knows SQLite and PostgreSQL differ in setup.

* SQLite: WAL journal, foreign keys on, 30 s busy timeout, ``synchronous=NORMAL``; the parent folder of
  a file database is created.
* PostgreSQL: ``postgresql+psycopg://`` (``postgresql://`` and ``postgres://`` are rewritten to it).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_PG_MIGRATION_LOCK = 7_461_636_101  # arbitrary constant for pg_advisory_xact_lock
_SQLITE_LOCK_RETRIES = 5

SQLITE_PRAGMAS = (
    "PRAGMA busy_timeout = 30000",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
)


def normalise_url(url: str | URL) -> URL:
    """``url`` as a SQLAlchemy URL, with bare PostgreSQL URLs pointed at the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for ``url`` (``sqlite:///path.db`` or ``postgresql+psycopg://...``), set up for Pantau.

    Extra keyword arguments go to :func:`sqlalchemy.create_engine`. Statement parameters are left out
    of error messages and logs (``hide_parameters``): they hold scraped text and pseudonyms, and a
    failed INSERT must not copy them into the run log.
    """
    kwargs.setdefault("hide_parameters", True)
    parsed = normalise_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # the driver's own busy timeout also covers the connection's first statements (the PRAGMAs)
        kwargs.setdefault("connect_args", {}).setdefault("timeout", 30)
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _set_sqlite_pragmas)
        return engine
    if backend == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, **kwargs)


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session maker bound to ``engine``; objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config(url: str | URL | None = None) -> Config:
    """An Alembic config for Pantau's migrations, built in code (no ``alembic.ini`` needed).

    With ``url``, Alembic commands that open their own connection (``revision --autogenerate``,
    ``upgrade --sql``) use it.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        cfg.set_main_option(
            "sqlalchemy.url", normalise_url(url).render_as_string(hide_password=False).replace("%", "%%")
        )
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` (default: the newest). Safe to call on every run.

    Concurrent callers are serialised by a lock (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: an advisory
    transaction lock), and the whole upgrade runs in that one transaction, so a second caller waits and
    then finds the schema already current.
    """
    for attempt in range(_SQLITE_LOCK_RETRIES + 1):
        try:
            _upgrade(engine, revision)
            return
        except OperationalError as exc:
            # SQLite can answer SQLITE_BUSY without waiting for the busy timeout (e.g. when several
            # processes open a new database at once); its documented remedy is to retry the transaction.
            if engine.dialect.name != "sqlite" or "locked" not in str(exc) or attempt == _SQLITE_LOCK_RETRIES:
                raise
            time.sleep(0.2 * (attempt + 1))


def _upgrade(engine: Engine, revision: str) -> None:
    cfg = alembic_config()
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        elif engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)
        connection.commit()


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
