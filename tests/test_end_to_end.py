"""`pantau run` on the bundled demo, twice, as a new user would run it (a real Prefect temporary
server, a real SQLite file): clean output, no duplicates, and alerts a reviewer agrees with."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from pantau.domain.signals import HARM_SIGNALS
from pantau.settings import bundled_examples_dir


def _run(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PREFECT_HOME": str(cwd / ".prefect"), "HF_HUB_OFFLINE": "1", "COLUMNS": "160"}
    for var in ("PANTAU_CONFIG", "PANTAU_DATABASE_URL", "PREFECT_API_URL", "PREFECT_LOGGING_LEVEL"):
        env.pop(var, None)
    return subprocess.run(
        [sys.executable, "-m", "pantau", "run"], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("e2e")
    first = _run(cwd)
    second = _run(cwd)
    return cwd, first, second


def _count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as con:
        return con.execute(f"select count(*) from {table}").fetchone()[0]


def test_two_runs_are_clean_and_the_second_adds_nothing(demo_runs):
    cwd, first, second = demo_runs
    for done in (first, second):
        output = done.stdout + done.stderr
        assert done.returncode == 0, output
        for bad in ("Traceback", "database is locked", "Error", "telemetry"):
            assert bad not in output, output
    assert "Next:" in first.stdout and "pantau alerts --status open" in first.stdout
    assert "Most urgent open alerts" in first.stdout
    db = cwd / "pantau.db"
    items = _count(db, "items")
    assert items > 60
    assert "new 0," in second.stdout and "new alerts 0." in second.stdout
    assert _count(db, "items") == items
    assert _count(db, "runs") == 2


def test_alerts_agree_with_the_demo_reviewer(demo_runs):
    """Item level: the set of harm signals alerted equals the reviewer's expected harm flags."""
    cwd, _, _ = demo_runs
    labels = [
        json.loads(line)
        for line in (bundled_examples_dir() / "demo_labels.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    with sqlite3.connect(cwd / "pantau.db") as con:
        url_to_id = dict(con.execute("select url, id from items where url is not null"))
        alerted: dict[int, set[str]] = {}
        for item_id, signal in con.execute("select item_id, signal from alerts where kind = 'flagged_item'"):
            alerted.setdefault(item_id, set()).add(signal)
    agree = tp = fp = fn = 0
    seen = 0
    for label in labels:
        item_id = url_to_id.get(label["ref"].rstrip("/")) or url_to_id.get(label["ref"])
        if item_id is None:
            continue  # an exact repost collapsed into an earlier item
        seen += 1
        expected = set(label["expected_flags"]) & set(HARM_SIGNALS)
        got = alerted.get(item_id, set())
        agree += expected == got
        tp += len(expected & got)
        fp += len(got - expected)
        fn += len(expected - got)
    assert seen >= 0.9 * len(labels)
    precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    print(f"demo agreement: {agree}/{seen} items exact, precision {precision:.2f}, recall {recall:.2f}")
    # Measured when written: 99/117 exact, precision 0.82, recall 0.72; with the Camplong arrest hoax,
    # its repeat and the Polres clarification feed added: 103/121, 0.84, 0.71; with the style-block hoax
    # model (threshold 0.45) and the bundled config's hoax alert threshold 0.6: 103/121, 0.80, 0.78
    # (the demo texts were written for the project and the rules were checked against them, so this
    # pins behaviour; it is not a held-out measure: see classifiers/models/MODEL_CARD.md for those).
    assert agree / seen >= 0.8
    assert precision >= 0.75 and recall >= 0.65
