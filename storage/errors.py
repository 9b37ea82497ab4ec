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
