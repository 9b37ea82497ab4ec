"""Dates found in feeds and exports, to timezone-aware UTC datetimes (or None when unparseable)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, tzinfo
from email.utils import parsedate_to_datetime

# Day first: the Indonesian convention ("20/11/2024" is 20 November).
_FORMATS = (
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
)
_EPOCH = re.compile(r"^-?\d{9,13}(\.\d+)?$")
_MILLIS_ABOVE = 100_000_000_000  # epoch values above this are milliseconds (year 5138 in seconds)


def struct_to_utc(value: time.struct_time | None) -> datetime | None:
    """A feedparser ``*_parsed`` value (already UTC) as an aware datetime."""
    if value is None:
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def parse_datetime(value: object, *, default_tz: tzinfo = UTC) -> datetime | None:
    """Parse ISO 8601, RFC 2822, epoch seconds/milliseconds or a common local format to aware UTC.

    Naive values are taken in ``default_tz``. Returns None for empty or unparseable values.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    text = str(value).strip()
    if not text:
        return None
    if _EPOCH.match(text):
        return _from_epoch(float(text))
    parsed = _parse_text(text)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_tz)
    return parsed.astimezone(UTC)


def _parse_text(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for fmt in _FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def _from_epoch(seconds: float) -> datetime | None:
    if abs(seconds) > _MILLIS_ABOVE:
        seconds /= 1000.0
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
