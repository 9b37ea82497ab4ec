"""Full-text search (issue 18): FTS5 tables and triggers on SQLite, ``search_vector`` columns on PostgreSQL.

* SQLite: external-content FTS5 tables ``items_fts`` (title, text) and ``alerts_fts`` (reason),
  tokenizer ``unicode61 remove_diacritics 2``, kept in sync by AFTER INSERT / UPDATE / DELETE triggers,
  and filled from the stored rows (``'rebuild'``).
* PostgreSQL: the text search configuration ``pantau_search`` (a copy of 'simple', with the ``unaccent``
  dictionary in its word mappings when the extension can be installed); on ``items`` and ``alerts`` a
  ``search_vector`` column set by a BEFORE INSERT / UPDATE OF title, text (reason) trigger (a tag,
  status or claim update does not recompute it), filled for the stored rows, with a GIN index.

The DDL text lives in :mod:`storage.fts` (its fold table is frozen).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage import fts

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PG_COLUMNS = {"items": {"title": "A", "text": "B"}, "alerts": {"reason": "A"}}


def _unaccent_schema(bind: sa.Connection) -> str | None:
    """The schema of the ``unaccent`` extension, installing it if allowed; None when it is unavailable."""
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS unaccent")
    except sa.exc.DBAPIError:
        return None
    return bind.exec_driver_sql(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'unaccent'"
    ).scalar_one_or_none()


def _upgrade_postgresql(bind: sa.Connection) -> None:
    unaccent = _unaccent_schema(bind)
    schema = bind.exec_driver_sql("SELECT current_schema()").scalar_one()
    config = f'"{schema}".{fts.PG_CONFIG}'
    op.execute(f"CREATE TEXT SEARCH CONFIGURATION {config} (COPY = pg_catalog.simple)")
    if unaccent is not None:
        op.execute(
            f"ALTER TEXT SEARCH CONFIGURATION {config} ALTER MAPPING FOR hword, hword_part, word "
            f'WITH "{unaccent}".unaccent, pg_catalog.simple'
        )
    for table, columns in _PG_COLUMNS.items():
        watched = ", ".join(columns)
        op.execute(f"ALTER TABLE {table} ADD COLUMN search_vector tsvector")
        op.execute(
            f"CREATE FUNCTION pantau_{table}_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN NEW.search_vector := {fts.pg_vector_sql(columns, config, 'NEW.')}; RETURN NEW; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_search_vector BEFORE INSERT OR UPDATE OF {watched} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION pantau_{table}_search_vector()"
        )
        op.execute(f"UPDATE {table} SET search_vector = {fts.pg_vector_sql(columns, config)}")
        op.execute(f"CREATE INDEX ix_{table}_search_vector ON {table} USING gin (search_vector)")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _upgrade_postgresql(bind)
        return
    for statement in fts.sqlite_ddl():
        op.execute(statement)
    for table in (fts.ITEMS_FTS, fts.ALERTS_FTS):
        op.execute(f"INSERT INTO {table}({table}) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _PG_COLUMNS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_search_vector ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS pantau_{table}_search_vector()")
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_search_vector")
            op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector")
        op.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {fts.PG_CONFIG}")  # unaccent may serve others
        return
    for name in fts.SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute(f"DROP TABLE IF EXISTS {fts.ITEMS_FTS}")
    op.execute(f"DROP TABLE IF EXISTS {fts.ALERTS_FTS}")
