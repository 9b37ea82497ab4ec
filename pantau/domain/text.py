"""Pure text helpers shared by every layer: normalisation for de-duplication and content hashes."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


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
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not k.lower().startswith(("utm_", "fbclid", "gclid"))]
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, urlencode(query), ""))
