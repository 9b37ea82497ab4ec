"""``users.session_version`` (issue 16 row 7), on SQLite and PostgreSQL: every change that must end a
user's sessions raises it, and migration 0007 gives existing users version 0."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text
from sqlalchemy.orm import Session

from storage import accounts
from storage.db import alembic_config, migrate
from storage.errors import InvalidValueError


def _user(session: Session) -> int:
    org = accounts.ensure_organisation(session, "Bawaslu Sampang")
    return accounts.create_user(session, "analis", "$argon2id$not-a-real-hash", "analyst", org)


def _version(session: Session, uid: int) -> int:
    return accounts.account_by_id(session, uid).session_version


def test_every_session_ending_change_raises_the_version(session):
    uid = _user(session)
    assert _version(session, uid) == 0
    assert accounts.end_sessions(session, uid) == 1
    assert accounts.set_password_hash(session, uid, "$argon2id$another") == 2
    accounts.set_active(session, uid, False)
    accounts.set_active(session, uid, True)
    accounts.set_role(session, uid, "reviewer")
    session.commit()
    account = accounts.account_by_id(session, uid)
    assert (account.session_version, account.role, account.active) == (5, "reviewer", True)
    try:
        accounts.set_role(session, uid, "boss")
    except InvalidValueError:
        session.rollback()
    assert _version(session, uid) == 5
    accounts.record_login(session, uid)  # signing in does not end other sessions
    assert _version(session, uid) == 5


def test_existing_users_get_version_zero(raw_engine):
    cfg = alembic_config()
    with raw_engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0006")
        conn.commit()
    with Session(raw_engine) as session, session.begin():
        session.execute(
            text("INSERT INTO organisations (name, created_at) VALUES ('KPU', CURRENT_TIMESTAMP)")
        )
        session.execute(
            text(
                "INSERT INTO users (username, password_hash, role, organisation_id, active, "
                "created_at) SELECT 'lama', 'x', 'reviewer', id, true, CURRENT_TIMESTAMP "
                "FROM organisations"
            )
        )
    migrate(raw_engine)
    with Session(raw_engine) as session:
        assert accounts.account_by_username(session, "lama").session_version == 0
