"""Bounded decoding of a gzip/deflate HTTP body: a few KB of a compression bomb never expand at once.

httpx inflates each network chunk whole, so 64 KB of gzipped zeros become 64 MB in one step, whatever
the cap. :func:`inflate` asks zlib for at most :data:`STEP` bytes per call and stops once ``limit``
bytes came out, so memory stays near ``limit`` plus one step.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

STEP = 64 * 1024
ENCODINGS = ("gzip", "x-gzip", "deflate")


class InflateError(ValueError):
    """The body does not decode as its Content-Encoding says."""


def inflate(raw: Iterable[bytes], encoding: str, limit: int) -> Iterator[bytes]:
    """The decoded chunks of ``raw`` (gzip, several members allowed, or deflate with or without its
    zlib header); stops after the chunk that takes the total past ``limit``."""
    gzip = encoding in ("gzip", "x-gzip")
    wbits = zlib.MAX_WBITS | 16 if gzip else zlib.MAX_WBITS
    engine = zlib.decompressobj(wbits)
    started, produced = False, 0
    for chunk in raw:
        data = chunk
        while data:
            try:
                out = engine.decompress(data, STEP)
            except zlib.error as exc:
                if gzip or started:
                    raise InflateError(f"undecodable {encoding} body: {exc}") from exc
                wbits, engine = -zlib.MAX_WBITS, zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate
                started = True
                continue
            started = True
            if out:
                produced += len(out)
                yield out
                if produced > limit:
                    return
            data = engine.unconsumed_tail
            if engine.eof:
                data = engine.unused_data
                if data and gzip:
                    engine = zlib.decompressobj(wbits)  # the next gzip member
                else:
                    data = b""  # trailing bytes after a deflate stream are ignored, as browsers do
    tail = engine.flush()
    if tail:
        yield tail
