"""NUL bytes and lone surrogates (issue 16 row 1) are cleaned where items are built, so SQLite and
PostgreSQL store the same text and neither refuses the batch."""

from __future__ import annotations

from pathlib import Path

from pantau.domain.config import HttpConfig, SourceConfig
from pantau.domain.records import CollectedItem
from sources import HttpFetcher, collect_source
from storage.models import Item
from storage.repository import upsert_items


def _collect(path: Path) -> list[CollectedItem]:
    config = SourceConfig(
        name="social", kind="social_export", location=str(path), options={"keep_columns": ["note"]}
    )
    with HttpFetcher(HttpConfig()) as fetcher:
        result = collect_source(config, fetcher)
    assert result.error is None
    return result.items


def test_nul_in_a_csv_row_is_removed_and_the_source_lands(session, sources, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(
        b"id,text,author,note\n"
        b"1,baris pertama,warga,biasa\n"
        b"2,ada\x00nul di teks,wa\x00rga,catatan\x00nul\n"
        b"3,baris ketiga,warga,biasa\n"
    )
    items = _collect(path)
    result = upsert_items(session, sources["social"], None, items)
    session.commit()
    assert len(result.new_ids) == 3
    stored = session.get(Item, result.new_ids[1])
    assert stored.text == "adanul di teks"
    assert stored.raw["note"] == "catatannul"
    assert stored.author and "\x00" not in stored.author


def test_lone_surrogates_from_json_escapes_are_replaced(session, sources, tmp_path):
    path = tmp_path / "export.jsonl"
    path.write_text(
        '{"id": "1", "text": "baik"}\n'
        '{"id": "2", "text": "pecah \\ud800 di sini", "note": "\\udc00\\u0000"}\n',
        encoding="utf-8",
    )
    items = _collect(path)
    result = upsert_items(session, sources["social"], None, items)
    session.commit()
    stored = session.get(Item, result.new_ids[1])
    assert stored.text == "pecah \ufffd di sini"
    assert stored.raw["note"] == "\ufffd"


def test_items_built_in_code_are_cleaned_in_every_field(session, sources):
    item = CollectedItem(
        source="kabar-a",
        text="isi\x00 \ud83d",
        title="judul \udfff",
        url="https://x.example/\x00a",
        external_id="id\x00",
        author="pen\ud800ulis",
        lang="i\x00d",
        raw={"k\x00": ["v\ud800", {"deep": "\x00"}]},
    )
    result = upsert_items(session, sources["kabar-a"], None, [item])
    session.commit()
    stored = session.get(Item, result.new_ids[0])
    assert (stored.text, stored.title, stored.author, stored.lang) == (
        "isi \ufffd",
        "judul \ufffd",
        "pen\ufffdulis",
        "id",
    )
    assert stored.external_id == "id"
    assert stored.raw == {"k": ["v\ufffd", {"deep": ""}]}
