"""Migrations: from empty, repeatable, in step with the models, reversible, and shipped in the package."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from storage import fts
from storage.db import MIGRATIONS_DIR, alembic_config, current_revision, migrate
from storage.models import Base

HEAD = "0011"  # the latest migration; one head only (see test_scripts_are_found_without_an_ini_file)
TABLES = {
    "alert_events",
    "alerts",
    "claims",
    "counter_narratives",
    "item_sightings",
    "items",
    "reviews",
    "runs",
    "scores",
    "sources",
    "http_validators",
    "organisations",
    "users",
    "api_tokens",
    "review_locks",
    "counter_links",
    "escalations",
    "item_matches",
    "item_match_checks",
}


def test_migrate_from_empty_twice(raw_engine):
    assert current_revision(raw_engine) is None
    migrate(raw_engine)
    migrate(raw_engine)  # a no-op at head
    assert current_revision(raw_engine) == HEAD
    assert TABLES <= set(inspect(raw_engine).get_table_names())


def test_models_match_the_migrations(engine):
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True, "include_name": fts.include_name}),
            Base.metadata,
        )
    assert diff == []


def test_downgrade_to_empty_and_back(engine):
    cfg = alembic_config()
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
        conn.commit()
    assert not TABLES & set(inspect(engine).get_table_names())
    migrate(engine)
    assert current_revision(engine) == HEAD


def test_scripts_are_found_without_an_ini_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_heads() == [HEAD]
    assert (MIGRATIONS_DIR / "script.py.mako").is_file()
