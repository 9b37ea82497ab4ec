"""sources.dates: every form a source gives a date in, Indonesian zones and relative dates included."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sources import dates
from sources.dates import parse_datetime, struct_to_utc

JAKARTA = ZoneInfo("Asia/Jakarta")
WIB = timezone(timedelta(hours=7))
#: the fetch time relative dates are read against: Thursday 5 December 2024, 12:00 WIB
FETCHED = datetime(2024, 12, 5, 5, 0, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Selasa, 3 Desember 2024 10:00 WIB", utc(2024, 12, 3, 3, 0)),
        ("Selasa, 3 Desember 2024 10:00 WITA", utc(2024, 12, 3, 2, 0)),
        ("Selasa, 3 Desember 2024 10:00 WIT", utc(2024, 12, 3, 1, 0)),
        ("3 Desember 2024 10.00 wita", utc(2024, 12, 3, 2, 0)),
        ("29/11/2024, 14.05 WIB", utc(2024, 11, 29, 7, 5)),
        ("29/11/2024 14:05 WIT", utc(2024, 11, 29, 5, 5)),
        ("2024-12-03 10:00 WITA", utc(2024, 12, 3, 2, 0)),
        # RFC 2822 with an Indonesian zone: email.utils alone reads it naive (then as default_tz)
        ("Wed, 20 Nov 2024 08:15:00 WITA", utc(2024, 11, 20, 0, 15)),
        ("Wed, 20 Nov 2024 08:15:00 WIT", utc(2024, 11, 19, 23, 15)),
    ],
)
def test_indonesian_zones_whatever_the_default_zone(value, expected):
    assert parse_datetime(value) == expected
    assert parse_datetime(value, default_tz=JAKARTA) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("27 Nopember 2024", utc(2024, 11, 27)),
        ("27 November 2024", utc(2024, 11, 27)),
        ("27 Nov 2024", utc(2024, 11, 27)),
        ("17 Agustus 2024", utc(2024, 8, 17)),
        ("17 Agu 2024", utc(2024, 8, 17)),
        ("3 Pebruari 2024", utc(2024, 2, 3)),
        ("3 Februari 2024", utc(2024, 2, 3)),
        ("5 Mei 2024", utc(2024, 5, 5)),
        ("5 Okt 2024", utc(2024, 10, 5)),
        ("12 Des 2024 09:30", utc(2024, 12, 12, 9, 30)),
        ("Minggu, 1 Desember 2024", utc(2024, 12, 1)),
        ("Jumat, 29 Nopember 2024 14.05", utc(2024, 11, 29, 14, 5)),
        ("Kamis, 28 Nov 2024 - 09:12", utc(2024, 11, 28, 9, 12)),
        ("3 Desember 2024 pukul 10.00", utc(2024, 12, 3, 10, 0)),
        ("Tuesday, December 3, 2024 10:00", utc(2024, 12, 3, 10, 0)),
    ],
)
def test_month_spellings_and_day_names(value, expected):
    assert parse_datetime(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Diperbarui: Selasa, 3 Desember 2024 10:00 WIB", utc(2024, 12, 3, 3, 0)),
        ("Tanggal terbit: 3 Desember 2024", utc(2024, 12, 3)),
        ("Diterbitkan pada 3 Desember 2024", utc(2024, 12, 3)),
        ("Published on 3 Dec 2024", utc(2024, 12, 3)),
        ("Updated: 20/11/2024 08:15", utc(2024, 11, 20, 8, 15)),
    ],
)
def test_a_leading_label_is_not_part_of_the_date(value, expected):
    assert parse_datetime(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2 jam yang lalu", FETCHED - timedelta(hours=2)),
        ("5 menit lalu", FETCHED - timedelta(minutes=5)),
        ("3 hari lalu", FETCHED - timedelta(days=3)),
        ("kemarin", FETCHED - timedelta(days=1)),
        ("baru saja", FETCHED),
        ("2 hours ago", FETCHED - timedelta(hours=2)),
    ],
)
def test_relative_dates_against_the_fetch_time(value, expected):
    assert parse_datetime(value, relative_to=FETCHED) == expected
    assert parse_datetime(value, relative_to=FETCHED, default_tz=JAKARTA) == expected
    assert parse_datetime(value, relative_to=FETCHED.replace(tzinfo=None)) == expected  # naive = UTC


def test_relative_day_and_clock_are_read_on_the_local_wall_clock():
    # 5 December 01:00 WIB is still 4 December in UTC: "kemarin 10:00" is 4 December 10:00 WIB
    late = datetime(2024, 12, 4, 18, 0, tzinfo=UTC)
    assert parse_datetime("kemarin 10:00", relative_to=late, default_tz=JAKARTA) == utc(2024, 12, 4, 3, 0)
    assert parse_datetime("kemarin 10:00 WITA", relative_to=late) == utc(2024, 12, 4, 2, 0)
    assert parse_datetime("kemarin 10:00", relative_to=late) == utc(2024, 12, 3, 10, 0)


@pytest.mark.parametrize("value", ["kemarin", "2 jam yang lalu", "3 hari lalu", "baru saja", "yesterday"])
def test_relative_dates_without_a_reference_time_are_unparseable(value):
    assert parse_datetime(value) is None
    assert parse_datetime(value, default_tz=JAKARTA) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-11-20T08:15:00+07:00", utc(2024, 11, 20, 1, 15)),
        ("2024-11-20T01:15:00Z", utc(2024, 11, 20, 1, 15)),
        ("2024-11-20 08:15", utc(2024, 11, 20, 8, 15)),
        ("2024-11-20", utc(2024, 11, 20)),
        ("Wed, 20 Nov 2024 08:15:00 +0700", utc(2024, 11, 20, 1, 15)),
        ("Wed Nov 20 08:15:00 +0000 2024", utc(2024, 11, 20, 8, 15)),
        ("20/11/2024", utc(2024, 11, 20)),
        ("20/11/2024 08:15", utc(2024, 11, 20, 8, 15)),
        ("20/11/2024 08:15:30", utc(2024, 11, 20, 8, 15, 30)),
        ("20-11-2024", utc(2024, 11, 20)),
        ("20.11.2024 08:15", utc(2024, 11, 20, 8, 15)),
        ("5/6/2024", utc(2024, 6, 5)),  # day first
        ("2024/11/20 08:15", utc(2024, 11, 20, 8, 15)),
        ("1732090500", utc(2024, 11, 20, 8, 15)),
        ("1732090500000", utc(2024, 11, 20, 8, 15)),
        ("1732090500.5", utc(2024, 11, 20, 8, 15) + timedelta(milliseconds=500)),
        (1732090500, utc(2024, 11, 20, 8, 15)),
        (1732090500000, utc(2024, 11, 20, 8, 15)),
        (1732090500.0, utc(2024, 11, 20, 8, 15)),
    ],
)
def test_iso_rfc2822_numeric_and_epoch(value, expected):
    assert parse_datetime(value) == expected


def test_datetime_and_date_values():
    assert parse_datetime(datetime(2024, 11, 20, 8, 15), default_tz=JAKARTA) == utc(2024, 11, 20, 1, 15)
    assert parse_datetime(datetime(2024, 11, 20, 8, 15, tzinfo=WIB)) == utc(2024, 11, 20, 1, 15)
    assert parse_datetime(date(2024, 11, 20)) == utc(2024, 11, 20)


def test_naive_values_are_taken_in_default_tz_and_explicit_zones_win():
    assert parse_datetime("20/11/2024 08:15", default_tz=JAKARTA) == utc(2024, 11, 20, 1, 15)
    assert parse_datetime("3 Desember 2024 10:00", default_tz=WIB) == utc(2024, 12, 3, 3, 0)
    assert parse_datetime("2024-11-20 08:15", default_tz=JAKARTA) == utc(2024, 11, 20, 1, 15)
    assert parse_datetime("2024-11-20T08:15:00Z", default_tz=JAKARTA) == utc(2024, 11, 20, 8, 15)
    assert parse_datetime("3 Desember 2024 10:00 WITA", default_tz=JAKARTA) == utc(2024, 12, 3, 2, 0)
    assert parse_datetime(1732090500, default_tz=JAKARTA) == utc(2024, 11, 20, 8, 15)  # epoch is UTC


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        False,
        "",
        "   ",
        "halo",
        "bukan tanggal sama sekali",
        "N/A",
        "10",
        "2024",
        "Senin",
        "Maret",
        "3 Desember",  # no year: not a publication date
        "31/02/2024",
        "99/99/9999",
        "2024-13-99",
        "<script>alert(1)</script>",
        "x" * 5000,
        "Diperbarui: " + "x" * 200,
        float("nan"),
        float("inf"),
        10**400,
        object(),
        ["2024-11-20"],
    ],
)
def test_garbage_empty_and_non_dates_are_none(value):
    assert parse_datetime(value) is None
    assert parse_datetime(value, relative_to=FETCHED) is None


def test_dates_outside_the_datetime_range_are_none():
    assert parse_datetime("0001-01-01 05:00 WIT") is None  # year 0 in UTC
    assert parse_datetime("kemarin", relative_to=datetime.max.replace(tzinfo=UTC), default_tz=JAKARTA) is None


def test_the_numeric_fast_path_agrees_with_dateparser():
    for text in (
        "20/11/2024",
        "20/11/2024 08:15",
        "5.6.2024 14.05",
        "01-02-2024 23:59:59",
        "2024/11/20 08:15",
    ):
        assert dates._parse_exact(text) == dates._ABSOLUTE.get_date_data(text).date_obj, text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.text(max_size=60),
        st.from_regex(r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}( \d{1,2}[:.]\d{2})?( WI(B|TA|T))?", fullmatch=True),
        st.integers(),
        st.floats(),
    )
)
def test_never_raises_and_is_aware_utc_or_none(value):
    for parsed in (parse_datetime(value), parse_datetime(value, relative_to=FETCHED, default_tz=JAKARTA)):
        assert parsed is None or parsed.utcoffset() == timedelta(0)


def test_struct_to_utc():
    assert struct_to_utc(time.struct_time((2024, 11, 20, 8, 15, 0, 2, 325, 0))) == utc(2024, 11, 20, 8, 15)
    assert struct_to_utc(None) is None
    assert struct_to_utc(time.struct_time((2024, 13, 40, 8, 15, 0, 2, 325, 0))) is None
