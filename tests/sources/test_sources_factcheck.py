"""Fact-check sources: verdict labels, the ``factcheck_feed`` kind, and the ``yudistira`` API client
(against the local server of conftest.py only: the real API's shape is unverified)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pantau.domain.config import HttpConfig, SourceConfig
from pantau.domain.errors import ConfigError
from pantau.domain.records import SkipReason
from sources import HttpFetcher, collect_source
from sources.factcheck import VERDICTS, verdict_of
from sources.yudistira import KEY_ENV, parse_yudistira


@pytest.mark.parametrize(
    ("title", "verdict", "label"),
    [
        ("[SALAH] TPS pindah", "false", "SALAH"),
        ("[HOAKS] Pesan berantai", "false", "HOAKS"),
        ("[DISINFORMASI] Video lama", "false", "DISINFORMASI"),
        ("[MISLEADING] Foto", "misleading", "MISLEADING"),
        ("[KLARIFIKASI] Jadwal", "clarification", "KLARIFIKASI"),
        ("[ Hoax ] x", "false", "Hoax"),
        ("(Menyesatkan) Klaim", "misleading", "Menyesatkan"),
        ("[BENAR] Debat diundur", "true", "BENAR"),
        ("Cek Fakta: Tidak Benar Bawaslu Membatalkan", "false", "Tidak Benar"),
        ("Cek Fakta: Hoaks, Video Kerusuhan", "false", "Hoaks"),
        ("Keliru, Klaim Amplop", "false", "Keliru"),
        ("Cek Fakta: Benar, Debat Diundur", "true", "Benar"),
        ("[CEK FAKTA] Sebagian Benar: klaim x", "misleading", "Sebagian Benar"),
        ("Cek Fakta: Video Kerusuhan di Sampang", "unknown", None),
        ("Polisi, warga berjaga", "unknown", None),
        ("[VIDEO] Debat", "unknown", None),
        ("", "unknown", None),
        (None, "unknown", None),
    ],
)
def test_verdict_of(title, verdict, label):
    assert verdict_of(title) == (verdict, label)
    assert verdict in VERDICTS


def test_factcheck_feed_marks_counter_narratives(fixtures):
    config = SourceConfig(
        name="cekfakta",
        kind="factcheck_feed",
        actor="cekfakta-contoh",
        location=str(fixtures / "factcheck" / "factcheck_feed.xml"),
    )
    with HttpFetcher() as fetcher:
        result = collect_source(config, fetcher)
    assert result.error is None and len(result.items) == 9
    assert [i.raw["verdict"] for i in result.items] == [
        "false",
        "false",
        "false",
        "misleading",
        "clarification",
        "false",
        "false",
        "true",
        "unknown",
    ]
    assert all(
        i.raw["counter_narrative_producer"] is True and i.raw["actor"] == "cekfakta-contoh"
        for i in result.items
    )
    assert result.items[0].raw["feed_title"] == "Cek Fakta Contoh"  # the rss fields are still there
    with pytest.raises(ConfigError), HttpFetcher() as fetcher:
        collect_source(config.model_copy(update={"options": {"verdicts": True}}), fetcher)


def test_parse_yudistira(fixtures):
    result = parse_yudistira((fixtures / "factcheck" / "yudistira.json").read_bytes(), source="y")
    first, second, third = result.items
    assert first.title.startswith("[SALAH]") and first.raw["verdict"] == "false"
    assert first.text == (
        "Beredar foto surat suara yang sudah tercoblos.\n\nFoto tersebut adalah surat "
        "suara contoh untuk sosialisasi.\n\nKonten yang menyesatkan."
    )
    assert first.published_at == datetime(2024, 11, 25, 3, tzinfo=UTC)  # naive = WIB
    assert first.raw["references"][0] == "https://kpu.example.org/rilis/1"
    assert first.external_id == "yudistira:9001" and first.raw["actor"] == "mafindo"
    assert second.raw["references"] == ["https://kpu.example.org/jadwal"]
    assert second.raw["verdict"] == "clarification" and third.raw["verdict"] == "unknown"
    assert sorted(s.reason.value for s in result.skipped) == [
        "bad_date",
        "duplicate_in_batch",
        "empty_text",
        "malformed",
    ]


@pytest.mark.parametrize("content", [b"", b"{", b'{"error": "x"}', b"42", b"\xff\xfe"])
def test_parse_yudistira_bad_answers(content):
    result = parse_yudistira(content, source="y")
    assert result.items == [] and result.error_reason == SkipReason.MALFORMED


def test_yudistira_without_key_is_a_clear_error(monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    with HttpFetcher() as fetcher:
        result = collect_source(SourceConfig(name="y", kind="yudistira", location=""), fetcher)
    assert result.error_reason == SkipReason.FETCH_ERROR and KEY_ENV in result.error


def test_yudistira_against_local_server(http_server, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "kunci-uji")
    with HttpFetcher(HttpConfig(timeout_seconds=5), min_interval_seconds=0) as fetcher:
        result = collect_source(
            SourceConfig(
                name="y", kind="yudistira", location=f"{http_server}/yudistira", actor="mafindo-contoh"
            ),
            fetcher,
        )
        assert len(result.items) == 3 and result.items[0].raw["actor"] == "mafindo-contoh"
        by_query = collect_source(
            SourceConfig(
                name="y",
                kind="yudistira",
                location="",
                options={"base_url": f"{http_server}/yudistira", "key_query_param": "key"},
            ),
            fetcher,
        )
        assert len(by_query.items) == 3
        wrong = collect_source(
            SourceConfig(
                name="y",
                kind="yudistira",
                options={"api_key": "salah"},
                location=f"{http_server}/yudistira?key=salah",
            ),
            fetcher,
        )
    assert wrong.error_reason == SkipReason.FETCH_ERROR and "401" in wrong.error
