"""Opaque page cursors for the JSON API: a keyset position, signed so a client cannot forge one.

A cursor is ``itsdangerous``-signed JSON (URL-safe) holding the list it belongs to, a digest of the
filters it was issued for and the position (the last row's sort key). Decoding checks all three: a
garbled, forged or over-long cursor, one from another list or one used with other filters is a
:class:`~pantau.web.params.ParamError` on ``cursor`` (a 400). The key is derived from the app's session
secret with its own salt, so cursors stay valid across restarts and are worthless to another app.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from itsdangerous import BadData, URLSafeSerializer
from starlette.requests import Request

from pantau.web.params import MAX_ID, ParamError

MAX_CURSOR_CHARS = 512
_SALT = "pantau-api-cursor"


def _signer(request: Request) -> URLSafeSerializer:
    state = request.app.state
    signer = getattr(state, "cursor_signer", None)
    if signer is None:  # the session secret, as the app's device signer holds it
        signer = URLSafeSerializer(state.device_signer.secret_keys, salt=_SALT)
        state.cursor_signer = signer
    return signer


def filters_digest(query: Mapping[str, str], ignore: frozenset[str]) -> str:
    """A short digest of the query parameters that select the rows (paging ones left out)."""
    pairs = sorted((k, v.strip()) for k, v in query.items() if k not in ignore and v.strip())
    return hashlib.sha256(repr(pairs).encode("utf-8")).hexdigest()[:16]


def encode(request: Request, kind: str, digest: str, position: list[Any]) -> str:
    """The cursor for the page after ``position`` of list ``kind`` under filters ``digest``."""
    return str(_signer(request).dumps({"k": kind, "f": digest, "p": position}))


def _bad(message: str, pesan: str) -> ParamError:
    return ParamError("cursor", message, pesan)


def decode(request: Request, raw: str | None, kind: str, digest: str) -> list[Any] | None:
    """The position in a cursor (None when ``raw`` is empty); ParamError if it is not one this API
    issued for this list and these filters."""
    value = (raw or "").strip()
    if not value:
        return None
    if len(value) > MAX_CURSOR_CHARS:
        raise _bad("too long to be a cursor", "terlalu panjang untuk sebuah kursor")
    try:
        data = _signer(request).loads(value)
    except (BadData, ValueError, UnicodeError):
        raise _bad("not a cursor this API issued", "bukan kursor dari API ini") from None
    if not isinstance(data, dict) or data.get("k") != kind or not isinstance(data.get("p"), list):
        raise _bad("a cursor of another list", "kursor untuk daftar lain")
    if data.get("f") != digest:
        raise _bad(
            "issued for other filters; start again without a cursor",
            "dibuat untuk filter lain; mulai lagi tanpa kursor",
        )
    return data["p"]


# --- the parts of a position ----------------------------------------------------------------------


def _unusable() -> ParamError:
    return _bad("not a position this API issued", "bukan posisi dari API ini")


def position_time(value: Any) -> datetime:
    """A timezone-aware time written by :meth:`datetime.isoformat`."""
    if not isinstance(value, str) or len(value) > 40:
        raise _unusable()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _unusable() from None
    if parsed.tzinfo is None:
        raise _unusable()
    return parsed


def position_id(value: Any) -> int:
    """A database id (1..MAX_ID)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise _unusable()
    return value


def position_choice(value: Any, allowed: Collection[str]) -> str:
    """One of ``allowed``."""
    if not isinstance(value, str) or value not in allowed:
        raise _unusable()
    return value


def parts(position: list[Any], count: int) -> list[Any]:
    """``position`` if it has ``count`` parts."""
    if len(position) != count:
        raise _unusable()
    return position
