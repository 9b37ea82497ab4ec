"""Date parsing: seconds per 10,000 dates and share read correctly, old parser vs sources.dates (issue 17).

    python benchmarks/bench_dates.py [--n 10000] [--search-n 300] [--seed 17]

Each family is ``--n`` strings from one template with random dates (seeded; the truth is known, so
"correct" means the exact UTC instant). Columns: ``old`` is the strptime chain this replaced (copied
below, only as the baseline), ``new`` is ``sources.dates.parse_datetime``, ``dateparser`` is the
library alone on the raw string with the same settings (no fast paths, no zone or label handling):
what the fast paths and the zone extraction save. A last table compares ``dateparser.search`` with
the label strip on labelled strings ("Diperbarui: ..."). Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import dateparser.search  # noqa: E402

from sources import dates  # noqa: E402

# --- the parser sources/dates.py had before issue 17 (baseline only) ------------------------------
_OLD_FORMATS = (
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
_OLD_EPOCH = re.compile(r"^-?\d{9,13}(\.\d+)?$")


def old_parse_datetime(value: object, *, default_tz=UTC, relative_to=None) -> datetime | None:
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    if not text:
        return None
    if _OLD_EPOCH.match(text):
        seconds = float(text)
        return datetime.fromtimestamp(seconds / 1000 if abs(seconds) > 1e11 else seconds, tz=UTC)
    parsed = None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        for fmt in _OLD_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            try:
                parsed = parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_tz)
    return parsed.astimezone(UTC)


# --- families of real-looking strings ------------------------------------------------------------
DAYS = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
MONTHS = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]
MONTHS_SHORT = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]
MONTHS_OLD = {1: "Djanuari", 2: "Pebruari", 8: "Agustus", 11: "Nopember"}  # old spellings
ZONES = {"WIB": 7, "WITA": 8, "WIT": 9}
FETCHED = datetime(2024, 12, 5, 5, 0, tzinfo=UTC)
Sample = tuple[str, datetime | None]


def _local(rng: random.Random, zone: str = "WIB") -> tuple[datetime, str]:
    start = datetime(2023, 1, 1, tzinfo=timezone(timedelta(hours=ZONES[zone])))
    moment = start + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
    return moment, zone


def _iso(rng):
    m, _ = _local(rng)
    return m.isoformat(), m


def _epoch(rng):
    m, _ = _local(rng)
    return str(int(m.timestamp())), m


def _rfc(rng):
    m, _ = _local(rng)
    return format_datetime(m), m


def _numeric(rng):  # naive, read in default_tz (UTC here)
    m, _ = _local(rng)
    naive = m.replace(tzinfo=UTC)
    return naive.strftime("%d/%m/%Y %H:%M"), naive


def _kompas(rng):
    m, z = _local(rng, rng.choice(list(ZONES)))
    return f"{m:%d/%m/%Y}, {m:%H:%M} {z}", m


def _long(rng):
    m, z = _local(rng, rng.choice(list(ZONES)))
    return f"{DAYS[m.weekday()]}, {m.day} {MONTHS[m.month - 1]} {m.year} {m:%H:%M} {z}", m


def _detik(rng):
    m, z = _local(rng)
    return f"{DAYS[m.weekday()]}, {m:%d} {MONTHS_SHORT[m.month - 1]} {m.year} {m:%H:%M} {z}", m


def _old_spelling(rng):
    m, _ = _local(rng)
    month = rng.choice(list(MONTHS_OLD))
    m = m.replace(month=month, day=min(m.day, 28), hour=0, minute=0).replace(tzinfo=UTC)
    return f"{m.day} {MONTHS_OLD[month]} {m.year}", m


def _labelled(rng):
    text, m = _long(rng)
    return f"{rng.choice(['Diperbarui', 'Diterbitkan', 'Tayang', 'Published'])}: {text}", m


def _relative(rng):
    n = rng.randrange(1, 24)
    text, delta = rng.choice(
        [
            (f"{n} jam yang lalu", timedelta(hours=n)),
            (f"{n} menit lalu", timedelta(minutes=n)),
            (f"{n % 6 + 1} hari lalu", timedelta(days=n % 6 + 1)),
            ("kemarin", timedelta(days=1)),
        ]
    )
    return text, FETCHED - delta


WORDS = "warga desa camplong kampanye bupati sampang madura suara tps politik uang hoaks".split()


def _garbage(rng):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randrange(1, 6))), None


FAMILIES: list[tuple[str, Callable[[random.Random], Sample]]] = [
    ("ISO 8601 +07:00", _iso),
    ("epoch seconds", _epoch),
    ("RFC 2822", _rfc),
    ("20/11/2024 08:15 (naive)", _numeric),
    ("03/12/2024, 10:00 WITA", _kompas),
    ("Selasa, 3 Desember 2024 10:00 WIT", _long),
    ("Selasa, 03 Des 2024 10:00 WIB", _detik),
    ("27 Nopember 2024 (old spelling)", _old_spelling),
    ("Diperbarui: Selasa, 3 Desember ...", _labelled),
    ("2 jam yang lalu / kemarin", _relative),
    ("garbage words", _garbage),
]


def dateparser_alone(text: str, *, relative_to: datetime) -> datetime | None:
    settings = {
        **dates._SETTINGS,
        "PARSERS": ["relative-time", "absolute-time"],
        "RELATIVE_BASE": relative_to.replace(tzinfo=None),
    }
    found = dateparser.parse(text, languages=dates._LANGUAGES, settings=settings)
    if found is None:
        return None
    return (found if found.tzinfo else found.replace(tzinfo=UTC)).astimezone(UTC)


def run(parse: Callable[..., datetime | None], samples: list[Sample]) -> tuple[float, float]:
    start = time.perf_counter()
    results = [parse(text, relative_to=FETCHED) for text, _ in samples]
    elapsed = time.perf_counter() - start
    correct = sum(got == want for got, (_, want) in zip(results, samples, strict=True))
    return elapsed, correct / len(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="strings per family")
    parser.add_argument("--search-n", type=int, default=300, help="labelled strings for the search table")
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    dates.parse_datetime("3 Desember 2024")  # dateparser loads its locales on first use
    scale = 10_000 / args.n
    print(f"{args.n} strings per family; seconds per 10,000 dates (share read correctly)")
    print(f"{'family':36} {'old':>15} {'new':>15} {'dateparser':>15}")
    totals = [0.0, 0.0, 0.0]
    for name, make in FAMILIES:
        samples = [make(rng) for _ in range(args.n)]
        cells = []
        for i, parse in enumerate((old_parse_datetime, dates.parse_datetime, dateparser_alone)):
            elapsed, share = run(parse, samples)
            totals[i] += elapsed * scale
            cells.append(f"{elapsed * scale:7.2f} ({share:4.0%})")
        print(f"{name:36} {cells[0]:>15} {cells[1]:>15} {cells[2]:>15}")
    print(f"{'all families':36} {totals[0]:15.2f} {totals[1]:15.2f} {totals[2]:15.2f}")

    labelled = [_labelled(rng) for _ in range(args.search_n)]
    settings = {**dates._SETTINGS, "RELATIVE_BASE": FETCHED.replace(tzinfo=None)}

    def by_search(text: str, **_: object) -> datetime | None:
        found = dateparser.search.search_dates(text, languages=dates._LANGUAGES, settings=settings)
        if not found:
            return None
        value = found[0][1]
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)

    print(f"\nlabelled strings ({args.search_n}): ms per date (share read correctly)")
    for name, parse in (
        ("dateparser.search.search_dates", by_search),
        ("label strip + parse", dates.parse_datetime),
    ):
        elapsed, share = run(parse, labelled)
        print(f"{name:36} {elapsed / args.search_n * 1000:7.2f} ({share:4.0%})")


if __name__ == "__main__":
    main()
