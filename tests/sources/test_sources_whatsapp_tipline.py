"""Tipline intake: the ``whatsapp_export`` kind (three export layouts) and ``tipline_message``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from pantau.domain.errors import ConfigError, ParseError
from pantau.domain.records import SkipReason
from sources import fetch_to_items
from sources.pseudonym import Pseudonymiser
from sources.tipline import tipline_message
from sources.whatsapp import parse_chat

KEY = {"author_key": "kunci-uji"}
PSEUDO = Pseudonymiser.from_options("kunci-uji", environ={})


def _details(result) -> list[str]:
    return [s.detail.split(":")[0] for s in result.skipped]


def test_android_indonesian(fixtures):
    result = fetch_to_items(
        "whatsapp_export",
        str(fixtures / "whatsapp" / "chat_android_id.txt"),
        options={**KEY, "chat": "grup-warga"},
    )
    assert result.error is None
    first, chain, answer, impossible = result.items
    assert first.author == PSEUDO("Budi Santoso") and first.text.startswith("Info dari grup sebelah")
    assert first.published_at == datetime(2024, 11, 26, 23, 15, tzinfo=UTC)  # 06.15 WIB
    assert chain.author == PSEUDO("+62 812-3456-7890")
    assert chain.text == (
        'Pesan berantai:\n"Yang tidak datang sebelum jam 9 tidak boleh mencoblos"\nTolong disebarkan!!'
    )
    assert answer.text == "Itu hoaks, KPU sudah klarifikasi: jadwal sampai jam 13.00"
    assert impossible.published_at is None and first.raw == {
        "platform": "whatsapp",
        "line": 3,
        "chat": "grup-warga",
    }
    assert _details(result) == [
        "system message",
        "system message",
        "media omitted",
        "deleted message",
        "impossible date 31/11/24 07.00; item kept",
    ]
    assert all(s.reason in (SkipReason.EMPTY_TEXT, SkipReason.BAD_DATE) for s in result.skipped)


def test_ios(fixtures):
    result = parse_chat((fixtures / "whatsapp" / "chat_ios.txt").read_bytes(), source="wa")
    ahmad, rina = result.items
    assert ahmad.published_at == datetime(2024, 11, 26, 23, 15, 9, tzinfo=UTC)
    assert rina.text == "Sudah dilaporkan ke Bawaslu\nbaris kedua pesan Rina"
    assert _details(result) == ["system message", "media omitted"]
    assert ahmad.raw["author_key"] == "development"


def test_android_english_us(fixtures):
    result = parse_chat(
        (fixtures / "whatsapp" / "chat_android_en.txt").read_bytes(), source="wa", timezone=UTC
    )
    john, mary, midnight = result.items
    assert john.published_at == datetime(2024, 11, 27, 6, 15, tzinfo=UTC)
    assert mary.published_at == datetime(2024, 11, 27, 13, 30, tzinfo=UTC)  # narrow NBSP before PM
    assert midnight.published_at == datetime(2024, 11, 27, 0, 5, tzinfo=UTC)
    assert mary.text == "No, that is false: it stays at the school"
    assert _details(result) == ["system message", "media omitted"]


def test_date_order_option_and_errors(tmp_path):
    path = tmp_path / "chat.txt"
    path.write_text("05/06/24 10.00 - Ani: halo\n", encoding="utf-8")
    dmy = fetch_to_items("whatsapp_export", str(path), options={"timezone": "UTC"})
    mdy = fetch_to_items("whatsapp_export", str(path), options={"timezone": "UTC", "date_order": "mdy"})
    assert dmy.items[0].published_at.month == 6 and mdy.items[0].published_at.month == 5
    with pytest.raises(ConfigError):
        fetch_to_items("whatsapp_export", str(path), options={"date_order": "ymd"})
    path.write_text("ini bukan ekspor WhatsApp\n", encoding="utf-8")
    assert fetch_to_items("whatsapp_export", str(path)).error_reason == SkipReason.MALFORMED


def test_tipline_message_valid():
    received = datetime(2024, 11, 27, 6, 15, tzinfo=timezone(timedelta(hours=7)))
    item = tipline_message(
        {
            "text": " Benarkah TPS pindah? ",
            "sender": "+6281234567890",
            "forwarded_from": "Grup RT 03",
            "url": "https://example.org/x",
            "attachments": ["foto.jpg", {"type": "image", "url": "https://example.org/f.jpg"}],
        },
        received_at=received,
        pseudonymise=PSEUDO,
    )
    assert item.text == "Benarkah TPS pindah?" and item.author == PSEUDO("+6281234567890")
    assert item.published_at == datetime(2024, 11, 26, 23, 15, tzinfo=UTC)
    assert item.raw["forwarded_from"] == PSEUDO("Grup RT 03") and item.source == "tipline"  # not in clear
    assert item.raw["attachments"] == [
        {"type": None, "name": "foto.jpg"},
        {"type": "image", "name": "https://example.org/f.jpg"},
    ]


NOW = datetime(2024, 11, 27, tzinfo=UTC)


@pytest.mark.parametrize(
    ("payload", "reason", "words"),
    [
        ("teks", "malformed", "JSON object"),
        ({"sender": "a"}, "missing_field", "'text'"),
        ({"text": "  ", "sender": "a"}, "empty_text", "empty"),
        ({"text": "x"}, "missing_field", "'sender'"),
        ({"text": 5, "sender": "a"}, "malformed", "string"),
        ({"text": "x", "sender": "a", "pesan": 1}, "malformed", "unknown field"),
        ({"text": "x", "sender": "a", "url": "javascript:alert(1)"}, "malformed", "http"),
        ({"text": "x", "sender": "a", "attachments": "foto"}, "malformed", "list"),
        ({"text": "x", "sender": "a", "attachments": [1]}, "malformed", "attachment 1"),
        ({"text": "x" * 20_001, "sender": "a"}, "too_large", "longer"),
        ({"text": "x", "sender": "   "}, "missing_field", "empty"),
    ],
)
def test_tipline_message_rejects(payload, reason, words):
    with pytest.raises(ParseError) as info:
        tipline_message(payload, received_at=NOW, pseudonymise=PSEUDO)
    assert info.value.reason == reason and words in str(info.value)


def test_tipline_message_needs_an_aware_time():
    with pytest.raises(ParseError) as info:
        tipline_message({"text": "x", "sender": "a"}, received_at=datetime(2024, 11, 27))
    assert info.value.reason == "bad_date"
