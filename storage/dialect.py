"""``INSERT ... ON CONFLICT`` for whichever backend a session is bound to (SQLite or PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.errors import StorageError


def upsert_insert(session: Session, table: Any) -> Any:
    """A dialect-specific ``insert(table)`` offering ``on_conflict_do_nothing/do_update``."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise StorageError(f"unsupported database backend {name!r}; use SQLite or PostgreSQL")
