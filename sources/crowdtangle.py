"""The ``crowdtangle_csv`` source kind: CrowdTangle / Junkipedia-style CSV exports of public posts.

Rows are read with the same streaming CSV reader as ``social_export`` (per-line decoding fallback,
quoted newlines, delimiter sniffing). Default columns are CrowdTangle's historical export headers;
``options["columns"]`` maps our fields to other headers (Junkipedia, later exports). Authors (``User
Name``, else ``Page Name``) are pseudonymised like ``social_export``; ``public_handles`` stay readable.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import timedelta, timezone, tzinfo
from typing import Any, BinaryIO

from pantau.domain.config import SourceConfig
from pantau.domain.errors import ConfigError, FetchError, ParseError
from pantau.domain.records import CollectedItem, CollectResult, Skipped, SkipReason
from pantau.domain.text import canonical_url
from sources.base import check_options, failed, open_stream, resolve_location
from sources.dates import parse_datetime
from sources.guard import RecentKeys, binary_text
from sources.http import HttpFetcher
from sources.lines import iter_lines
from sources.registry import register
from sources.social_export import ExportOptions, check_not_binary, csv_records

OPTIONS = (
    "columns",
    "author_key",
    "public_handles",
    "platform",
    "timezone",
    "delimiter",
    "max_line_bytes",
    "keep_columns",
)
# our field -> the export's header(s); the first non-empty one wins
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "text": ("Message", "Description", "Link Text", "Image Text"),
    "author": ("User Name", "Page Name"),
    "created_at": ("Post Created",),
    "url": ("URL",),
    "link": ("Link", "Final Link"),
    "interactions": ("Total Interactions",),
    "views": ("Post Views", "Total Views"),
    "type": ("Type",),
    "platform": ("Platform",),
}
# Time-zone abbreviations CrowdTangle and Indonesian tools print after "Post Created"
_ZONES = {
    "UTC": 0,
    "GMT": 0,
    "EST": -5,
    "EDT": -4,
    "CST": -6,
    "CDT": -5,
    "MST": -7,
    "MDT": -6,
    "PST": -8,
    "PDT": -7,
    "WIB": 7,
    "WITA": 8,
    "WIT": 9,
}
_ZONE_SUFFIX = re.compile(r"^(.*\d)\s+([A-Za-z]{2,5})$")


@register("crowdtangle_csv")
class CrowdTangleSource:
    """Collect public posts from a CrowdTangle/Junkipedia CSV export (file or URL)."""

    name = "crowdtangle_csv"

    def collect(self, config: SourceConfig, fetcher: HttpFetcher) -> CollectResult:
        options = check_options(config, OPTIONS)
        where = f"sources.{config.name}.options"
        try:
            location = resolve_location(config.location)
        except FetchError as exc:
            return failed(config.name, exc)
        export = ExportOptions.parse({**_export_options(options), "format": "csv"}, location, where=where)
        columns = crowdtangle_columns(options.get("columns"), where=f"{where}.columns")
        result = CollectResult(source=config.name)
        try:
            with open_stream(location, fetcher) as stream:
                for record in iter_crowdtangle(
                    stream,
                    source=config.name,
                    export=export,
                    columns=columns,
                    platform=options.get("platform") or "facebook",
                ):
                    (result.items if isinstance(record, CollectedItem) else result.skipped).append(record)
        except (FetchError, ParseError) as exc:
            return failed(config.name, exc)
        return result


def _export_options(options: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if k not in ("columns", "platform")}


def crowdtangle_columns(custom: Any, *, where: str = "columns") -> dict[str, tuple[str, ...]]:
    """The default column map updated with ``custom`` (field -> header, or a list of headers)."""
    columns = dict(DEFAULT_COLUMNS)
    if not custom:
        return columns
    if not isinstance(custom, Mapping):
        raise ConfigError("must map our field names to export headers", field=where)
    unknown = sorted(set(custom) - set(DEFAULT_COLUMNS))
    if unknown:
        raise ConfigError(
            f"unknown field(s) {', '.join(unknown)}; known: {', '.join(DEFAULT_COLUMNS)}", field=where
        )
    for name, headers in custom.items():
        columns[name] = (headers,) if isinstance(headers, str) else tuple(str(h) for h in headers)
    return columns


def iter_crowdtangle(
    stream: BinaryIO,
    *,
    source: str,
    export: ExportOptions,
    columns: Mapping[str, tuple[str, ...]],
    platform: str = "facebook",
) -> Iterator[CollectedItem | Skipped]:
    """Items and skips of one export, in file order (pure apart from reading ``stream``)."""
    reader_options = ExportOptions(
        format="csv",
        columns={"text": columns["text"][0]},
        pseudonymise=export.pseudonymise,
        delimiter=export.delimiter,
        max_line_bytes=export.max_line_bytes,
    )
    check_not_binary(stream, source)
    lines = iter_lines(stream, encoding=export.encoding, max_line_bytes=export.max_line_bytes)
    seen = RecentKeys()
    for record in csv_records(lines, source, reader_options):
        if isinstance(record, Skipped):
            yield record
            continue
        yield from _row_item(record, source, export, columns, platform, seen)


def _row_item(
    record: tuple[int, Mapping[str, Any], str | None],
    source: str,
    export: ExportOptions,
    columns: Mapping[str, tuple[str, ...]],
    platform: str,
    seen: RecentKeys,
) -> Iterator[CollectedItem | Skipped]:
    number, row, decoded_as = record
    position = f"line {number}"

    def get(name: str) -> str | None:
        for header in columns[name]:
            value = _cell(row, header)
            if value:
                return value
        return None

    text = get("text")
    if not text:
        yield Skipped(source, SkipReason.EMPTY_TEXT, "no message, description or link text", position)
        return
    if binary_text(text):
        yield Skipped(source, SkipReason.BINARY, "the text is binary junk, not words", position)
        return
    url = get("url")
    key = canonical_url(url) if url else None
    if key and seen.seen_any([key]):
        yield Skipped(source, SkipReason.DUPLICATE_IN_BATCH, f"same URL as an earlier row: {url}", position)
        return
    if key:
        seen.add([key])
    created = get("created_at")
    published_at = parse_post_created(created, export.timezone)
    if created and published_at is None:
        yield Skipped(
            source, SkipReason.BAD_DATE, f"unparseable date {created!r}; item kept without a date", position
        )
    row_platform = (get("platform") or platform).lower()
    raw: dict[str, Any] = {
        "platform": row_platform,
        "line": number,
        "type": get("type"),
        "link": get("link"),
        "total_interactions": _count(get("interactions")),
        "views": _count(get("views")),
    }
    if export.pseudonymise.is_development_key:
        raw["author_key"] = "development"
    if decoded_as:
        raw["decoded_as"] = decoded_as
    for column in export.keep_columns:
        raw[column] = _cell(row, column)
    yield CollectedItem(
        source=source,
        text=text.replace("\r\n", "\n").strip(),
        url=url,
        external_id=f"{row_platform}:{url}" if url else None,
        author=export.pseudonymise(get("author")),
        published_at=published_at,
        raw=raw,
    )


def parse_post_created(value: str | None, default_tz: tzinfo) -> Any:
    """``2024-11-20 08:15:30 EST`` (a zone abbreviation), ISO 8601, or a naive time in ``default_tz``."""
    if not value:
        return None
    match = _ZONE_SUFFIX.match(value.strip())
    if match and match.group(2).upper() in _ZONES:
        zone = timezone(timedelta(hours=_ZONES[match.group(2).upper()]), match.group(2).upper())
        return parse_datetime(match.group(1), default_tz=zone)
    return parse_datetime(value, default_tz=default_tz)


def _cell(row: Mapping[str, Any], header: str) -> str | None:
    value = row.get(header)
    if value is None:
        folded = header.casefold()
        value = next(
            (v for k, v in row.items() if isinstance(k, str) and k.strip().casefold() == folded), None
        )
    text = str(value).strip() if value is not None else ""
    return text or None


def _count(value: str | None) -> int | None:
    digits = (value or "").replace(",", "").replace(".", "").replace(" ", "")
    return int(digits) if digits.isdigit() else None
