"""Pseudonymising authors of social posts with a keyed hash, before anything leaves the source.

``anon:`` + the first 12 hex digits of HMAC-SHA256(key, normalised handle). The handle is normalised
(trimmed, leading ``@`` removed, case-folded) so ``@Budi_S`` and ``budi_s`` get the same pseudonym.
Without a key (``options["author_key"]`` or the ``PANTAU_AUTHOR_KEY`` environment variable) a fixed,
public development key is used and every item says so in ``raw["author_key"] = "development"``:
such pseudonyms can be reversed by anyone who guesses the handle, so never publish them.

Services that store what they pseudonymise (the tipline) take a secret key through :func:`secret_key`
instead: ``PANTAU_AUTHOR_KEY``, else a key file, generated (random, mode 0600, with a warning) when
missing; the development key and short keys are refused.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pantau.domain.errors import ConfigError

AUTHOR_KEY_ENV = "PANTAU_AUTHOR_KEY"
DEVELOPMENT_KEY = "pantau-development-author-key-NOT-SECRET"
PREFIX = "anon:"
DIGITS = 12
#: the shortest secret key :func:`secret_key` accepts
MIN_SECRET_CHARS = 32


def normalise_handle(handle: str) -> str:
    return handle.strip().lstrip("@").strip().casefold()


@dataclass(frozen=True, slots=True)
class Pseudonymiser:
    """Maps an author handle to a stable pseudonym; handles in ``public_handles`` stay readable."""

    key: bytes
    public_handles: frozenset[str] = frozenset()
    is_development_key: bool = False

    @classmethod
    def from_options(
        cls,
        key: str | None = None,
        public_handles: Iterable[str] = (),
        environ: Mapping[str, str] | None = None,
    ) -> Pseudonymiser:
        """Key from the argument, else the environment, else the development key (flagged)."""
        environ = os.environ if environ is None else environ
        chosen = key or environ.get(AUTHOR_KEY_ENV) or None
        return cls(
            key=(chosen or DEVELOPMENT_KEY).encode("utf-8"),
            public_handles=frozenset(normalise_handle(h) for h in public_handles if h.strip()),
            is_development_key=chosen is None,
        )

    def __call__(self, author: str | None) -> str | None:
        if author is None or not str(author).strip():
            return None
        author = str(author).strip()
        normal = normalise_handle(author)
        if normal in self.public_handles:
            return author
        digest = hmac.new(self.key, normal.encode("utf-8"), hashlib.sha256).hexdigest()
        return PREFIX + digest[:DIGITS]


def _warn(message: str) -> None:
    print(f"WARNING: {message}", file=sys.stderr)


def secret_key(
    key_file: Path, environ: Mapping[str, str] | None = None, warn: Callable[[str], None] = _warn
) -> str:
    """The secret pseudonymisation key: ``PANTAU_AUTHOR_KEY`` if set, else the key stored in
    ``key_file``, else a new random key written to ``key_file`` (mode 0600) with a warning.

    Raises ConfigError for the development key, a key under MIN_SECRET_CHARS characters or an
    unreadable key file: a service that stores pseudonyms never runs with a guessable key."""
    environ = os.environ if environ is None else environ
    given = (environ.get(AUTHOR_KEY_ENV) or "").strip()
    if given:
        return checked_secret(given, AUTHOR_KEY_ENV)
    path = Path(key_file)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path, warn)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the key file {path}: {exc.strerror}", field=AUTHOR_KEY_ENV
        ) from None
    key = secrets.token_urlsafe(48)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    warn(
        f"{AUTHOR_KEY_ENV} is not set: generated a secret pseudonymisation key in {path} (mode 0600). "
        "Back it up and keep it secret: with another key the same sender gets another pseudonym, "
        "and anyone holding it can test guesses of phone numbers."
    )
    return key


def _read(path: Path, warn: Callable[[str], None]) -> str:
    try:
        key = path.read_text(encoding="ascii").strip()
        mode = path.stat().st_mode
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the key file {path}: {exc}", field=AUTHOR_KEY_ENV) from None
    if mode & 0o077:
        warn(f"the key file {path} is readable by other users (mode {mode & 0o777:o}); chmod 600 it")
    return checked_secret(key, str(path))


def checked_secret(key: str, where: str) -> str:
    """``key``, or ConfigError if it is the development key or shorter than MIN_SECRET_CHARS."""
    if key == DEVELOPMENT_KEY:
        raise ConfigError("the public development key cannot pseudonymise stored data", field=where)
    if len(key) < MIN_SECRET_CHARS:
        raise ConfigError(f"a secret key needs at least {MIN_SECRET_CHARS} characters", field=where)
    return key
