"""Reading a binary stream line by line with bounded memory, decoding each line on its own.

Decoding rule (documented in docs/sources.md): with an explicit ``encoding`` a line that does not
decode is reported as undecodable. Without one ("auto"), each line is tried as UTF-8, then cp1252,
then latin-1 (which always succeeds); a line decoded by a fallback carries the encoding used, so the
caller can flag it. A UTF-8 byte-order mark at the start of the stream is dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

_BOM = b"\xef\xbb\xbf"
_FALLBACKS = ("cp1252", "latin-1")


@dataclass(frozen=True, slots=True)
class Line:
    """One physical line (1-based ``number``). ``text`` keeps its line ending; it is None when the
    line was undecodable or longer than the limit, and ``problem`` says which."""

    number: int
    text: str | None
    decoded_as: str | None = None  # the fallback encoding used, when not the expected one
    problem: str | None = None  # "too_long" or "undecodable"
    detail: str = ""


def iter_lines(
    stream: BinaryIO, *, encoding: str | None = None, max_line_bytes: int = 1_000_000
) -> Iterator[Line]:
    """Yield the lines of ``stream``; an over-long line is consumed to its end and reported."""
    number = 0
    while True:
        raw = stream.readline(max_line_bytes + 1)
        if not raw:
            return
        number += 1
        if number == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        if len(raw) > max_line_bytes and not raw.endswith(b"\n"):
            size = len(raw) + _discard_rest_of_line(stream, max_line_bytes)
            yield Line(
                number,
                None,
                problem="too_long",
                detail=f"line of {size} bytes exceeds the limit of {max_line_bytes}",
            )
            continue
        yield _decode(number, raw, encoding)


def _discard_rest_of_line(stream: BinaryIO, chunk: int) -> int:
    skipped = 0
    while True:
        part = stream.readline(chunk)
        skipped += len(part)
        if not part or part.endswith(b"\n"):
            return skipped


def _decode(number: int, raw: bytes, encoding: str | None) -> Line:
    if encoding:
        try:
            return Line(number, raw.decode(encoding))
        except UnicodeDecodeError as exc:
            return Line(
                number,
                None,
                problem="undecodable",
                detail=f"not valid {encoding}: {exc.reason} at byte {exc.start}",
            )
    try:
        return Line(number, raw.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    for fallback in _FALLBACKS:
        try:
            return Line(number, raw.decode(fallback), decoded_as=fallback)
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte string")  # pragma: no cover
