"""Errors the storage layer raises on purpose (all derive from :class:`pantau.domain.PantauError`)."""

from __future__ import annotations

from pantau.domain.errors import PantauError


class StorageError(PantauError):
    """Base class of storage errors."""


class RecordNotFoundError(StorageError, LookupError):
    """A record asked for by id does not exist. ``record`` names its kind (e.g. 'alert')."""

    def __init__(self, record: str, record_id: int):
        self.record = record
        self.record_id = record_id
        super().__init__(f"{record} {record_id} does not exist")


class InvalidValueError(StorageError, ValueError):
    """A value outside its allowed set (e.g. an unknown alert status). ``allowed`` lists the valid ones."""

    def __init__(self, field: str, value: object, allowed: tuple[str, ...]):
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"invalid {field} {value!r}; allowed: {', '.join(allowed)}")


class StoreFailedError(StorageError):
    """A database statement failed; the message names the error without any stored value (PostgreSQL's
    DETAIL, e.g. "Failing row contains (...)", would copy scraped text and pseudonyms into the log)."""


def db_error_summary(exc: BaseException) -> str:
    """A driver error in one line without the statement's values: the driver's class and its primary
    message (PostgreSQL's ``diag.message_primary``; SQLite's messages hold no values)."""
    orig = getattr(exc, "orig", None) or exc
    diag = getattr(orig, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    text = primary or (str(orig).splitlines() or [""])[0]
    return f"{type(orig).__name__}: {text}"
