"""Issue 16 row 10: a streaming source (social_export) is stored in batches as it is read, so a run's
memory does not grow with the export (benchmarks/bench_memory.py measures it); counts match the
whole-result path, bad lines are counted skips, and a failure in the middle keeps what was stored."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flows import steps
from flows.resources import engine_for
from pantau.domain.config import SourceConfig
from pantau.domain.errors import ParseError
from sources.registry import get_source_kind
from storage.models import Item, Source
from storage.repository import sync_sources

pytestmark = pytest.mark.usefixtures("fresh_resources")


def _export(path, n: int) -> None:
    lines = [
        json.dumps(
            {
                "id": f"p{i}",
                "text": f"Kabar nomor {i} dari warga Sampang soal TPS {i}.",
                "url": f"https://social.example/p/{i}",
            }
        )
        for i in range(n)
    ]
    lines[3] = "[" * 100_000  # too deep: one counted skip, the rest lands
    lines[7] = '{"id": "x", "text": ["bukan", "teks"]}'  # not text
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _setup(db_url, path):
    source = {"name": "warga", "kind": "social_export", "location": str(path)}
    with Session(engine_for(db_url)) as session, session.begin():
        source_id = sync_sources(session, [SourceConfig.model_validate(source)])["warga"]
    return source, source_id


def test_a_streamed_export_is_stored_in_batches(db_url, tmp_path, monkeypatch):
    monkeypatch.setattr(steps, "STREAM_BATCH", 4)
    path = tmp_path / "posts.jsonl"
    _export(path, 19)
    source, source_id = _setup(db_url, path)
    assert steps.streams(source)
    counts = steps.stream_store(source, {}, db_url, source_id, None)
    assert counts["new"] == 17 and counts["fetched"] == 19 and counts["error"] is None
    assert counts["skipped"] == {"too_deep": 1, "malformed": 1}
    again = steps.stream_store(source, {}, db_url, source_id, None)
    assert again["new"] == 0 and again["duplicate"] == 17
    with Session(engine_for(db_url)) as s:
        assert s.scalar(select(func.count()).select_from(Item)) == 17
        assert s.get(Source, source_id).last_item_count == 17


def test_a_failure_in_the_middle_keeps_the_stored_batches(db_url, tmp_path, monkeypatch):
    monkeypatch.setattr(steps, "STREAM_BATCH", 4)
    path = tmp_path / "posts.jsonl"
    _export(path, 19)
    source, source_id = _setup(db_url, path)
    kind = type(get_source_kind("social_export"))
    real = kind.stream

    def breaks_after_ten(self, config, fetcher):
        for n, record in enumerate(real(self, config, fetcher)):
            if n == 10:
                raise ParseError("the export was cut off", location=config.location, reason="malformed")
            yield record

    monkeypatch.setattr(kind, "stream", breaks_after_ten)
    counts = steps.stream_store(source, {}, db_url, source_id, None)
    assert counts["error"] and "cut off" in counts["error"]
    with Session(engine_for(db_url)) as s:
        stored = s.scalar(select(func.count()).select_from(Item))
        assert stored == counts["new"] == 8  # records 0-9: 8 items (two are skips), all kept
        assert s.get(Source, source_id).last_error
