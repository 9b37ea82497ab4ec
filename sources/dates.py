"""Dates found in feeds, exports and pages, to timezone-aware UTC datetimes (or None when unparseable).

Cheap exact paths run first (epoch numbers, ISO 8601, numeric day-first dates, RFC 2822); everything
else (Indonesian and English month and day names, old spellings such as "Nopember", relative dates
such as "2 jam yang lalu" or "kemarin") goes to ``dateparser``, which costs about half a millisecond a
string (``benchmarks/bench_dates.py``).
"""

from __future__ import annotations

import functools
import re
import time
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime

import dateparser

_EPOCH = re.compile(r"^-?\d{9,13}(\.\d+)?$")
_MILLIS_ABOVE = 100_000_000_000  # epoch values above this are milliseconds (year 5138 in seconds)

# Indonesia's zones, taken out of the text before any parser sees it. dateparser (1.2 to 1.5) knows
# the three abbreviations, but the RFC 2822 path (email.utils) does not: it returns a naive time, so
# "... 08:15 WITA" became a time in ``default_tz`` (one hour off when that is WIB). Taking the zone out
# ourselves also lets ISO and numeric strings that carry one stay on the fast paths, and halves
# dateparser's time on the rest (its zone search is a large regex).
_ZONE_HOURS = {"WIB": 7, "WITA": 8, "WIT": 9}
_ZONE_WORD = re.compile(r"\b(WITA|WIT|WIB)\b", re.IGNORECASE)
_ZONES = {name: timezone(timedelta(hours=hours), name) for name, hours in _ZONE_HOURS.items()}

# Numeric dates, day first (the Indonesian convention: "20/11/2024" is 20 November), or year first
# with slashes or dots; an optional clock with ":" or "." ("14.05"). One regex instead of a chain of
# strptime formats, and 50 to 100 times cheaper than dateparser on the commonest export format.
_CLOCK = r"(?:,?\s+(?:pukul\s+|jam\s+)?(?P<H>\d{1,2})[:.](?P<M>\d{2})(?:[:.](?P<S>\d{2}))?)?"
_NUMERIC = (
    re.compile(r"(?P<d>\d{1,2})(?P<sep>[/.-])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4})" + _CLOCK, re.IGNORECASE),
    re.compile(r"(?P<y>\d{4})(?P<sep>[/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})" + _CLOCK, re.IGNORECASE),
)

# A leading label before the date ("Diperbarui: ...", "Published on ..."): dateparser refuses the
# whole string otherwise. dateparser.search.search_dates reads the same strings as well, but about
# seven times slower (4.5 ms against 0.6 ms a string, benchmarks/bench_dates.py), and without
# REQUIRE_PARTS it takes "2024 10:00 WIB" out of "... 3 Desember 2024 10:00 WIB" as a date this month.
_LEAD_WORDS = "diperbarui|diperbaharui|diterbitkan|dipublikasikan|terbit|tayang|published|updated|posted"
_LABEL = re.compile(
    rf"^(?:(?:[^\W\d_]+\.?\s+){{0,2}}[^\W\d_]+\s*:|(?:{_LEAD_WORDS})(?:\s+(?:pada|on|at))?\b)\s*",
    re.IGNORECASE,
)
_TRIM = " \t,|-"
_MAX_FREE_TEXT = 120  # longer strings are not a date field; dateparser's time grows with length

_LANGUAGES = ["id", "en"]  # tried in this order (use_given_order): most dates here are Indonesian
_SETTINGS = {
    "DATE_ORDER": "DMY",
    "PREFER_DATES_FROM": "past",
    # A date needs a day, a month and a year: "10", "2024", "Maret" or "Senin" alone are not
    # publication dates. Relative expressions ("kemarin", "3 hari lalu") are not affected.
    "REQUIRE_PARTS": ["day", "month", "year"],
    # Absolute dates only, unless a reference time is given (then "relative-time" first). Epoch numbers
    # are handled above; dateparser's "timestamp" and "no-spaces-time" read digit runs as dates.
    "PARSERS": ["absolute-time"],
    # RETURN_AS_TIMEZONE_AWARE is left at dateparser's default (aware only when the text names a
    # zone): with True, a naive value comes back in dateparser's TIMEZONE setting, indistinguishable
    # from an explicit "+00:00", and TIMEZONE takes a name, not the tzinfo ``default_tz`` may be.
}


def struct_to_utc(value: time.struct_time | None) -> datetime | None:
    """A feedparser ``*_parsed`` value (already UTC) as an aware datetime."""
    if value is None:
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def parse_datetime(
    value: object, *, default_tz: tzinfo = UTC, relative_to: datetime | None = None
) -> datetime | None:
    """Parse a date found in a source to aware UTC; None for empty, unparseable or non-date values
    (anything but a string, a number, a date or a datetime), never raises.

    Accepts epoch seconds/milliseconds (numbers or digit strings), ISO 8601, RFC 2822, numeric
    day-first dates (``20/11/2024 08:15``), Indonesian or English written dates with day names and old
    spellings (``Selasa, 3 Desember 2024 10:00 WIB``, ``27 Nopember 2024``), a leading label
    (``Diperbarui: ...``), and relative dates (``2 jam yang lalu``, ``3 hari lalu``, ``kemarin``).

    WIB, WITA and WIT are UTC+7, +8 and +9. A value without a zone is taken in ``default_tz``.

    Relative dates are read only against a reference time: ``relative_to`` (when the page was fetched;
    naive = UTC), on the wall clock of the value's zone, so "kemarin" is the previous local day at the
    same clock time. Without ``relative_to`` they are unparseable (None, which callers count as
    ``bad_date``): the time of parsing is not the time the text was written against (an export read
    days later would be misdated without a trace), and in a machine export (an API's ``created_at``)
    a relative value is a corrupt field.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return _from_epoch(float(value))
        except OverflowError:  # an int too large for a float
            return None
    if isinstance(value, date):  # datetime included
        value = value.isoformat()
    if not isinstance(value, str):  # a list or object from a JSON export is not a date
        return None
    text = value.strip()
    if not text:
        return None
    if _EPOCH.match(text):
        return _from_epoch(float(text))
    zone = default_tz
    found = _ZONE_WORD.search(text)
    if found:
        zone = _ZONES[found.group(1).upper()]
        text = (text[: found.start()] + text[found.end() :]).strip(_TRIM)
    parsed = _parse_exact(text)
    if parsed is None:
        parsed = _parse_free(text, zone, relative_to)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _parse_exact(text: str) -> datetime | None:
    """The cheap, exact formats: ISO 8601, numeric day-first (or year-first) dates, RFC 2822."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for pattern in _NUMERIC:
        match = pattern.fullmatch(text)
        if match:
            parts = match.groupdict()
            try:
                return datetime(
                    int(parts["y"]),
                    int(parts["m"]),
                    int(parts["d"]),
                    int(parts["H"] or 0),
                    int(parts["M"] or 0),
                    int(parts["S"] or 0),
                )
            except ValueError:
                return None  # "11/20/2024" and the like: dateparser may still read it
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def _parse_free(text: str, zone: tzinfo, relative_to: datetime | None) -> datetime | None:
    """Written and relative dates, by dateparser (Indonesian first, then English)."""
    text = _LABEL.sub("", text, count=1).strip(_TRIM)
    if not text or len(text) > _MAX_FREE_TEXT:
        return None
    try:
        if relative_to is None:
            parser = _ABSOLUTE
        else:
            base = relative_to if relative_to.tzinfo else relative_to.replace(tzinfo=UTC)
            parser = _relative_parser(base.astimezone(zone).replace(tzinfo=None))
        return parser.get_date_data(text).date_obj
    except Exception:  # noqa: BLE001 - a third-party parser on hostile text: None, never a crash
        return None


@functools.lru_cache(maxsize=8)
def _relative_parser(base: datetime) -> dateparser.DateDataParser:
    """A parser that also reads relative dates, against ``base`` (naive wall time in the value's zone);
    cached because a batch passes one fetch time for all its values."""
    settings = {**_SETTINGS, "PARSERS": ["relative-time", "absolute-time"], "RELATIVE_BASE": base}
    return dateparser.DateDataParser(languages=_LANGUAGES, use_given_order=True, settings=settings)


_ABSOLUTE = dateparser.DateDataParser(languages=_LANGUAGES, use_given_order=True, settings=_SETTINGS)


def _from_epoch(seconds: float) -> datetime | None:
    if abs(seconds) > _MILLIS_ABOVE:
        seconds /= 1000.0
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
