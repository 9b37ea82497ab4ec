"""Two `monitor` runs at the same time, in two processes, over overlapping sources, store exactly the
items, sightings, scores and alerts of one run over the union of their sources (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.monitor import monitor
from flows.resources import engine_for
from storage.models import Run
from tests.flows.posts import append_posts, export_source, region_config
from tests.flows.test_crash_safety import _snapshot

pytestmark = [pytest.mark.usefixtures("prefect_harness", "fresh_resources"), pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
WHEN = datetime(2024, 11, 26, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


def test_two_concurrent_runs_store_exactly_the_items_of_one(db_url, tmp_path, tmp_path_factory):
    from prefect.settings import PREFECT_API_URL

    a, b, c = (tmp_path / f"{n}.jsonl" for n in "abc")
    append_posts(a, 0, 300, WHEN)
    append_posts(b, 200, 300, WHEN)  # 200-299 also in a
    append_posts(c, 400, 300, WHEN)  # 400-499 also in b
    src = {n: export_source(f"fb-{n}", p) for n, p in zip("abc", (a, b, c), strict=True)}
    first = region_config([src["a"], src["b"]])
    second = region_config([src["b"], src["c"]])

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    env.pop("PANTAU_FAILPOINTS", None)
    children = []
    for i, config in enumerate((first, second)):
        params = tmp_path / f"params{i}.json"
        params.write_text(
            json.dumps({"database_url": db_url, "config": config, "batch_size": 50}), encoding="utf-8"
        )
        children.append(
            subprocess.Popen(
                [sys.executable, "-m", "tests.flows.child_monitor", str(params)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        )
    results = []
    for child in children:
        out, err = child.communicate(timeout=600)
        assert child.returncode == 0, err.decode(errors="replace")[-3000:]
        results.append(json.loads(out.decode().strip().splitlines()[-1]))

    reference_url = f"sqlite:///{tmp_path_factory.mktemp('one') / 'one.db'}"
    monitor(database_url=reference_url, config=region_config(list(src.values())), batch_size=50)

    both, one = _snapshot(db_url), _snapshot(reference_url)
    assert both == one
    assert len(both["items"]) == 700 and both["score_rows"] == 700
    assert sum(r["new"] for r in results) == 700  # every item counted new by exactly one run
    with Session(engine_for(db_url)) as s:
        runs = s.execute(select(Run.status, Run.started_at, Run.finished_at)).all()
    assert [r.status for r in runs] == ["completed", "completed"]
    assert max(r.started_at for r in runs) < min(r.finished_at for r in runs)  # they did overlap
