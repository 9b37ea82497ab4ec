"""Hostile records (issue 16 rows 1, 10, 11): one bad record is one counted skip, the rest lands;
binary junk and non-text values are refused; a gzip bomb is cut without expanding in memory."""

from __future__ import annotations

import gzip
import json
import os
import threading
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pantau.domain.config import HttpConfig, SourceConfig
from pantau.domain.errors import FetchError
from pantau.domain.records import CollectResult, SkipReason
from sources import HttpFetcher, collect_source
from sources.guard import RecentKeys

GOOD = [
    {"id": str(n), "text": f"Posting biasa nomor {n} tentang pemilu", "author": "warga"} for n in range(3)
]


def _collect(kind: str, path: Path, **options) -> CollectResult:
    config = SourceConfig(name="uji", kind=kind, location=str(path), options=options)
    with HttpFetcher(HttpConfig()) as fetcher:
        return collect_source(config, fetcher)


def _reasons(result: CollectResult) -> list[str]:
    return [s.reason.value for s in result.skipped if not s.kept]


def _jsonl(tmp_path: Path, bad_lines: list[str]) -> Path:
    lines = [json.dumps(GOOD[0]), *bad_lines, json.dumps(GOOD[1]), json.dumps(GOOD[2])]
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ('{"id": "x", "text": "angka", "n": ' + "7" * 5000 + "}", "too_large"),
        ("[" * 100_000 + "]" * 100_000, "too_deep"),
        ('{"id": "x", "text": ' + "[" * 100 + "]" * 100 + "}", "too_deep"),
        ('{"id": "x", "text": "rusak', "malformed"),
    ],
)
def test_one_bad_jsonl_line_is_one_typed_skip_and_the_good_lines_land(tmp_path, bad, reason):
    result = _collect("social_export", _jsonl(tmp_path, [bad]))
    assert result.error is None
    assert [i.external_id for i in result.items] == ["0", "1", "2"]
    assert _reasons(result) == [reason]
    assert result.skipped[0].position == "line 2"


def test_brackets_inside_strings_do_not_count_as_depth(tmp_path):
    text = 'kutip \\" ' + "[" * 200 + " {" * 100
    result = _collect("social_export", _jsonl(tmp_path, [json.dumps({"id": "b", "text": text})]))
    assert not _reasons(result)
    assert next(i.text for i in result.items if i.external_id == "b") == text


def test_lone_surrogate_and_nul_are_cleaned_in_social_export(tmp_path):
    bad = '{"id": "s", "text": "ada \\ud800 dan \\u0000 di sini", "author": "a\\udfffb", "lang": "id\\u0000"}'
    result = _collect("social_export", _jsonl(tmp_path, [bad]), keep_columns=["text"])
    assert result.error is None and not _reasons(result)
    item = next(i for i in result.items if i.external_id == "s")
    assert item.text == "ada \ufffd dan  di sini"
    assert item.lang == "id"
    assert item.raw["text"] == "ada \ufffd dan  di sini"
    item.text.encode("utf-8")  # storable: no lone surrogate left
    json.dumps(item.raw, ensure_ascii=False).encode("utf-8")


def test_lone_surrogate_in_x_api_is_cleaned_and_deep_lines_skipped(tmp_path):
    page = {
        "data": [
            {"id": "1", "text": "cuit \ud800 rusak", "author_id": "9"},
            {"id": "2", "text": ["bukan", "teks"]},
        ],
        "includes": {"users": [{"id": "9", "username": "nama\ud800"}]},
    }
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps(page) + "\n" + "[" * 50_000 + "\n", encoding="utf-8")
    result = _collect("x_api_v2", path)
    assert result.error is None
    assert [i.text for i in result.items] == ["cuit \ufffd rusak"]
    assert sorted(_reasons(result)) == ["malformed", "too_deep"]


@pytest.mark.parametrize("value", [["a", "b"], float("nan"), True, 12, {"t": "x"}])
def test_non_string_text_is_malformed_not_its_repr(tmp_path, value):
    path = _jsonl(tmp_path, [json.dumps({"id": "x", "text": value})])
    result = _collect("social_export", path)
    assert [i.external_id for i in result.items] == ["0", "1", "2"]
    assert _reasons(result) == ["malformed"]
    assert "not a string" in result.skipped[0].detail


def test_unterminated_csv_quote_is_a_broken_row_not_an_item(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(
        'id,text\n1,"baris baik"\n2,"kutip tak ditutup\n3,baris lain\n4,dan seterusnya\n', encoding="utf-8"
    )
    result = _collect("social_export", path)
    assert [i.text for i in result.items] == ["baris baik"]
    assert _reasons(result) == ["malformed"]
    assert result.skipped[0].position == "line 3"


def test_csv_row_with_wrong_field_count_is_skipped(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("id,text\n1,baik\n2,terlalu,banyak,kolom\n3,juga baik\n", encoding="utf-8")
    result = _collect("social_export", path)
    assert [i.text for i in result.items] == ["baik", "juga baik"]
    assert _reasons(result) == ["malformed"]


def test_random_bytes_are_binary_not_an_html_item(tmp_path):
    path = tmp_path / "page.html"
    path.write_bytes(os.urandom(1 << 20))
    result = _collect("html", path)
    assert result.items == []
    assert _reasons(result) == ["binary"]


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("social_export", "x.jsonl"),
        ("social_export", "x.csv"),
        ("crowdtangle_csv", "x.csv"),
        ("rss", "x.xml"),
        ("x_api_v2", "x.json"),
        ("whatsapp_export", "x.txt"),
    ],
)
def test_random_bytes_fail_a_whole_document_as_binary(tmp_path, kind, name):
    path = tmp_path / name
    path.write_bytes(os.urandom(200_000))
    result = _collect(kind, path)
    assert result.items == []
    assert result.error_reason == SkipReason.BINARY


def test_binary_cell_in_a_text_csv_is_skipped(tmp_path):
    junk = bytes(range(1, 32)).decode("latin-1") * 4 + "\x80\x81\x9f" * 20
    path = tmp_path / "export.csv"
    good = "".join(f"{n},baris baik nomor {n} tentang kampanye\n" for n in range(3, 203))
    path.write_text(f'id,text\n1,baik\n2,"{junk}"\n{good}', encoding="utf-8")
    result = _collect("social_export", path)
    assert len(result.items) == 201
    assert _reasons(result) == ["binary"]
    assert result.skipped[0].position == "line 3"


# --- a gzip bomb from a real local server --------------------------------------------------------

BOMB = gzip.compress(b"\0" * (300 << 20), compresslevel=9)  # 300 MB of zeros in ~300 KB
SMALL = b"<p>berita</p>\n" * 200_000  # 2.8 MB, sent as two gzip members


class _BombHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the http.server API)
        body = BOMB if self.path == "/bomb.xml" else gzip.compress(SMALL[:1000]) + gzip.compress(SMALL[1000:])
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def bomb_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BombHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_gzip_bomb_is_cut_without_expanding_whole_chunks(bomb_server):
    limit = 2 << 20
    with HttpFetcher(HttpConfig(max_bytes=limit), respect_robots=False, min_interval_seconds=0) as fetcher:
        tracemalloc.start()
        try:
            with pytest.raises(FetchError) as caught:
                fetcher.fetch(f"{bomb_server}/bomb.xml")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert caught.value.reason == "too_large"
    assert peak < 3 * limit, f"peak {peak / 2**20:.1f} MiB for a {limit / 2**20:.0f} MiB cap"


def test_gzip_body_under_the_cap_is_decoded(bomb_server):
    with HttpFetcher(HttpConfig(max_bytes=4 << 20), respect_robots=False, min_interval_seconds=0) as fetcher:
        doc = fetcher.fetch(f"{bomb_server}/small.xml")
    assert doc.content == SMALL


def test_recent_keys_forget_the_oldest_beyond_capacity():
    keys = RecentKeys(capacity=3)
    for key in ("a", "b", "c", "d"):
        keys.add([key])
    assert keys.seen_any(["b", "x"]) and keys.seen_any(["d"])
    assert not keys.seen_any(["a"])
    assert len(keys._set) == 3
