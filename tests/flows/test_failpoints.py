"""Crash points: a process armed by environment dies at the n-th hit; a file arms one crash in all;
without the testing flag (``PANTAU_TESTING=1``, set by conftest) nothing is armed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from flows.failpoints import ENV, FILE_ENV, TESTING_ENV, failpoint

CALL = (
    "from flows.failpoints import failpoint\n"
    "for i in range(3):\n    failpoint('p')\n    print(i, flush=True)\n"
)


def _run(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in (ENV, FILE_ENV, TESTING_ENV)}
    return subprocess.run(
        [sys.executable, "-c", CALL],
        env={**clean, TESTING_ENV: "1", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_unarmed_points_do_nothing(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.delenv(FILE_ENV, raising=False)
    failpoint("store.before_commit")  # still alive


def test_the_nth_hit_kills_the_process():
    result = _run({ENV: "other,p:2"})
    assert result.returncode == -signal.SIGKILL and result.stdout.split() == ["0"]
    assert _run({ENV: "q"}).returncode == 0


def test_a_file_arms_exactly_one_crash_across_processes(tmp_path):
    armed = tmp_path / "armed"
    armed.write_text("p", encoding="utf-8")
    first, second = _run({FILE_ENV: str(armed)}), _run({FILE_ENV: str(armed)})
    assert first.returncode == -signal.SIGKILL and first.stdout == ""
    assert second.returncode == 0 and second.stdout.split() == ["0", "1", "2"]
    assert not armed.exists() and (tmp_path / "armed.fired").exists()


def test_without_the_testing_flag_armed_points_do_nothing(tmp_path):
    armed = tmp_path / "armed"
    armed.write_text("p", encoding="utf-8")
    for flag in ({TESTING_ENV: ""}, {TESTING_ENV: "0"}):
        result = _run({**flag, ENV: "p", FILE_ENV: str(armed)})
        assert result.returncode == 0 and result.stdout.split() == ["0", "1", "2"], result.stderr
    assert armed.exists()  # the file was not even read
    clean = {k: v for k, v in os.environ.items() if k != TESTING_ENV}
    unset = subprocess.run(
        [sys.executable, "-c", CALL], env={**clean, ENV: "p"}, capture_output=True, text=True, timeout=60
    )
    assert unset.returncode == 0 and unset.stdout.split() == ["0", "1", "2"]
