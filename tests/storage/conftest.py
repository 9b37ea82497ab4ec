"""Storage fixtures: every storage test runs on a SQLite file database and on PostgreSQL
(``db_url`` and ``pg_database`` live in tests/conftest.py, shared with the web tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pantau.domain.config import SourceConfig
from pantau.domain.records import CollectedItem
from storage.db import make_engine, migrate, session_factory
from storage.repository import sync_sources


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
    ids = sync_sources(
        session,
        [
            SourceConfig(name="kabar-a", kind="rss", location="https://a.example/feed", trust=0.9),
            SourceConfig(name="kabar-b", kind="rss", location="https://b.example/feed", trust=0.7),
            SourceConfig(name="social", kind="social_export", location="export.jsonl", trust=0.2),
        ],
    )
    session.commit()
    return ids


@pytest.fixture
def new_item() -> Callable[..., CollectedItem]:
    """The :func:`make_item` factory."""
    return make_item


def make_item(
    n: int, *, source: str = "kabar-a", url: str | None = "auto", text: str | None = None, **kwargs
) -> CollectedItem:
    """A distinct item number ``n`` (its own URL and text unless given)."""
    return CollectedItem(
        source=source,
        title=kwargs.pop("title", f"Berita {n}"),
        text=text if text is not None else f"Isi berita nomor {n} tentang pilkada Sampang.",
        url=f"https://news.example/berita/{n}" if url == "auto" else url,
        **kwargs,
    )
