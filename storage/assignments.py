"""Who owns an item in the review queue: "ambil" (take it), "tugaskan ke" (give it to a colleague),
"lepaskan" (let it go).

An assignment (one ``item_assignments`` row per item) lasts until it is released, handed to someone else
or the item is decided (a verdict or dismissal ends it). While an item is assigned, only its owner and
admins may act on it. Reviewers assign within their own organisation; admins assign anyone and release
any assignment. The short action lock of :mod:`storage.review_queue` is separate (taken by acting).
Functions take a Session; the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.columns import as_utc, utcnow
from storage.dialect import upsert_insert
from storage.errors import InvalidValueError, RecordNotFoundError, StorageError
from storage.models import Item, ItemAssignment, Organisation, User

#: Roles that can own an item (analysts only read).
OWNER_ROLES = ("admin", "reviewer")


class ItemAssignedError(StorageError):
    """The item is assigned to someone else (``owner``); only they or an admin may act on it."""

    def __init__(self, item_id: int, owner: str):
        self.item_id = item_id
        self.owner = owner
        super().__init__(f"item {item_id} is assigned to {owner}")


class AssignmentRefusedError(StorageError):
    """A reviewer tried to assign an item to a user of another organisation (only admins may)."""

    def __init__(self, item_id: int, assignee: str):
        self.item_id = item_id
        self.assignee = assignee
        super().__init__(f"item {item_id}: {assignee} belongs to another organisation")


@dataclass(frozen=True, slots=True)
class Owner:
    """The user an item is assigned to, who assigned it, and when."""

    user_id: int
    username: str
    assigned_by: str
    assigned_at: datetime


def _owner_query():  # noqa: ANN202 - a select of (item id, Owner fields)
    return select(
        ItemAssignment.item_id,
        ItemAssignment.user_id,
        User.username,
        ItemAssignment.assigned_by,
        ItemAssignment.assigned_at,
    ).join(User, User.id == ItemAssignment.user_id)


def owners(session: Session, item_ids: Iterable[int]) -> dict[int, Owner]:
    """The owners of those of ``item_ids`` that are assigned."""
    ids = list(item_ids)
    if not ids:
        return {}
    rows = session.execute(_owner_query().where(ItemAssignment.item_id.in_(ids)))
    return {item_id: Owner(user_id, name, by, as_utc(at)) for item_id, user_id, name, by, at in rows}


def owner_of(session: Session, item_id: int) -> Owner | None:
    return owners(session, [item_id]).get(item_id)


def check_can_act(session: Session, item_id: int, user_id: int, *, admin: bool) -> Owner | None:
    """Raise ItemAssignedError when the item is assigned to another user and ``user_id`` is no admin;
    returns the owner (or None)."""
    owner = owner_of(session, item_id)
    if owner is not None and owner.user_id != user_id and not admin:
        raise ItemAssignedError(item_id, owner.username)
    return owner


def assignable_users(session: Session, *, organisation_id: int | None) -> list[tuple[int, str, str]]:
    """Active reviewers and admins as (id, username, organisation name), by username: those of
    ``organisation_id``, or everyone when it is None (what an admin may choose from)."""
    stmt = (
        select(User.id, User.username, Organisation.name)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(User.active.is_(True), User.role.in_(OWNER_ROLES))
        .order_by(User.username)
    )
    if organisation_id is not None:
        stmt = stmt.where(User.organisation_id == organisation_id)
    return [tuple(row) for row in session.execute(stmt)]  # type: ignore[misc]


def assign(
    session: Session,
    item_id: int,
    *,
    to_user_id: int,
    by_username: str,
    by_organisation_id: int | None,
    admin: bool,
    now: datetime | None = None,
) -> Owner:
    """Make ``to_user_id`` the item's owner (replacing any owner). The caller checks that the assigner may
    act on the item. A non-admin may only assign users of ``by_organisation_id`` (AssignmentRefusedError);
    the assignee must be an active reviewer or admin (InvalidValueError), the item and user must exist
    (RecordNotFoundError)."""
    if session.get(Item, item_id) is None:
        raise RecordNotFoundError("item", item_id)
    user = session.get(User, to_user_id)
    if user is None:
        raise RecordNotFoundError("user", to_user_id)
    if not user.active or user.role not in OWNER_ROLES:
        raise InvalidValueError("assignee", user.username, ("an active reviewer or admin",))
    if not admin and user.organisation_id != by_organisation_id:
        raise AssignmentRefusedError(item_id, user.username)
    at = as_utc(now) if now else utcnow()
    stmt = (
        upsert_insert(session, ItemAssignment.__table__)
        .values(
            item_id=item_id,
            user_id=user.id,
            assigned_by=by_username,
            assigned_at=at,
        )
        .on_conflict_do_update(
            index_elements=["item_id"],
            set_={"user_id": user.id, "assigned_by": by_username, "assigned_at": at},
        )
    )
    session.execute(stmt)
    return Owner(user.id, user.username, by_username, at)


def unassign(session: Session, item_id: int) -> None:
    """End the item's assignment, whoever holds it (a verdict or dismissal, or a permitted release)."""
    session.execute(delete(ItemAssignment).where(ItemAssignment.item_id == item_id))
