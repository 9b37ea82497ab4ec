"""`pantau serve` against a real `prefect server start`: one schedule per election stage on the
deployment (RRULEs bounded by the stages' dates, in the region's time zone), upcoming runs created
by Prefect's scheduler, the schedules updated when the config file changes, and a clean stop on
SIGTERM or SIGINT, idle or in the middle of a run (the run is cancelled, nothing is left running)."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import threading
import time
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml
from sqlalchemy import create_engine, text

from pantau.domain.config import PantauConfig
from pantau.domain.schedule import stage_schedules
from tests.flows.posts import append_posts, export_source, region_config
from tests.flows.prefect_server import prefect_server

pytestmark = pytest.mark.slow
WIB = ZoneInfo("Asia/Jakarta")
STOP_LIMIT = 10.0  # seconds: what issue 17 allows a stop


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory):
    """`prefect server start` (SQLite in a temporary PREFECT_HOME), with its scheduler service."""
    home = tmp_path_factory.mktemp("prefect-home")
    env = {"PREFECT_HOME": str(home), "DO_NOT_TRACK": "1"}
    with prefect_server(env, drop=("PREFECT_API_DATABASE_CONNECTION_URL",)) as api:
        yield api, home


class _Serve:
    """`pantau serve` as a real process, its stdout read line by line."""

    def __init__(self, config: Path, db: str, api: str, home: Path):
        env = {**os.environ, "PREFECT_API_URL": api, "PREFECT_HOME": str(home), "COLUMNS": "200"}
        self.proc = subprocess.Popen(
            [shutil.which("pantau"), "serve", "--config", str(config), "--db", db],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, fragment: str, timeout: float = 240) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            self.seen.append(line)
            if fragment in line:
                return line
        self.proc.kill()
        raise AssertionError(
            f"no line with {fragment!r}; stdout: {self.seen}; stderr: {self.proc.stderr.read()[-3000:]}"
        )

    def stop(self, signum: int) -> tuple[int, float, str]:
        sent = time.monotonic()
        self.proc.send_signal(signum)
        try:
            code = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        elapsed = time.monotonic() - sent
        time.sleep(0.2)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return code, elapsed, self.proc.stderr.read()


def _ahead(stages: list[dict], first: date) -> list[dict]:
    """The bundled calendar moved so that its first stage begins on ``first``: the deployment's
    upcoming runs then come from the pre-election schedule."""
    shift = first - date.fromisoformat(min(s["start"] for s in stages))
    return [
        {
            **s,
            "start": str(date.fromisoformat(s["start"]) + shift),
            "end": str(date.fromisoformat(s["end"]) + shift),
        }
        for s in stages
    ]


def _deployment(api: str) -> dict:
    response = httpx.get(f"{api}/deployments/name/monitor/pantau-sampang", timeout=10)
    response.raise_for_status()
    return response.json()


def _scheduled_runs(api: str, deployment_id: str) -> list[dict]:
    body = {
        "deployments": {"id": {"any_": [deployment_id]}},
        "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}},
        "sort": "EXPECTED_START_TIME_ASC",
        "limit": 50,
    }
    response = httpx.post(f"{api}/flow_runs/filter", json=body, timeout=10)
    response.raise_for_status()
    return [r for r in response.json() if r["auto_scheduled"]]


def test_stage_schedules_on_the_deployment_follow_the_config_and_sigterm_stops_it(prefect_api, tmp_path):
    api, home = prefect_api
    posts = tmp_path / "posts.jsonl"
    append_posts(posts, 0, 5, datetime.now(WIB))
    today = datetime.now(WIB).date()
    config = region_config([export_source("fb", posts)])
    config["stages"] = _ahead(config["stages"], today + timedelta(days=3))
    campaign = next(s for s in config["stages"] if s["name"] == "campaign")
    config["schedule"]["stage_intervals"]["pre_election"] = "6h"
    config["schedule"]["stage_intervals"]["campaign"] = "1h"
    config_file = tmp_path / "pantau.yaml"
    config_file.write_text(yaml.safe_dump(config), encoding="utf-8")
    serve = _Serve(config_file, f"sqlite:///{tmp_path / 'serve.db'}", api, home)
    registered = serve.wait_for("registered")
    stages = len(config["stages"])
    assert f"({stages + 2} schedules, one schedule per stage)" in registered
    serve.wait_for("run completed")
    next_line = serve.wait_for("next run")
    assert "Stage in force: pre_election (every 6h)" in next_line

    deployment = _deployment(api)
    schedules = {s["slug"]: s for s in deployment["schedules"]}
    names = ["pre_election", *(s["name"] for s in config["stages"]), "post_election"]
    assert set(schedules) == {f"stage-{name.replace('_', '-')}" for name in names}
    assert all(s["active"] and s["schedule"]["timezone"] == "Asia/Jakarta" for s in schedules.values())
    following = min(
        (date.fromisoformat(s["start"]) for s in config["stages"] if s["start"] > campaign["end"]),
        default=date.fromisoformat(campaign["end"]) + timedelta(days=1),
    )
    assert schedules["stage-campaign"]["schedule"]["rrule"] == (
        f"DTSTART:{date.fromisoformat(campaign['start']):%Y%m%d}T000000\n"
        f"RRULE:FREQ=HOURLY;INTERVAL=1;UNTIL={following - timedelta(days=1):%Y%m%d}T235959"
    )
    assert "UNTIL" not in schedules["stage-post-election"]["schedule"]["rrule"]

    # Prefect's scheduler made the upcoming runs: 6-hourly, aligned on the campaign's first midnight
    upcoming = _scheduled_runs(api, deployment["id"])
    assert len(upcoming) >= 3
    first_stage = datetime.combine(today + timedelta(days=3), datetime.min.time(), WIB)
    region = PantauConfig.model_validate(config)
    expected = [s for s in stage_schedules(region, datetime.now(UTC)) if s.stage == "pre_election"][0]
    for run in upcoming[:3]:
        at = datetime.fromisoformat(run["expected_start_time"])
        assert at > datetime.now(UTC) - timedelta(minutes=1)
        offset = (first_stage - at).total_seconds()
        if at < first_stage:
            assert offset % (6 * 3600) == 0, at
            assert at >= expected.start
    assert next_line.endswith(
        datetime.fromisoformat(upcoming[0]["expected_start_time"])
        .astimezone(WIB)
        .strftime("%Y-%m-%d %H:%M WIB")
    )

    # an edited interval reaches the deployment without a restart
    config["schedule"]["stage_intervals"]["campaign"] = "2h"
    config_file.write_text(yaml.safe_dump(config), encoding="utf-8")
    serve.wait_for("Schedule updated from the config")
    rrule = {s["slug"]: s for s in _deployment(api)["schedules"]}["stage-campaign"]["schedule"]["rrule"]
    assert "FREQ=HOURLY;INTERVAL=2;" in rrule

    code, elapsed, stderr = serve.stop(signal.SIGTERM)
    assert code == 0, stderr[-3000:]
    assert elapsed < STOP_LIMIT
    assert "Traceback" not in stderr
    assert "Stopped by SIGTERM." in serve.seen


class _Hanging(BaseHTTPRequestHandler):
    """Answers nothing for a minute: a source whose fetch is still running when the stop comes."""

    def do_GET(self):  # noqa: N802 - http.server's name
        time.sleep(60)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_in_the_middle_of_a_run_cancels_it_cleanly(prefect_api, tmp_path, signum):
    api, home = prefect_api
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Hanging)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        posts = tmp_path / "posts.jsonl"
        append_posts(posts, 0, 5, datetime.now(WIB))
        hanging = {
            "name": "lambat",
            "kind": "rss",
            "location": f"http://127.0.0.1:{httpd.server_address[1]}/feed.xml",
        }
        config = region_config([export_source("fb", posts), hanging])
        config["http"] = {"timeout_seconds": 120, "retries": 0}
        config_file = tmp_path / "pantau.yaml"
        config_file.write_text(yaml.safe_dump(config), encoding="utf-8")
        db = f"sqlite:///{tmp_path / 'serve.db'}"
        serve = _Serve(config_file, db, api, home)
        serve.wait_for("run started")
        engine = create_engine(db)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # the flow is inside its run: the Run record exists
            try:
                with engine.connect() as conn:
                    if conn.execute(text("SELECT count(*) FROM runs WHERE status = 'running'")).scalar():
                        break
            except Exception:  # noqa: BLE001 - the database is being created by the run
                pass
            time.sleep(0.5)
        else:
            raise AssertionError(f"the run never started: {serve.seen}")
        time.sleep(2)
        code, elapsed, stderr = serve.stop(signum)
        assert code == 0, stderr[-3000:]
        assert elapsed < STOP_LIMIT, serve.seen
        assert "Traceback" not in stderr, stderr[-3000:]
        assert f"Stopped by {signal.Signals(signum).name}." in serve.seen
        with engine.connect() as conn:
            runs = conn.execute(text("SELECT status, error FROM runs")).all()
        engine.dispose()
        assert runs and all(status in ("failed", "crashed") for status, _ in runs), runs
    finally:
        httpd.shutdown()


def test_without_prefect_api_url_serve_starts_its_own_server_and_runs_on_it(tmp_path):
    """No PREFECT_API_URL: `pantau serve` starts `prefect server start` and both the service and the
    run's process use it (the service once used a temporary in-process server instead, and the run
    lost its deployment concurrency slot and ended cancelled)."""
    posts = tmp_path / "posts.jsonl"
    append_posts(posts, 0, 5, datetime.now(WIB))
    config = tmp_path / "pantau.yaml"
    config.write_text(yaml.safe_dump(region_config([export_source("fb", posts)])), encoding="utf-8")
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "home"),
        "PANTAU_PREFECT_UI": "false",
        "COLUMNS": "200",
    }
    env.pop("PREFECT_API_URL", None)
    env.pop("PREFECT_API_DATABASE_CONNECTION_URL", None)
    result = subprocess.run(
        [shutil.which("pantau"), "serve", "--config", str(config), "--db", f"sqlite:///{tmp_path / 's.db'}"]
        + ["--max-runs", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Prefect UI: http://127.0.0.1:" in result.stdout
    assert "run completed" in result.stdout and "1 run(s), 0 not completed." in result.stdout, result.stdout
