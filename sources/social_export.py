"""The ``social_export`` source kind: social-media posts from JSONL or CSV exports.

Files are streamed line by line (:mod:`sources.lines`), so a huge export needs little memory while it
is read; :func:`iter_export` yields items and skips one by one for callers that stream further.
Authors are pseudonymised here (:mod:`sources.pseudonym`), before an item leaves the source.
Every bad line or row becomes a :class:`Skipped` with its line number; nothing is dropped silently
(blank lines are not records and are ignored). Each record passes the guards of :mod:`sources.guard`
(JSON depth and number length, binary junk); a ``text`` that is not a string is ``malformed``. A CSV
is read strictly: an unterminated quote that would swallow the rest of the file is a broken row.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from pantau.domain.config import SourceConfig
from pantau.domain.errors import ConfigError, FetchError, ParseError
from pantau.domain.records import CollectedItem, CollectResult, Skipped, SkipReason
from pantau.domain.text import canonical_url
from sources.base import Location, check_options, failed, open_stream, resolve_location
from sources.dates import parse_datetime
from sources.guard import SNIFF_BYTES, RecentKeys, Refusal, binary_text, looks_binary, parse_json
from sources.http import HttpFetcher
from sources.lines import Line, iter_lines
from sources.pseudonym import Pseudonymiser
from sources.registry import register

FIELDS = ("id", "text", "author", "created_at", "url", "platform", "lang")
OPTIONS = (
    "format",
    "columns",
    "author_key",
    "public_handles",
    "platform",
    "encoding",
    "delimiter",
    "timezone",
    "max_line_bytes",
    "keep_columns",
)
_EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".tsv": "csv"}
_DELIMITERS = (",", ";", "\t", "|")


@dataclass(frozen=True)
class ExportOptions:
    """The validated options of one export (see docs/sources.md for each)."""

    format: str
    columns: dict[str, str]
    pseudonymise: Pseudonymiser
    platform: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    max_line_bytes: int = 1_000_000
    keep_columns: tuple[str, ...] = ()

    @classmethod
    def parse(
        cls,
        options: Mapping[str, Any],
        location: Location,
        *,
        where: str = "options",
        environ: Mapping[str, str] | None = None,
    ) -> ExportOptions:
        fmt = options.get("format") or _EXTENSIONS.get(location.suffix)
        if fmt not in ("jsonl", "csv"):
            raise ConfigError(
                "set format to 'jsonl' or 'csv' (the file extension does not say)", field=f"{where}.format"
            )
        columns = dict(zip(FIELDS, FIELDS, strict=True))
        custom = options.get("columns") or {}
        unknown = sorted(set(custom) - set(FIELDS))
        if unknown:
            raise ConfigError(
                f"unknown field(s) {', '.join(unknown)}; known: {', '.join(FIELDS)}", field=f"{where}.columns"
            )
        columns.update({k: str(v) for k, v in custom.items()})
        try:
            tz = ZoneInfo(options.get("timezone") or "UTC")
        except Exception as exc:  # ZoneInfoNotFoundError, ValueError
            raise ConfigError(
                f"unknown time zone {options.get('timezone')!r}", field=f"{where}.timezone"
            ) from exc
        delimiter = options.get("delimiter")
        if delimiter is not None and len(delimiter) != 1:
            raise ConfigError("must be a single character", field=f"{where}.delimiter")
        try:
            max_line_bytes = int(options.get("max_line_bytes") or 1_000_000)
        except (TypeError, ValueError) as exc:
            raise ConfigError("must be a whole number of bytes", field=f"{where}.max_line_bytes") from exc
        return cls(
            format=fmt,
            columns=columns,
            pseudonymise=Pseudonymiser.from_options(
                options.get("author_key"), options.get("public_handles") or (), environ
            ),
            platform=options.get("platform"),
            encoding=options.get("encoding"),
            delimiter=delimiter,
            timezone=tz,
            max_line_bytes=max_line_bytes,
            keep_columns=tuple(options.get("keep_columns") or ()),
        )


@register("social_export")
class SocialExportSource:
    """Collect posts from a JSONL or CSV export (a file, or a URL fetched whole within max_bytes)."""

    name = "social_export"

    def collect(self, config: SourceConfig, fetcher: HttpFetcher) -> CollectResult:
        result = CollectResult(source=config.name)
        try:
            for record in self.stream(config, fetcher):
                (result.items if isinstance(record, CollectedItem) else result.skipped).append(record)
        except (FetchError, ParseError) as exc:
            return failed(config.name, exc)
        return result

    def stream(self, config: SourceConfig, fetcher: HttpFetcher) -> Iterator[CollectedItem | Skipped]:
        """Items and skips one by one (the monitoring flow stores them in batches, so a run's memory
        does not grow with the export); raises FetchError / ParseError like :meth:`collect` reports."""
        check_options(config, OPTIONS)
        location = resolve_location(config.location)
        opts = ExportOptions.parse(config.options, location, where=f"sources.{config.name}.options")
        with open_stream(location, fetcher) as stream:
            yield from iter_export(stream, source=config.name, options=opts)


def check_not_binary(stream: BinaryIO, source: str) -> None:
    """Raise ParseError(reason ``binary``) when the first KB of ``stream`` are not text; the stream is
    left at its start (a seekable stream is rewound, another one is read through a buffer)."""
    head = stream.peek(SNIFF_BYTES)[:SNIFF_BYTES] if hasattr(stream, "peek") else None
    if head is None:
        head = stream.read(SNIFF_BYTES)
        stream.seek(0)
    if looks_binary(head):
        raise ParseError(
            "not a text file (binary bytes in the first KB)", location=source, reason=SkipReason.BINARY.value
        )


def iter_export(
    stream: BinaryIO, *, source: str, options: ExportOptions
) -> Iterator[CollectedItem | Skipped]:
    """Items and skips of one export, in file order. Raises ParseError only for a CSV whose header
    has no text column (every row would fail) and for a binary file (``binary``)."""
    check_not_binary(stream, source)
    lines = iter_lines(stream, encoding=options.encoding, max_line_bytes=options.max_line_bytes)
    records = (
        _jsonl_records(lines, source) if options.format == "jsonl" else csv_records(lines, source, options)
    )
    builder = _ItemBuilder(source, options)
    for record in records:
        yield record if isinstance(record, Skipped) else builder.build(*record)
        yield from builder.drain()


# A record: (line number, field getter, encoding fallback used or None)
_Record = tuple[int, Mapping[str, Any], str | None]


def _line_problem(source: str, line: Line) -> Skipped:
    reason = SkipReason.TOO_LARGE if line.problem == "too_long" else SkipReason.BAD_ENCODING
    return Skipped(source, reason, line.detail, f"line {line.number}")


def _jsonl_records(lines: Iterator[Line], source: str) -> Iterator[_Record | Skipped]:
    for line in lines:
        if line.text is None:
            yield _line_problem(source, line)
            continue
        if not line.text.strip():
            continue
        value = parse_json(line.text)
        if isinstance(value, Refusal):
            yield Skipped(source, value.reason, value.detail, f"line {line.number}")
            continue
        if not isinstance(value, dict):
            yield Skipped(
                source,
                SkipReason.MALFORMED,
                f"a JSON {type(value).__name__}, not an object",
                f"line {line.number}",
            )
            continue
        yield line.number, value, line.decoded_as


class _LineFeed:
    """Feeds decoded lines to csv.reader, remembering where each row started and any fallback used."""

    def __init__(self, lines: Iterator[Line], source: str):
        self._lines, self._source = lines, source
        self.problems: list[Skipped] = []
        self.number = 0
        self.decoded_as: str | None = None

    def __iter__(self) -> Iterator[str]:
        for line in self._lines:
            self.number = line.number
            if line.text is None:
                self.problems.append(_line_problem(self._source, line))
                continue
            self.decoded_as = self.decoded_as or line.decoded_as
            yield line.text


def csv_records(lines: Iterator[Line], source: str, options: ExportOptions) -> Iterator[_Record | Skipped]:
    """``(line number, row dict, fallback encoding)`` per CSV row, or a Skipped for a broken row.
    Raises ParseError when the header lacks the text column. Shared with ``crowdtangle_csv``."""
    feed = _LineFeed(lines, source)
    text_lines = iter(feed)
    header_line = next(text_lines, None)
    yield from feed.problems
    feed.problems.clear()
    if header_line is None:
        return
    delimiter = options.delimiter or _sniff_delimiter(header_line)
    try:
        header = [h.strip() for h in next(csv.reader([header_line], delimiter=delimiter), [])]
    except csv.Error as exc:  # e.g. a bare carriage return inside the header line
        raise ParseError(
            f"unreadable CSV header: {exc}", location=source, reason=SkipReason.MALFORMED.value
        ) from exc
    if options.columns["text"] not in header and options.columns["text"].casefold() not in {
        h.casefold() for h in header
    }:
        raise ParseError(
            f"the CSV header has no {options.columns['text']!r} column (columns: {', '.join(header)})",
            location=source,
            reason=SkipReason.MISSING_FIELD.value,
        )
    # strict: a quote left open at the end of the file is an error, not a field holding the rest of it
    reader = csv.reader(text_lines, delimiter=delimiter, strict=True)
    while True:
        start = feed.number + 1
        feed.decoded_as = None
        try:
            row = next(reader)
        except StopIteration:
            yield from feed.problems
            return
        except csv.Error as exc:
            yield from feed.problems
            feed.problems.clear()
            yield Skipped(source, SkipReason.MALFORMED, f"broken CSV row: {exc}", f"line {start}")
            continue
        yield from feed.problems
        feed.problems.clear()
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield Skipped(
                source,
                SkipReason.MALFORMED,
                f"row has {len(row)} fields, the header has {len(header)}",
                f"line {start}",
            )
            continue
        yield start, dict(zip(header, row, strict=True)), feed.decoded_as


def _sniff_delimiter(header_line: str) -> str:
    """The candidate delimiter that occurs most often in the header; ',' when none does."""
    counts = {d: header_line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


class _ItemBuilder:
    """Turns one record into an item (or a skip), tracking duplicates and dates."""

    def __init__(self, source: str, options: ExportOptions):
        self.source, self.options = source, options
        self.seen = RecentKeys()
        self.pending: list[Skipped] = []

    def drain(self) -> Iterator[Skipped]:
        yield from self.pending
        self.pending.clear()

    def get(self, record: Mapping[str, Any], name: str) -> Any:
        return _lookup(record, self.options.columns[name])

    def build(
        self, number: int, record: Mapping[str, Any], decoded_as: str | None
    ) -> CollectedItem | Skipped:
        position = f"line {number}"
        text_value = self.get(record, "text")
        if text_value is None:
            return Skipped(
                self.source, SkipReason.MISSING_FIELD, f"no {self.options.columns['text']!r} field", position
            )
        if not isinstance(text_value, str):
            return Skipped(
                self.source,
                SkipReason.MALFORMED,
                f"text is a JSON {_json_type(text_value)}, not a string",
                position,
            )
        text = text_value.replace("\r\n", "\n").replace("\r", "\n").strip()
        if not text:
            return Skipped(self.source, SkipReason.EMPTY_TEXT, "empty text", position)
        if binary_text(text):
            return Skipped(self.source, SkipReason.BINARY, "the text is binary junk, not words", position)
        platform = _clean(self.get(record, "platform")) or self.options.platform
        post_id = _clean(self.get(record, "id"))
        external_id = f"{platform}:{post_id}" if platform and post_id else post_id
        url = _clean(self.get(record, "url"))
        keys = {
            k
            for k in (f"id:{external_id}" if external_id else "", f"url:{canonical_url(url)}" if url else "")
            if k
        }
        if self.seen.seen_any(keys):
            return Skipped(
                self.source,
                SkipReason.DUPLICATE_IN_BATCH,
                f"same id or url as an earlier record: {external_id or url}",
                position,
            )
        self.seen.add(keys)
        created = self.get(record, "created_at")
        published_at = parse_datetime(created, default_tz=self.options.timezone)
        if published_at is None and _clean(created):
            self.pending.append(
                Skipped(
                    self.source,
                    SkipReason.BAD_DATE,
                    f"unparseable date {created!r}; item kept without a date",
                    position,
                )
            )
        raw: dict[str, Any] = {"platform": platform, "line": number}
        if self.options.pseudonymise.is_development_key:
            raw["author_key"] = "development"
        if decoded_as:
            raw["decoded_as"] = decoded_as
        for column in self.options.keep_columns:
            raw[column] = _lookup(record, column)
        return CollectedItem(
            source=self.source,
            text=text,
            url=url,
            external_id=external_id,
            author=self.options.pseudonymise(_clean(self.get(record, "author"))),
            published_at=published_at,
            lang=_clean(self.get(record, "lang")),
            raw=raw,
        )


def _lookup(record: Mapping[str, Any], column: str) -> Any:
    """A field by exact name, then case-insensitively, then as a dotted path into nested JSON."""
    if column in record:
        return record[column]
    folded = column.casefold()
    for key, value in record.items():
        if isinstance(key, str) and key.strip().casefold() == folded:
            return value
    value: Any = record
    for part in column.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _json_type(value: Any) -> str:
    names = {bool: "boolean", int: "number", float: "number", list: "array", dict: "object"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _clean(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None
