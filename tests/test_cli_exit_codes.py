"""`pantau run` exit statuses (0 ok, 1 a source failed, 2 usage/config) and its console: a real
subprocess on a small offline config (a bundled feed, and an RSS URL on a closed local port), no
Prefect log lines unless ``--verbose``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pantau.cli.common import PREFECT_RUN_LOGGERS, prefect_logger_level_env, prepare_prefect_env
from pantau.cli.main import app
from pantau.cli.run import exit_status, run_problems
from sources import SOURCE_KINDS

PREFECT_LINES = ("| ERROR", "| WARNING", "| INFO", "Task run", "Flow run", "Finished in state")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(folder: Path, *, failing: bool) -> Path:
    lines = [
        "http: {retries: 0, timeout_seconds: 5}",
        "sources:",
        "  - {name: kabar, kind: rss, location: 'bundled:feeds/kabar_sampang.xml', language: ind}",
    ]
    if failing:
        lines.append(f"  - {{name: dead, kind: rss, location: 'http://127.0.0.1:{_closed_port()}/rss'}}")
    path = folder / ("failing.yaml" if failing else "ok.yaml")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _start(folder: Path, config: Path, *flags: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PREFECT_HOME": str(folder / ".prefect"), "COLUMNS": "200"}
    for var in ("PANTAU_CONFIG", "PANTAU_DATABASE_URL", "PREFECT_API_URL", "PREFECT_LOGGING_LEVEL"):
        env.pop(var, None)
    for logger in PREFECT_RUN_LOGGERS:
        env.pop(prefect_logger_level_env(logger), None)
    db = f"sqlite:///{folder / 'pantau.db'}"
    command = [sys.executable, "-m", "pantau", "run", "--config", str(config), "--db", db, *flags]
    return subprocess.Popen(
        command, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[int, str, str]]:
    """Three runs at once (each its own folder, database and temporary Prefect server)."""
    started = {}
    for name, failing, flags in (("failing", True, ()), ("failing_quiet", True, ("-q",)), ("ok", False, ())):
        folder = tmp_path_factory.mktemp(name)
        started[name] = _start(folder, _config(folder, failing=failing), *flags)
    done = {}
    for name, proc in started.items():
        out, err = proc.communicate(timeout=600)
        done[name] = (proc.returncode, out, err)
    return done


def test_a_failed_source_exits_1_without_prefect_log_lines(runs):
    code, out, err = runs["failing"]
    assert code == 1, out + err
    for line in PREFECT_LINES:
        assert line not in out + err, out + err
    assert "Traceback" not in out + err
    assert "failed: http://127.0.0.1:" in out  # the summary table names the failure
    assert "1 of 2 sources failed." in out
    assert "Next:" in out


def test_quiet_prints_the_errors_and_the_summary_line_only(runs):
    code, out, err = runs["failing_quiet"]
    assert code == 1, out + err
    assert out.splitlines() == [out.strip()] and out.startswith("Run 1: fetched ")
    assert "1 of 2 sources failed." in out
    assert err.splitlines() == [err.strip()], err
    assert err.startswith("pantau: error: source dead failed: http://127.0.0.1:")


def test_all_sources_ok_exits_0(runs):
    code, out, err = runs["ok"]
    assert code == 0, out + err
    for line in PREFECT_LINES:
        assert line not in out + err, out + err
    assert "sources failed" not in out and err == ""


def test_a_bad_config_exits_2_with_one_line(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("sources:\n  - {name: a, kind: rsss, location: a.xml}\n", encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pantau",
            "run",
            "--config",
            str(config),
            "--db",
            f"sqlite:///{tmp_path}/x.db",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    kinds = ", ".join(sorted(SOURCE_KINDS))
    assert done.stderr.splitlines() == [
        f"pantau: error: {config}: sources[0].kind: 'rsss' is not one of {kinds} (did you mean 'rss'?)"
    ]


def test_quiet_and_verbose_together_are_a_usage_error():
    result = CliRunner().invoke(app, ["run", "-q", "-v"])
    assert result.exit_code == 2
    assert "--quiet and --verbose exclude each other" in result.output


def test_fetch_of_an_unreachable_source_exits_1(tmp_path):
    result = CliRunner().invoke(app, ["fetch", "rss", f"http://127.0.0.1:{_closed_port()}/rss"])
    assert result.exit_code == 1
    assert "pantau: error: http://127.0.0.1:" in result.output


def test_a_failed_step_also_makes_the_run_partial():
    ok = {"per_source": [{"source": "a", "error": None}], "matching": {}, "url_answers": {}}
    assert exit_status(ok) == 0 and run_problems(ok) == []
    for broken in (
        {**ok, "per_source": [{"source": "a", "error": "down"}]},
        {**ok, "matching": {"error": "boom"}},
        {**ok, "url_answers": {"url_answers_error": "boom"}},
        {**ok, "alert_rules_error": "boom"},
        {**ok, "saved_searches": {"error": "boom"}},
    ):
        assert exit_status(broken) == 1 and len(run_problems(broken)) == 1


def test_prefect_env_hides_run_logs_by_default_and_respects_the_user(monkeypatch):
    names = [prefect_logger_level_env(logger) for logger in PREFECT_RUN_LOGGERS]
    assert names == [
        "PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL",
        "PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL",
    ]
    for var in ("PREFECT_LOGGING_LEVEL", *names):
        monkeypatch.delenv(var, raising=False)
    prepare_prefect_env(hide_run_logs=True)
    assert os.environ["PREFECT_LOGGING_LEVEL"] == "WARNING"
    assert [os.environ[n] for n in names] == ["CRITICAL", "CRITICAL"]
    prepare_prefect_env(verbose=True, hide_run_logs=True)
    assert os.environ["PREFECT_LOGGING_LEVEL"] == "INFO"
    assert [os.environ[n] for n in names] == ["NOTSET", "NOTSET"]
    for var in names:
        monkeypatch.delenv(var)
    monkeypatch.setenv("PREFECT_LOGGING_LEVEL", "DEBUG")  # the user's own choice stays
    prepare_prefect_env(quiet=True, hide_run_logs=True)
    assert os.environ["PREFECT_LOGGING_LEVEL"] == "DEBUG" and not any(n in os.environ for n in names)
