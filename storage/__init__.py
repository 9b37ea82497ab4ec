"""Pantau's storage layer: SQLAlchemy models, Alembic migrations and repository functions.

Imports only ``pantau.domain``, SQLAlchemy and Alembic. Typical use::

    engine = make_engine("sqlite:///pantau.db")
    migrate(engine)
    Session = session_factory(engine)
    with Session() as session:
        ...
        session.commit()
"""

from storage.db import make_engine, migrate, session_factory

__all__ = ["make_engine", "migrate", "session_factory"]
