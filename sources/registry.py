"""The registry of source kinds: a name -> :class:`SourceKind` map filled by a decorator.

Adding a kind is one module that decorates its class with ``@register("name")`` and one import line
in ``sources/__init__.py`` (which imports the built-in kinds, so they are always registered).
"""

from __future__ import annotations

from collections.abc import Callable

from pantau.domain.errors import UnknownKindError
from sources.base import SourceKind

SOURCE_KINDS: dict[str, SourceKind] = {}


def register(name: str) -> Callable[[type], type]:
    """Class decorator: instantiate the class (no arguments) and register it under ``name``."""

    def decorate(cls: type) -> type:
        if name in SOURCE_KINDS:
            raise ValueError(f"source kind {name!r} is already registered")
        instance = cls()
        instance.name = name
        if not isinstance(instance, SourceKind):
            raise TypeError(f"{cls.__name__} does not implement the SourceKind protocol")
        SOURCE_KINDS[name] = instance
        return cls

    return decorate


def get_source_kind(name: str) -> SourceKind:
    """The registered kind ``name``; ``UnknownKindError`` (listing the known kinds) otherwise."""
    try:
        return SOURCE_KINDS[name]
    except KeyError:
        raise UnknownKindError("source kind", name, list(SOURCE_KINDS)) from None
