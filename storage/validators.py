"""A database-backed HTTP validator store: ETag / Last-Modified per URL, kept across runs.

Implements the ``ValidatorStore`` protocol of ``sources.politeness`` structurally (storage does not
import sources). Each call runs in its own short transaction, so concurrent collect tasks do not
hold locks while fetching.
"""

from __future__ import annotations

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from storage.columns import utcnow
from storage.dialect import upsert_insert
from storage.models import HttpValidator


class DatabaseValidatorStore:
    """``get(url) -> (etag, last_modified)`` and ``put(url, etag, last_modified)`` on ``http_validators``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, url: str) -> tuple[str | None, str | None]:
        with Session(self.engine) as session:
            row = session.execute(
                select(HttpValidator.etag, HttpValidator.last_modified).where(HttpValidator.url == url)
            ).first()
        return (row.etag, row.last_modified) if row else (None, None)

    def put(self, url: str, etag: str | None, last_modified: str | None) -> None:
        """Insert or replace the validators of ``url``; a response without any forgets them."""
        with Session(self.engine) as session, session.begin():
            if not (etag or last_modified):
                session.execute(delete(HttpValidator).where(HttpValidator.url == url))
                return
            values = {"etag": etag, "last_modified": last_modified, "updated_at": utcnow()}
            stmt = upsert_insert(session, HttpValidator.__table__).values(url=url, **values)
            session.execute(stmt.on_conflict_do_update(index_elements=["url"], set_=values))
