"""The one exception tree of Pantau.

Errors carry data (attributes), and are turned into messages only at the edges (CLI, web, flow
hooks). Every error raised on purpose by Pantau code derives from :class:`PantauError`.
"""

from __future__ import annotations


class PantauError(Exception):
    """Base class of every error Pantau raises on purpose."""


class ConfigError(PantauError):
    """A config file or setting is unusable. ``field`` names the offending field (dotted path)."""

    def __init__(self, message: str, *, field: str | None = None, path: str | None = None):
        self.field = field
        self.path = path
        where = f"{path}: " if path else ""
        at = f"{field}: " if field else ""
        super().__init__(f"{where}{at}{message}")


class UnknownKindError(PantauError):
    """A plug-in name (source kind, classifier backend) is not registered."""

    def __init__(self, what: str, name: str, known: list[str]):
        self.what = what
        self.name = name
        self.known = sorted(known)
        super().__init__(f"unknown {what} {name!r}; known: {', '.join(self.known)}")


class FetchError(PantauError):
    """Fetching bytes failed (network, HTTP status, size limit, missing file)."""

    def __init__(
        self, message: str, *, location: str, status: int | None = None, reason: str = "fetch_error"
    ):
        self.location = location
        self.status = status
        self.reason = reason
        super().__init__(message if message.startswith(location) else f"{location}: {message}")


class ParseError(PantauError):
    """Bytes could not be turned into items at all (as opposed to a single skipped record)."""

    def __init__(self, message: str, *, location: str, reason: str = "parse_error"):
        self.location = location
        self.reason = reason
        super().__init__(f"{location}: {message}")


class UnusableInputError(PantauError):
    """A command-line input cannot be processed (e.g. a JSONL line without ``text``)."""

    def __init__(self, message: str, *, line: int | None = None):
        self.line = line
        at = f"line {line}: " if line is not None else ""
        super().__init__(f"{at}{message}")


class ModelError(PantauError):
    """A model artifact is missing, untrusted or incompatible."""
