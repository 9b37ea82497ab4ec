"""Per-record guards every collector shares: JSON with depth and number limits, and binary junk.

:func:`parse_json` never raises: a record that is not JSON, nested deeper than ``max_depth``, or holds a
number too long for Python's int conversion comes back as a :class:`Refusal` with a typed reason.
:func:`looks_binary` / :func:`binary_text` tell random, compressed or image bytes from text, looking at
the first few KB only (a high share of control bytes, or of control or replacement characters).
:class:`RecentKeys` remembers the last keys seen (for ``duplicate_in_batch``) in bounded memory.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pantau.domain.records import SkipReason
from pantau.domain.text import clean_json

MAX_JSON_DEPTH = 64
SNIFF_BYTES = 8192
_ESCAPE = re.compile(r"\\.", re.DOTALL)
_STRING = re.compile(r'"[^"]*"')
_BRACKET = re.compile(r"[\[\]{}]")
_BINARY_BYTES = 0.05  # random bytes hold ~11 % control bytes (NUL included), text files ~0 %
_BINARY_CHARS = 0.10  # random bytes decoded leniently: ~23 % C0/C1/DEL or U+FFFD characters
_TEXT_CONTROLS = frozenset(b"\t\n\r\f\b\x1b")  # controls real text files do hold
_CONTROL_BYTES = bytes(b for b in range(32) if b not in _TEXT_CONTROLS) + b"\x7f"
_CONTROL_CHARS = re.compile("[\x00-\x07\x0b\x0e-\x1a\x1c-\x1f\x7f-\x9f\ufffd]")  # C0, DEL, C1, U+FFFD
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a record was not accepted: a typed reason and a short detail."""

    reason: SkipReason
    detail: str


def json_depth_exceeds(text: str, max_depth: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON ``text`` nests arrays/objects deeper than ``max_depth`` (brackets inside strings
    do not count). Linear time; for ordinary records (few brackets) no scan runs at all."""
    if text.count("[") + text.count("{") <= max_depth:
        return False
    bare = _STRING.sub("", _ESCAPE.sub("", text))  # escapes first, so every '"' left pairs exactly
    depth = 0
    for match in _BRACKET.finditer(bare):
        if match.group() in "[{":
            depth += 1
            if depth > max_depth:
                return True
        else:
            depth -= 1
    return False


def parse_json(text: str, *, max_depth: int = MAX_JSON_DEPTH) -> Any | Refusal:
    """The value of one JSON record, or a :class:`Refusal` (``too_deep``, ``too_large`` for a number
    of more digits than Python converts, ``malformed`` for anything else that does not parse).
    Strings in the value are cleaned (:func:`~pantau.domain.text.clean_text`: no NUL, no lone
    surrogate), so whatever a collector derives from them (a pseudonym, an id) can be encoded."""
    if json_depth_exceeds(text, max_depth):
        return Refusal(SkipReason.TOO_DEEP, f"nested deeper than {max_depth} levels")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return Refusal(SkipReason.MALFORMED, f"invalid JSON: {exc.msg} at column {exc.colno}")
    except RecursionError:
        return Refusal(SkipReason.TOO_DEEP, "nested too deeply to parse")
    except ValueError as exc:  # "Exceeds the limit (4300 digits) for integer string conversion"
        return Refusal(SkipReason.TOO_LARGE, f"a number too long to read ({str(exc).partition(':')[0]})")
    # NUL and surrogates only come from \u escapes or raw NUL bytes: most records need no copy
    return clean_json(value) if "\\u" in text or "\x00" in text else value


def looks_binary(data: bytes) -> bool:
    """Whether the first :data:`SNIFF_BYTES` of ``data`` are binary rather than text: more than 5 %
    control bytes (NUL included; tab, newlines, form feed, backspace and escape do not count). A few
    NULs in a text export are not binary (they are cleaned later). UTF-16 with a byte-order mark
    counts as text."""
    head = data[:SNIFF_BYTES]
    if not head or head.startswith(_UTF16_BOMS):
        return False
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls > _BINARY_BYTES * len(head)


def binary_text(text: str) -> bool:
    """Whether decoded ``text`` is junk: more than 10 % control or U+FFFD characters in its first
    :data:`SNIFF_BYTES` characters (random bytes decoded leniently look like this)."""
    head = text[:SNIFF_BYTES]
    if len(head) < 16:
        return False
    return len(_CONTROL_CHARS.findall(head)) > _BINARY_CHARS * len(head)


class RecentKeys:
    """The last ``capacity`` keys seen, as 64-bit hashes (a stream's de-duplication in bounded memory:
    a repeat further back than that is not reported here; storage still keeps one copy)."""

    def __init__(self, capacity: int = 200_000):
        self.capacity = capacity
        self._set: set[int] = set()
        self._order: deque[int] = deque()

    def seen_any(self, keys: Iterable[str]) -> bool:
        return any(hash(k) in self._set for k in keys)

    def add(self, keys: Iterable[str]) -> None:
        for key in keys:
            digest = hash(key)
            if digest in self._set:
                continue
            self._set.add(digest)
            self._order.append(digest)
            if len(self._order) > self.capacity:
                self._set.discard(self._order.popleft())
