"""Crash safety: a `monitor` run SIGKILLed mid-fetch, mid-write or mid-classification, then rerun,
leaves exactly the database one clean run leaves (same items, sightings, scores and alerts; no
duplicates, no gaps, no half-written score), on SQLite and PostgreSQL.

The killed run is a real separate process; crash points inside write transactions come from
flows/failpoints.py, the mid-fetch kill from a local HTTP source that holds its answer until the test
has killed the process."""

from __future__ import annotations

import http.server
import json
import os
import signal
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flows.failpoints import ENV
from flows.monitor import monitor
from flows.resources import engine_for
from pantau.domain.signals import SIGNALS
from storage.models import Alert, Item, ItemSighting, Run, Score, Source
from tests.flows.posts import append_posts, export_source, post, region_config

pytestmark = [pytest.mark.usefixtures("prefect_harness", "fresh_resources"), pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
WHEN = datetime(2024, 11, 25, 20, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
# A loopback address of its own: its per-host fetch limit is not shared with other tests.
HOST = "127.0.0.3"


class _ExportServer(http.server.ThreadingHTTPServer):
    """Serves a JSONL export; with ``hold`` set, the next request waits until ``release`` is set."""

    daemon_threads = True

    def __init__(self, body: bytes):
        super().__init__((HOST, 0), _Handler)
        self.body = body
        self.hold = False
        self.arrived = threading.Event()
        self.release = threading.Event()


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        server: _ExportServer = self.server  # type: ignore[assignment]
        if server.hold:
            server.hold = False
            server.arrived.set()
            server.release.wait(60)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Content-Length", str(len(server.body)))
        self.end_headers()
        self.wfile.write(server.body)

    def log_message(self, *args):
        pass


@pytest.fixture()
def world(tmp_path):
    """Two local exports that share 15 posts, one export over HTTP that shares 10 with the first."""
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    append_posts(a, 0, 60, WHEN)
    append_posts(b, 45, 60, WHEN)  # posts 45-59 in both
    shared = [*range(10), *range(200, 230)]
    body = "".join(json.dumps(post(n, WHEN), ensure_ascii=False) + "\n" for n in shared)
    server = _ExportServer(body.encode("utf-8"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    web = export_source("web-export", Path("x"))
    web["location"] = f"http://{HOST}:{server.server_address[1]}/export.jsonl"
    config = region_config([export_source("fb-a", a), export_source("fb-b", b), web])
    config["http"] = {"retries": 0, "timeout_seconds": 30}
    # a process killed mid-fetch keeps its host slot until Prefect's server revokes the expired lease
    # (a minute; the test harness runs no such service): the rerun must not wait for it here
    # (tests/flows/test_host_limits.py covers the limit itself)
    config["schedule"] = {"host_concurrency": 16}
    yield server, config
    server.release.set()
    server.shutdown()


def _params(url: str, config: dict) -> dict:
    return {"database_url": url, "config": config, "model_dir": None, "batch_size": 25}


def _snapshot(url: str) -> dict:
    """Everything a run leaves, by natural keys (ids differ between databases)."""
    with Session(engine_for(url)) as s:
        items = dict(s.execute(select(Item.id, Item.external_id)).all())
        sources = dict(s.execute(select(Source.id, Source.name)).all())
        scores = s.execute(select(Score.item_id, Score.model_version, Score.scores, Score.flags)).all()
        sightings = s.execute(select(ItemSighting.item_id, ItemSighting.source_id)).all()
        alerts = s.execute(
            select(Alert.kind, Alert.signal, Alert.item_id, Alert.dedupe_key).where(
                Alert.kind.in_(("flagged_item", "known_hoax"))
            )
        ).all()
        return {
            "items": sorted(items.values()),
            "scores": sorted(
                (items[i], v, json.dumps(sc, sort_keys=True), tuple(sorted(f))) for i, v, sc, f in scores
            ),
            "sightings": sorted((items[i], sources[src]) for i, src in sightings),
            "alerts": sorted((k, sig or "", items.get(i, "")) for k, sig, i, _ in alerts),
            "score_rows": len(scores),
            "tags": sorted(s.execute(select(Item.external_id, Item.stage, Item.lang)).all()),
        }


def _kill_child(url: str, config: dict, tmp_path: Path, *, failpoint: str | None, server=None) -> int:
    from prefect.settings import PREFECT_API_URL

    params = tmp_path / "params.json"
    params.write_text(json.dumps(_params(url, config)), encoding="utf-8")
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    env.pop(ENV, None)
    if failpoint:
        env[ENV] = failpoint
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.flows.child_monitor", str(params)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    if server is not None:  # mid-fetch: kill while the HTTP source holds its answer
        assert server.arrived.wait(120), "the run never fetched the HTTP source"
        child.send_signal(signal.SIGKILL)
        server.release.set()
    out, err = child.communicate(timeout=300)
    assert child.returncode == -signal.SIGKILL, err.decode(errors="replace")[-3000:]
    return child.returncode


@pytest.fixture()
def reference(tmp_path_factory, world):
    """The state one clean run leaves on a fresh SQLite database."""
    _, config = world
    url = f"sqlite:///{tmp_path_factory.mktemp('ref') / 'ref.db'}"
    monitor(**_params(url, config))
    return _snapshot(url)


CRASH_POINTS = [
    pytest.param("fetch", id="mid-fetch"),
    pytest.param("store.before_commit:2", id="mid-write-of-items"),
    pytest.param("store.after_commit:1", id="between-sources"),
    pytest.param("classify.before_commit:2", id="mid-write-of-scores"),
    pytest.param("classify.after_commit:3", id="between-batches"),
]


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_killed_run_then_rerun_equals_one_clean_run(point, world, reference, db_url, tmp_path):
    server, config = world
    if point == "fetch":
        server.hold = True
        _kill_child(db_url, config, tmp_path, failpoint=None, server=server)
    else:
        _kill_child(db_url, config, tmp_path, failpoint=point)

    with Session(engine_for(db_url)) as s:
        assert s.scalars(select(Run.status)).all() == ["running"]  # what a kill leaves behind
    counts = monitor(**_params(db_url, config))
    after = _snapshot(db_url)

    assert after == reference
    assert after["score_rows"] == len(after["items"]) == 135  # 60 + 45 new + 30 new over HTTP
    assert all(set(json.loads(sc)) >= set(SIGNALS) for _, _, sc, _ in after["scores"])
    with Session(engine_for(db_url)) as s:
        runs = dict(s.execute(select(Run.id, Run.status)).all())
        assert sorted(runs.values()) == ["completed", "crashed"] and runs[counts["run_id"]] == "completed"
        assert s.scalar(select(func.count()).select_from(Alert).where(Alert.kind == "flagged_item")) > 0
