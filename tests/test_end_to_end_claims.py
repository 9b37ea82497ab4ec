"""`pantau run` then `pantau report` on the bundled demo: a hoax (25 Nov 2024, 10:00 WIB), its debunk by
Polres Sampang (13:30 WIB) and a reworded repeat the next morning give a known-hoax alert for the
repeat, a counter-narrative linked with the right actor, and a time to debunk of 3.5 hours."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest

from pantau.settings import bundled_examples_dir

EXAMPLES = bundled_examples_dir()
HOAX_URL = "https://social.example/whatsapp_group/grup_tani_camplong/wa-0031"
REPEAT_URL = "https://social.example/facebook/info_warga_pesisir/fb-0031"
DEBUNK_URL = "https://humaspolressampang.example/klarifikasi/penangkapan-pemilih-camplong-hoaks"


def _pantau(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PREFECT_HOME": str(cwd / ".prefect"), "HF_HUB_OFFLINE": "1", "COLUMNS": "160"}
    for var in ("PANTAU_CONFIG", "PANTAU_DATABASE_URL", "PREFECT_API_URL", "PREFECT_LOGGING_LEVEL"):
        env.pop(var, None)
    done = subprocess.run(
        [sys.executable, "-m", "pantau", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("e2e_claims")
    _pantau(cwd, "run")
    report = _pantau(cwd, "report", "-o", "report")
    return cwd, report.stdout


def _hand_computed_hours() -> float:
    """From the demo files themselves: the hoax post's created_at and the debunk's pubDate."""
    lines = (EXAMPLES / "social" / "posts.jsonl").read_text("utf-8").splitlines()
    posts = [json.loads(line) for line in lines if line.strip()]
    (hoax,) = [p for p in posts if p["url"] == HOAX_URL]
    feed = ElementTree.parse(EXAMPLES / "feeds" / "polres_sampang_klarifikasi.xml")
    (debunk,) = [i for i in feed.iter("item") if i.findtext("link") == DEBUNK_URL]
    start = datetime.fromisoformat(hoax["created_at"])
    end = parsedate_to_datetime(debunk.findtext("pubDate"))
    return (end - start).total_seconds() / 3600


def test_the_demo_timestamps_give_three_and_a_half_hours():
    # 2024-11-25T10:00:00+07:00 -> Mon, 25 Nov 2024 13:30:00 +0700
    assert _hand_computed_hours() == 3.5


def test_repeat_raises_a_known_hoax_alert_and_the_debunk_is_linked_to_polres(demo):
    cwd, _ = demo
    with sqlite3.connect(cwd / "pantau.db") as con:
        ids = dict(
            con.execute(
                "select url, id from items where url in (?, ?, ?)", (HOAX_URL, REPEAT_URL, DEBUNK_URL)
            )
        )
        claim_of = dict(
            con.execute("select id, claim_id from items where id in (?, ?)", (ids[HOAX_URL], ids[REPEAT_URL]))
        )
        assert claim_of[ids[HOAX_URL]] is not None and claim_of[ids[HOAX_URL]] == claim_of[ids[REPEAT_URL]]
        claim_id = claim_of[ids[HOAX_URL]]
        alerts = con.execute(
            "select item_id, claim_id, details from alerts where kind = 'known_hoax' and item_id in (?, ?)",
            (ids[HOAX_URL], ids[REPEAT_URL]),
        ).fetchall()
        assert [(a[0], a[1]) for a in alerts] == [(ids[REPEAT_URL], claim_id)]
        debunk = json.loads(alerts[0][2])["debunk"]
        assert debunk["url"] == DEBUNK_URL and debunk["actor"] == "Polres Sampang"
        links = con.execute(
            "select item_id, actor, actor_category, link_method from counter_narratives where claim_id = ?",
            (claim_id,),
        ).fetchall()
        assert (ids[DEBUNK_URL], "Polres Sampang", "polres", "auto") in links


def test_report_time_to_debunk_is_the_hand_computed_value(demo):
    cwd, stdout = demo
    assert "claims," in stdout and "wrote report/report.html" in stdout
    with (cwd / "report" / "claims.csv").open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["canonical_text"].startswith("INFO PENTING!!! Polisi")]
    (row,) = rows
    assert float(row["hours_to_first_answer"]) == _hand_computed_hours() == 3.5
    assert row["first_seen_utc"] == "2024-11-25T03:00:00+00:00"
    assert row["first_answer_utc"] == "2024-11-25T06:30:00+00:00"
    assert (row["first_answer_actor"], row["first_answer_category"]) == ("Polres Sampang", "polres")
    assert row["stage"] == "quiet_period" and row["kept_spreading"] == "1"  # the repeat came after
    page = (cwd / "report" / "report.html").read_text(encoding="utf-8")
    assert "2024-11-25 10:00 WIB" in page and "2024-11-25 13:30 WIB" in page and page.count("<svg") == 4


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _median(values: list[float]) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def test_every_report_figure_is_recomputed_from_the_claims(demo):
    """The summary line, the per-stage table and the per-actor credit, recomputed by hand (here, in
    plain Python) from the per-claim rows of claims.csv, whose lag for the Polres claim is checked
    against the demo files above."""
    cwd, stdout = demo
    claims = _csv(cwd / "report" / "claims.csv")
    answered = [c for c in claims if c["answered"] == "1"]
    lags = [float(c["hours_to_first_answer"]) for c in answered]
    kept = sum(c["kept_spreading"] == "1" for c in claims)
    summary = (
        f"{len(claims)} claims, {len(answered)} answered ({len(answered) / len(claims):.0%}), "
        f"median {_median(lags):.1f} h to the first counter-narrative, {kept} kept spreading"
    )
    assert summary in " ".join(stdout.split()), stdout
    stages = {row["stage"]: row for row in _csv(cwd / "report" / "stages.csv")}
    for stage in {c["stage"] for c in claims} | {"all"}:
        mine = [c for c in claims if stage in ("all", c["stage"])]
        done = [float(c["hours_to_first_answer"]) for c in mine if c["answered"] == "1"]
        row = stages[stage]
        assert (int(row["claims"]), int(row["answered"])) == (len(mine), len(done)), stage
        assert float(row["answered_share"]) == round(len(done) / len(mine), 3), stage
        if done:
            # claims.csv gives each lag to 0.01 h, so the recomputed median is that close
            assert abs(float(row["median_hours_to_first_answer"]) - _median(done)) <= 0.011, stage
    for row in _csv(cwd / "report" / "actors.csv"):
        name = row["actor"]
        if name == "(unattributed)":
            continue
        answering = [c for c in claims if name in [a.strip() for a in c["answering_actors"].split(";")]]
        first = [c for c in claims if c["first_answer_actor"] == name]
        assert int(row["claims_answered"]) == len(answering) and int(row["first_answers"]) == len(first), name
        assert row["basis"] == {c["first_answer_basis"] for c in first}.pop() if first else True
        if len(first) == len(answering) and first:  # every answer of theirs came first: same lags
            lag = _median([float(c["hours_to_first_answer"]) for c in first])
            assert abs(float(row["median_hours_to_answer"]) - lag) <= 0.011, name
