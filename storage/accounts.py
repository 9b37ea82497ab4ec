"""Accounts: organisations, users (role + organisation) and API tokens.

Passwords arrive here already hashed (the web layer hashes them with argon2); API token secrets are
generated here and only their SHA-256 is stored, so a database leak does not leak usable tokens.

Every change that must end a user's sessions (sign-out, deactivation, reactivation, a password or role
change) goes through a function here that raises ``users.session_version``; the web app's session
cookie carries the version it was issued under and is refused once it differs.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from storage.columns import as_utc, utcnow
from storage.errors import InvalidValueError, RecordNotFoundError, StorageError
from storage.models import ROLES, ApiToken, Organisation, User

USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")
TOKEN_PREFIX = "pnt_"
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)


class DuplicateUserError(StorageError):
    """A user with this username exists already."""

    def __init__(self, username: str):
        self.username = username
        super().__init__(f"user {username!r} exists already")


@dataclass(frozen=True, slots=True)
class Account:
    """A user as the web app needs it: who, which role, which organisation."""

    id: int
    username: str
    role: str
    organisation_id: int
    organisation: str
    active: bool
    password_hash: str
    session_version: int = 0


def normalise_username(username: str) -> str:
    """Lower-cased, stripped; 3-40 of a-z 0-9 . _ - (raises InvalidValueError otherwise)."""
    name = username.strip().lower()
    if not 3 <= len(name) <= 40 or not set(name) <= USERNAME_CHARS:
        raise InvalidValueError("username", username, ("3-40 characters of a-z 0-9 . _ -",))
    return name


def ensure_organisation(session: Session, name: str, kind: str | None = None) -> int:
    """The id of the organisation called ``name``, created if missing."""
    clean = " ".join(name.split())
    if not clean:
        raise InvalidValueError("organisation", name, ("a non-empty name",))
    found = session.execute(select(Organisation.id).where(Organisation.name == clean)).scalar_one_or_none()
    if found is not None:
        return found
    org = Organisation(name=clean, kind=kind, created_at=utcnow())
    session.add(org)
    session.flush()
    return org.id


def organisations(session: Session) -> list[tuple[int, str]]:
    """Every organisation as (id, name), by name."""
    return [
        (i, n)
        for i, n in session.execute(select(Organisation.id, Organisation.name).order_by(Organisation.name))
    ]


def create_user(
    session: Session,
    username: str,
    password_hash: str,
    role: str,
    organisation_id: int,
    *,
    now: datetime | None = None,
) -> int:
    """Create an active user; raises DuplicateUserError, InvalidValueError (role) or RecordNotFoundError."""
    name = normalise_username(username)
    if role not in ROLES:
        raise InvalidValueError("role", role, ROLES)
    if session.get(Organisation, organisation_id) is None:
        raise RecordNotFoundError("organisation", organisation_id)
    if session.execute(select(User.id).where(User.username == name)).first() is not None:
        raise DuplicateUserError(name)
    user = User(
        username=name,
        password_hash=password_hash,
        role=role,
        organisation_id=organisation_id,
        active=True,
        created_at=as_utc(now) if now else utcnow(),
    )
    session.add(user)
    session.flush()
    return user.id


def count_users(session: Session) -> int:
    return session.execute(select(func.count(User.id))).scalar_one()


def _account_query() -> Select[tuple[User, str]]:
    return select(User, Organisation.name).join(Organisation, Organisation.id == User.organisation_id)


def _account(user: User, org_name: str) -> Account:
    return Account(
        id=user.id,
        username=user.username,
        role=user.role,
        organisation_id=user.organisation_id,
        organisation=org_name,
        active=user.active,
        password_hash=user.password_hash,
        session_version=user.session_version or 0,
    )


def account_by_username(session: Session, username: str) -> Account | None:
    row = session.execute(_account_query().where(User.username == username.strip().lower())).first()
    return _account(*row) if row else None


def account_by_id(session: Session, user_id: int) -> Account | None:
    row = session.execute(_account_query().where(User.id == user_id)).first()
    return _account(*row) if row else None


def accounts_of(session: Session, organisation_id: int | None = None) -> list[Account]:
    """Users (of one organisation, or all), by username."""
    stmt = _account_query().order_by(User.username)
    if organisation_id is not None:
        stmt = stmt.where(User.organisation_id == organisation_id)
    return [_account(*row) for row in session.execute(stmt)]


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise RecordNotFoundError("user", user_id)
    return user


def end_sessions(session: Session, user_id: int) -> int:
    """Raise the user's session version (atomically), ending every session cookie issued before;
    returns the new version."""
    user = _user(session, user_id)
    session.execute(
        update(User)
        .where(User.id == user_id)
        .values(session_version=User.session_version + 1)
        .execution_options(synchronize_session=False)
    )
    session.expire(user, ["session_version"])
    return user.session_version


def set_password_hash(session: Session, user_id: int, password_hash: str) -> int:
    """Store a new password hash and end the user's sessions; returns the new session version."""
    _user(session, user_id).password_hash = password_hash
    session.flush()
    return end_sessions(session, user_id)


def set_active(session: Session, user_id: int, active: bool) -> None:
    """(De)activate a user; either way their existing sessions end (a reactivated user signs in again)."""
    _user(session, user_id).active = active
    session.flush()
    end_sessions(session, user_id)


def set_role(session: Session, user_id: int, role: str) -> None:
    """Change a user's role (raises InvalidValueError for an unknown one) and end their sessions."""
    if role not in ROLES:
        raise InvalidValueError("role", role, ROLES)
    _user(session, user_id).role = role
    session.flush()
    end_sessions(session, user_id)


def record_login(session: Session, user_id: int, *, now: datetime | None = None) -> None:
    user = session.get(User, user_id)
    if user is not None:
        user.last_login_at = as_utc(now) if now else utcnow()
        session.flush()


# --- API tokens -----------------------------------------------------------------------------------


def _token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_api_token(session: Session, user_id: int, name: str, *, now: datetime | None = None) -> str:
    """A new token for ``user_id``; the secret is returned once and only its hash is stored."""
    _user(session, user_id)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            user_id=user_id,
            name=name or "api",
            token_hash=_token_hash(secret),
            created_at=as_utc(now) if now else utcnow(),
        )
    )
    session.flush()
    return secret


def account_for_token(session: Session, secret: str, *, now: datetime | None = None) -> Account | None:
    """The active account owning an unrevoked token ``secret`` (its last use is recorded), else None."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = session.execute(
        select(ApiToken).where(ApiToken.token_hash == _token_hash(secret), ApiToken.revoked_at.is_(None))
    ).scalar_one_or_none()
    if token is None:
        return None
    account = account_by_id(session, token.user_id)
    if account is None or not account.active:
        return None
    now = as_utc(now) if now else utcnow()
    if token.last_used_at is None or now - token.last_used_at > TOKEN_TOUCH_INTERVAL:
        token.last_used_at = now  # recorded at most every few minutes: no write on every request
        session.flush()
    return account


def revoke_api_tokens(session: Session, user_id: int, *, now: datetime | None = None) -> int:
    """Revoke every live token of a user; returns how many."""
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    ).all()
    for token in tokens:
        token.revoked_at = as_utc(now) if now else utcnow()
    session.flush()
    return len(tokens)
