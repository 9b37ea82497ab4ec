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


# What canonical_url removes beyond courlan's tracker list (courlan.clean.TRACKERS_RE: utm_*, mc_*,
# fbclid, gclid, ref, source, ... ), each because courlan keeps it:
#: query keys that only select a view or tag a share: ``amp`` (kompas ``?amp=1``: the AMP view of the
#: same article), ``mibextid`` (Facebook share links), ``igsh`` (Instagram share id; courlan knows
#: only the older ``igshid``), ``si`` (YouTube and Spotify share id)
_VIEW_OR_SHARE_KEYS = frozenset({"amp", "mibextid", "igsh", "si"})
#: leading host labels that name a view of the same site (``m.detik.com``, ``amp.kompas.com``): folded
#: to the bare host, so mobile, AMP and www copies of one article share a URL. courlan folds none.
_VIEW_HOST_LABELS = ("www.", "m.", "mobile.", "amp.")
_PERCENT_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
#: what stays unescaped in a path: RFC 3986 pchar and "/", and "%" (escapes are kept, upper-cased)
_PATH_SAFE = "/%!$&'()*+,;=:@-._~"


def canonical_url(url: str | None) -> str | None:
    """The form of an http(s) URL that identifies its page, for de-duplication; never raises.

    courlan's ``normalize_url`` lower-cases scheme and host, drops default ports and tracking
    parameters (``utm_*``, ``mc_cid``/``mc_eid``, ``fbclid``, ``gclid``, ``ref``, ...) and sorts the
    query (blank parameters dropped). On top of that: no fragment; ``amp``, ``mibextid``, ``igsh`` and
    ``si`` parameters and a final ``/amp`` path segment removed; ``www.``, ``m.``, ``mobile.`` and
    ``amp.`` host prefixes folded; an IDN host in punycode (courlan decodes it to Unicode; ASCII gives
    both spellings one form, and a look-alike host cannot hide in what reviewers see); in the path,
    characters outside RFC 3986 escaped and escapes upper-cased; no trailing slash except the root.
    A blank URL is None; anything else (another scheme, no host, a URL that does not parse) comes back
    stripped, as given.
    """
    if not url:
        return None
    from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

    from courlan import normalize_url

    text = url.strip()
    if not text:
        return None
    try:
        parts = urlsplit(text)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return text
        query = urlencode(
            [
                (k, v)
                for k, v in parse_qsl(parts.query, keep_blank_values=True)
                if k.lower() not in _VIEW_OR_SHARE_KEYS
            ]
        )
        # the path is ours: courlan's quoting escapes RFC 3986 sub-delimiters (";" -> "%3B"), which
        # are not equivalent to their escapes and would change the link reviewers open
        normal = urlsplit(normalize_url(parts._replace(path="", query=query), trailing_slash=False))
    except ValueError:  # a bad port or IPv6 literal, or courlan's own refusal
        return text
    host = _ascii_host(normal.netloc)
    while host.startswith(_VIEW_HOST_LABELS) and "." in host.partition(".")[2]:
        host = host.partition(".")[2]
    path = _PERCENT_ESCAPE.sub(lambda m: m.group().upper(), quote(parts.path, safe=_PATH_SAFE))
    path = path.rstrip("/")
    while path.endswith("/amp"):
        path = path.removesuffix("/amp").rstrip("/")
    path = path or "/"
    return urlunsplit((normal.scheme, host, path, normal.query, ""))


def _ascii_host(netloc: str) -> str:
    """``netloc`` with a Unicode host name in IDNA (punycode); kept as it is when that fails."""
    if netloc.isascii():
        return netloc
    user, at, hostport = netloc.rpartition("@")
    host, colon, port = hostport.rpartition(":")
    if not colon or not port.isdigit():
        host, colon, port = hostport, "", ""
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return netloc
    return f"{user}{at}{host}{colon}{port}"
