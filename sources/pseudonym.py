"""Pseudonymising authors of social posts with a keyed hash, before anything leaves the source.

``anon:`` + the first 12 hex digits of HMAC-SHA256(key, normalised handle). The handle is normalised
(trimmed, leading ``@`` removed, case-folded) so ``@Budi_S`` and ``budi_s`` get the same pseudonym.
Without a key (``options["author_key"]`` or the ``PANTAU_AUTHOR_KEY`` environment variable) a fixed,
public development key is used and every item says so in ``raw["author_key"] = "development"``:
such pseudonyms can be reversed by anyone who guesses the handle, so never publish them.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

AUTHOR_KEY_ENV = "PANTAU_AUTHOR_KEY"
DEVELOPMENT_KEY = "pantau-development-author-key-NOT-SECRET"
PREFIX = "anon:"
DIGITS = 12


def normalise_handle(handle: str) -> str:
    return handle.strip().lstrip("@").strip().casefold()


@dataclass(frozen=True, slots=True)
class Pseudonymiser:
    """Maps an author handle to a stable pseudonym; handles in ``public_handles`` stay readable."""

    key: bytes
    public_handles: frozenset[str] = frozenset()
    is_development_key: bool = False

    @classmethod
    def from_options(cls, key: str | None = None, public_handles: Iterable[str] = (),
                     environ: Mapping[str, str] | None = None) -> Pseudonymiser:
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
