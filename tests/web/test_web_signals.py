"""`pantau web` and `pantau tipline` stop cleanly on SIGTERM (systemd, Docker) and SIGINT (Ctrl-C):
within 10 seconds, exit code 0, no traceback, even with a client's keep-alive connection open and a
request in progress."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest
from webfixtures import free_port

STOP_LIMIT = 10.0


def _start(command: list[str], path: str, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pantau", *command, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{command[0]} exited: {proc.communicate()}")
        try:
            httpx.get(base + path, timeout=1)
            return proc, base
        except httpx.TransportError:
            time.sleep(0.3)
    proc.kill()
    raise AssertionError(f"{command[0]} did not start")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("command", ["web", "tipline"])
def test_a_signal_stops_the_server_cleanly(tmp_path, command, signum):
    env = {**os.environ, "PANTAU_WEB_SECRET": "s" * 40, "PANTAU_TIPLINE_TOKENS": "warga:" + "t" * 24}
    db = f"sqlite:///{tmp_path / 'signals.db'}"
    path = "/login" if command == "web" else "/tipline"
    proc, base = _start([command, "--db", db], path, env)
    client = httpx.Client(base_url=base, timeout=5)
    try:
        client.get(path)  # a keep-alive connection stays open
        slow = threading.Thread(target=_slow_upload, args=(base, path), daemon=True)
        slow.start()  # and a request whose body is still arriving
        time.sleep(0.5)
        sent = time.monotonic()
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=30)
        elapsed = time.monotonic() - sent
    finally:
        client.close()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-3000:]
    assert elapsed < STOP_LIMIT
    assert "Traceback" not in err, err[-3000:]
    assert f"stopped by {signal.Signals(signum).name}." in out


def _slow_upload(base: str, path: str) -> None:
    def body():
        for _ in range(60):
            yield b"x" * 10
            time.sleep(0.5)

    try:
        httpx.post(base + path, content=body(), headers={"Content-Type": "application/json"}, timeout=60)
    except httpx.HTTPError:
        pass
