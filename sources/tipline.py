"""Tipline intake: one message forwarded to Pantau's tipline, validated into an item.

:func:`tipline_message` is pure; the HTTP endpoint that receives forwards (built elsewhere) calls it
and turns a :class:`ParseError` into a 400 answer. The sender (a phone number or a handle) and
``forwarded_from`` (who or which group it came from) are pseudonymised like every social author (a handle
in ``public_handles`` stays readable); attachments are described (type, name), never stored here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, NoReturn

from pantau.domain.errors import ParseError
from pantau.domain.records import CollectedItem, SkipReason
from sources.pseudonym import Pseudonymiser

FIELDS = ("text", "sender", "forwarded_from", "url", "attachments")
MAX_TEXT_CHARS = 20_000
MAX_ATTACHMENTS = 20
MAX_URL_CHARS = 2000
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")  # PostgreSQL refuses NUL; UTF-8 cannot hold surrogates


def tipline_message(
    payload: Any, *, received_at: datetime, source: str = "tipline", pseudonymise: Pseudonymiser | None = None
) -> CollectedItem:
    """An item from ``{"text", "sender", "forwarded_from"?, "url"?, "attachments"?}``.

    Raises :class:`ParseError` (``reason`` a :class:`SkipReason` value) for a payload that is not an
    object, has unknown fields, lacks ``text``/``sender``, has an empty or over-long text, a
    non-http(s) or over-long ``url`` or malformed attachments; ``received_at`` must be timezone-aware."""
    pseudonymise = pseudonymise or Pseudonymiser.from_options()
    if not isinstance(payload, Mapping):
        _fail(f"payload must be a JSON object, not {type(payload).__name__}", SkipReason.MALFORMED)
    unknown = sorted(str(k) for k in payload if k not in FIELDS)
    if unknown:
        _fail(f"unknown field(s) {', '.join(unknown)}; known: {', '.join(FIELDS)}", SkipReason.MALFORMED)
    if not isinstance(received_at, datetime) or received_at.tzinfo is None:
        _fail("received_at must be a timezone-aware datetime", SkipReason.BAD_DATE)
    text = _string(payload, "text", required=True)
    if not text:
        _fail("'text' is empty", SkipReason.EMPTY_TEXT)
    if len(text) > MAX_TEXT_CHARS:
        _fail(f"'text' is longer than {MAX_TEXT_CHARS} characters", SkipReason.TOO_LARGE)
    sender = _string(payload, "sender", required=True)
    if not sender:
        _fail("'sender' is empty", SkipReason.MISSING_FIELD)
    url = _string(payload, "url")
    if url and not url.lower().startswith(("http://", "https://")):
        _fail("'url' must be an http(s) URL", SkipReason.MALFORMED)
    if url and len(url) > MAX_URL_CHARS:
        _fail(f"'url' is longer than {MAX_URL_CHARS} characters", SkipReason.TOO_LARGE)
    raw: dict[str, Any] = {
        "platform": "tipline",
        "forwarded_from": pseudonymise(_string(payload, "forwarded_from")),
        "attachments": _attachments(payload.get("attachments")),
    }
    if pseudonymise.is_development_key:
        raw["author_key"] = "development"
    return CollectedItem(
        source=source,
        text=text,
        url=url,
        author=pseudonymise(sender),
        published_at=received_at.astimezone(UTC),
        raw=raw,
    )


def _string(payload: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    if name not in payload or payload[name] is None:
        if required:
            _fail(f"missing field {name!r}", SkipReason.MISSING_FIELD)
        return None
    value = payload[name]
    if not isinstance(value, str):
        _fail(f"{name!r} must be a string, not {type(value).__name__}", SkipReason.MALFORMED)
    if _BAD_CHARS.search(value):
        _fail(f"{name!r} holds a NUL character or a lone surrogate", SkipReason.MALFORMED)
    cleaned = value.replace("\r\n", "\n").strip()
    return cleaned if name == "text" else cleaned or None


def _attachments(value: Any) -> list[dict[str, str | None]]:
    """``[{"type", "name"}]`` from a list of file names or ``{"type", "name"|"url"}`` objects."""
    if value is None:
        return []
    if not isinstance(value, list):
        _fail("'attachments' must be a list", SkipReason.MALFORMED)
    if len(value) > MAX_ATTACHMENTS:
        _fail(f"more than {MAX_ATTACHMENTS} attachments", SkipReason.TOO_LARGE)
    described = []
    for index, attachment in enumerate(value, start=1):
        texts = (
            [attachment]
            if isinstance(attachment, str)
            else (
                [*map(str, attachment.keys()), *attachment.values()]
                if isinstance(attachment, Mapping)
                else []
            )
        )
        if any(isinstance(t, str) and _BAD_CHARS.search(t) for t in texts):
            _fail(f"attachment {index} holds a NUL character or a lone surrogate", SkipReason.MALFORMED)
        if isinstance(attachment, str):
            described.append({"type": None, "name": attachment[:200]})
        elif isinstance(attachment, Mapping) and all(isinstance(v, str | None) for v in attachment.values()):
            name = attachment.get("name") or attachment.get("url")
            described.append({"type": attachment.get("type"), "name": name[:200] if name else None})
        else:
            _fail(f"attachment {index} must be a string or an object of strings", SkipReason.MALFORMED)
    return described


def _fail(message: str, reason: SkipReason) -> NoReturn:
    raise ParseError(message, location="tipline payload", reason=reason.value)
