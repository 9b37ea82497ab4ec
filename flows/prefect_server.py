"""A local ``prefect server start`` for ``pantau serve`` when no ``PREFECT_API_URL`` is set.

Prefect's temporary ("ephemeral") server runs no scheduler, so a deployment's schedules would never
create runs; ``pantau serve`` therefore starts Prefect's real server as a child process (API, UI and
background services: the scheduler among them), waits until it answers, points ``PREFECT_API_URL`` at
it (``pantau serve`` exports it; the runs' processes inherit it) and stops it on exit. Its database is
Prefect's default (SQLite under ``$PREFECT_HOME``, ``~/.prefect``) unless
``PREFECT_API_DATABASE_CONNECTION_URL`` says otherwise. The tests that need Prefect's real server
start it through the same class (``tests/flows/prefect_server.py``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

DEFAULT_PORT = 4200  # Prefect's own default, so the UI is where Prefect's documentation says


class PrefectServerError(RuntimeError):
    """The local Prefect server did not start (its log file says why)."""


def prefect_api_configured() -> bool:
    from prefect.settings import PREFECT_API_URL

    return bool(os.environ.get("PREFECT_API_URL") or PREFECT_API_URL.value())


class LocalPrefectServer:
    """``prefect server start`` on 127.0.0.1 (port 4200 when free), its output in ``log_path``."""

    def __init__(
        self,
        *,
        port: int | None = None,
        log_path: Path | None = None,
        ui: bool = True,
        env: Mapping[str, str] | None = None,
    ):
        self.port = port or (free_port() if _taken(DEFAULT_PORT) else DEFAULT_PORT)
        self.env = dict(os.environ if env is None else env)  # the server's environment
        home = Path(self.env.get("PREFECT_HOME", Path.home() / ".prefect"))
        self.log_path = log_path or home / "pantau-serve-server.log"
        self.ui = ui
        self.process: subprocess.Popen | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def ui_url(self) -> str | None:
        return f"http://127.0.0.1:{self.port}" if self.ui else None

    def start(self, timeout: float = 180.0) -> None:
        import httpx

        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {
            **self.env,
            "PREFECT_UI_ENABLED": self.env.get("PANTAU_PREFECT_UI", "true" if self.ui else "false"),
        }
        env.pop("PREFECT_API_URL", None)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "prefect",
                    "server",
                    "start",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C in the terminal reaches pantau, which stops it in order
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise PrefectServerError(
                    f"the local Prefect server exited with code {self.process.returncode}; "
                    f"see {self.log_path}"
                )
            try:
                if httpx.get(f"{self.api_url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        raise PrefectServerError(
            f"the local Prefect server did not answer within {timeout:.0f} s; see {self.log_path}"
        )

    def stop(self, timeout: float = 8.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def _taken(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
