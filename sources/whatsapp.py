"""The ``whatsapp_export`` source kind: a chat exported from WhatsApp ("Ekspor chat", without media).

Handles the Android and iOS layouts in Indonesian and English locales::

    27/11/24 06.15 - Nama: pesan              (Android, Indonesian)
    [27/11/2024, 06:15:09] Nama: pesan        (iOS)
    11/27/24, 6:15 AM - Name: message         (Android, English US)

A line that does not start a message continues the previous one (multi-line messages). System lines
(encryption notice, joins, "<Media tidak disertakan>", deleted messages) are skipped with reason
``empty_text`` and a detail saying which. Senders (names or phone numbers) are pseudonymised.
Day/month order is detected from the whole file (a first number above 12 means day first; a second
number above 12, or AM/PM times, month first; otherwise day first) unless ``date_order`` is set.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from pantau.domain.config import SourceConfig
from pantau.domain.errors import ConfigError
from pantau.domain.records import CollectedItem, CollectResult, Skipped, SkipReason
from sources.base import check_options, load_document
from sources.http import HttpFetcher
from sources.pseudonym import Pseudonymiser
from sources.registry import register

WIB = ZoneInfo("Asia/Jakarta")
OPTIONS = ("author_key", "public_handles", "timezone", "date_order", "chat")
_DATE = r"(?P<date>\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4})"
_TIME = r"(?P<time>\d{1,2}[.:]\d{2}(?:[.:]\d{2})?(?:[\s\u202f\u00a0]*[AaPp]\.?\s?[Mm]\.?)?)"
_MARKS = "\u200e\u200f\ufeff"
_ANDROID = re.compile(rf"^[{_MARKS}]?{_DATE},?\s+{_TIME}\s+-\s+(?P<rest>.*)$")
_IOS = re.compile(rf"^[{_MARKS}]?\[{_DATE},?\s+{_TIME}\]\s+(?P<rest>.*)$")
_MEDIA = re.compile(
    r"^[\u200e]?<?\s*(attached: [^>]*|lampiran: [^>]*|media tidak disertakan|media omitted|"
    r"gambar tidak disertakan|image omitted|video tidak disertakan|video omitted|"
    r"audio tidak disertakan|audio omitted|"
    r"stiker tidak disertakan|sticker omitted|dokumen tidak disertakan|document omitted|"
    r"gif tidak disertakan|gif omitted)\s*>?$",
    re.IGNORECASE,
)
_DELETED = re.compile(
    r"^(pesan ini (telah )?dihapus|this message was deleted|you deleted this message|"
    r"anda menghapus pesan ini)\.?$",
    re.IGNORECASE,
)
_SYSTEM = re.compile(
    r"dienkripsi|end-to-end|bergabung menggunakan|joined using|menambahkan|added|"
    r"keluar$|left$|membuat grup|created group|mengubah|changed (the )?(subject|this group)|"
    r"security code|kode keamanan",
    re.IGNORECASE,
)


@dataclass(slots=True)
class _Message:
    line: int
    date: str
    time: str
    sender: str | None
    text: str


@register("whatsapp_export")
class WhatsAppExportSource:
    """Collect the messages of one exported chat (.txt file or URL)."""

    name = "whatsapp_export"

    def collect(self, config: SourceConfig, fetcher: HttpFetcher) -> CollectResult:
        options = check_options(config, OPTIONS)
        where = f"sources.{config.name}.options"
        order = options.get("date_order", "auto")
        if order not in ("auto", "dmy", "mdy"):
            raise ConfigError("must be 'auto', 'dmy' or 'mdy'", field=f"{where}.date_order")
        try:
            tz = ZoneInfo(options.get("timezone") or "Asia/Jakarta")
        except Exception as exc:  # ZoneInfoNotFoundError, ValueError
            raise ConfigError(
                f"unknown time zone {options.get('timezone')!r}", field=f"{where}.timezone"
            ) from exc
        pseudonymise = Pseudonymiser.from_options(
            options.get("author_key"), options.get("public_handles") or ()
        )
        loaded = load_document(config, fetcher)
        if isinstance(loaded, CollectResult):
            return loaded
        return parse_chat(
            loaded.content,
            source=config.name,
            pseudonymise=pseudonymise,
            timezone=tz,
            date_order=order,
            chat=options.get("chat"),
        )


def parse_chat(
    content: bytes,
    *,
    source: str,
    pseudonymise: Pseudonymiser | None = None,
    timezone: tzinfo = WIB,
    date_order: str = "auto",
    chat: str | None = None,
) -> CollectResult:
    """Items of one chat export; never raises for bad bytes. An export with no message line at all
    fails the source (``malformed``)."""
    pseudonymise = pseudonymise or Pseudonymiser.from_options(None, environ={})
    result = CollectResult(source=source)
    text = content.decode("utf-8", errors="replace").lstrip("\ufeff")
    messages = list(_messages(text, result))
    if not messages:
        if text.strip():
            result.error = "no WhatsApp message line found (expected e.g. '27/11/24 06.15 - Nama: pesan')"
        else:
            result.error = "empty document"
        result.error_reason = SkipReason.MALFORMED
        return result
    day_first = date_order == "dmy" or (date_order == "auto" and _day_first(messages))
    for message in messages:
        _add_message(result, message, day_first, timezone, pseudonymise, chat)
    return result


def _messages(text: str, result: CollectResult) -> Iterator[_Message]:
    current: _Message | None = None
    for number, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        match = _IOS.match(line) or _ANDROID.match(line)
        if match is None:
            if current is not None:
                current.text += "\n" + line
            elif line.strip():
                result.skipped.append(
                    Skipped(
                        result.source, SkipReason.MALFORMED, "text before the first message", f"line {number}"
                    )
                )
            continue
        if current is not None:
            yield current
        sender, sep, body = match.group("rest").partition(": ")
        if not sep:
            sender, body = None, match.group("rest")
        current = _Message(number, match.group("date"), match.group("time"), sender, body)
    if current is not None:
        yield current


def _day_first(messages: list[_Message]) -> bool:
    has_ampm = False
    for message in messages:
        first, second, _ = re.split(r"[/.\-]", message.date)
        if int(first) > 12:
            return True
        if int(second) > 12:
            return False
        has_ampm = has_ampm or bool(re.search(r"[AaPp]\.?\s?[Mm]", message.time))
    return not has_ampm


def _add_message(
    result: CollectResult,
    message: _Message,
    day_first: bool,
    tz: tzinfo,
    pseudonymise: Pseudonymiser,
    chat: str | None,
) -> None:
    position = f"line {message.line}"
    body = message.text.strip()
    clean = body.strip(_MARKS + " ")
    if message.sender is None or body.startswith("\u200e") and _SYSTEM.search(clean):
        result.skipped.append(
            Skipped(result.source, SkipReason.EMPTY_TEXT, f"system message: {clean[:80]}", position)
        )
        return
    if _MEDIA.match(clean):
        result.skipped.append(Skipped(result.source, SkipReason.EMPTY_TEXT, "media omitted", position))
        return
    if _DELETED.match(clean):
        result.skipped.append(Skipped(result.source, SkipReason.EMPTY_TEXT, "deleted message", position))
        return
    if not clean:
        result.skipped.append(Skipped(result.source, SkipReason.EMPTY_TEXT, "empty message", position))
        return
    published_at = _timestamp(message.date, message.time, day_first, tz)
    if published_at is None:
        result.skipped.append(
            Skipped(
                result.source,
                SkipReason.BAD_DATE,
                f"impossible date {message.date} {message.time}; item kept",
                position,
            )
        )
    raw: dict[str, Any] = {"platform": "whatsapp", "line": message.line}
    if chat:
        raw["chat"] = chat
    if pseudonymise.is_development_key:
        raw["author_key"] = "development"
    result.items.append(
        CollectedItem(
            source=result.source,
            text=clean.replace("\u200e", ""),
            author=pseudonymise(message.sender.strip(_MARKS + " ")),
            published_at=published_at,
            raw=raw,
        )
    )


def _timestamp(date_text: str, time_text: str, day_first: bool, tz: tzinfo) -> datetime | None:
    a, b, year = (int(part) for part in re.split(r"[/.\-]", date_text))
    day, month = (a, b) if day_first else (b, a)
    hour, minute, *rest = (int(part) for part in re.findall(r"\d+", time_text))
    meridiem = re.search(r"([AaPp])\.?\s?[Mm]", time_text)
    if meridiem:
        hour = hour % 12 + (12 if meridiem.group(1).upper() == "P" else 0)
    try:
        local = datetime(
            year + 2000 if year < 100 else year, month, day, hour, minute, rest[0] if rest else 0, tzinfo=tz
        )
    except ValueError:
        return None
    return local.astimezone(UTC)
