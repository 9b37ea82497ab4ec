"""Pure text helpers shared by every layer: cleaning for storage, normalisation for de-duplication and
content hashes."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # NUL; a surrogate in a str is always a lone one
_MAX_JSON_DEPTH = 64


def clean_text(text: str) -> str:
    """``text`` as every database stores it: NUL removed, lone surrogates replaced by U+FFFD.

    PostgreSQL refuses NUL in text and JSON; no UTF-8 encoder accepts a lone surrogate (a JSON
    ``"\\ud800"`` escape decodes to one). Non-strings are returned as they are."""
    if not isinstance(text, str) or not _UNSTORABLE.search(text):
        return text
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", text)


def clean_json(value: Any, _depth: int = 0) -> Any:
    """A copy of plain JSON data with every string (keys too) cleaned by :func:`clean_text`;
    containers nested deeper than 64 levels are replaced by None (nothing stores them usefully)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict | list | tuple):
        if _depth >= _MAX_JSON_DEPTH:
            return None
        if isinstance(value, dict):
            return {clean_text(k): clean_json(v, _depth + 1) for k, v in value.items()}
        return [clean_json(v, _depth + 1) for v in value]
    return value


def normalise_for_hash(text: str) -> str:
    """Fold text so that trivially different copies of one post compare equal.

    NFKC, case-folded, URLs removed, punctuation and whitespace collapsed to single spaces.
    """
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    folded = _URL.sub(" ", folded)
    return _NON_WORD.sub(" ", folded).strip()


def content_hash(text: str, title: str | None = None) -> str:
    """SHA-256 (hex) of the normalised title + text: the identity of an item's content."""
    basis = normalise_for_hash(f"{title or ''} {text or ''}")
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()


def canonical_url(url: str | None) -> str | None:
    """A URL without fragment, tracking parameters and trailing slash, scheme/host lower-cased."""
    if not url:
        return None
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        return url.strip()
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(("utm_", "fbclid", "gclid"))
    ]
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, urlencode(query), ""))
