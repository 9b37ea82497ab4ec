"""How ``pantau web`` and ``pantau tipline`` run uvicorn: which proxies may set the client address.

uvicorn trusts ``X-Forwarded-For`` from 127.0.0.1 by default, so anyone who can reach the app through
a local process (or who connects from the machine itself) could pick the client address the per-client
limits key on. Pantau turns proxy headers off unless ``--forwarded-allow-ips`` names the proxies in
front of it (comma-separated addresses or networks, as uvicorn takes them; ``*`` trusts everyone and
is only safe when nothing but the proxy can reach the port).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

import uvicorn


def server_options(forwarded_allow_ips: str | None) -> dict[str, Any]:
    """uvicorn keyword arguments for the trusted-proxy setting (None or '': trust no proxy)."""
    ips = (forwarded_allow_ips or "").strip()
    if not ips:
        return {"proxy_headers": False, "forwarded_allow_ips": ""}
    return {"proxy_headers": True, "forwarded_allow_ips": ips}


GRACEFUL_SHUTDOWN_SECONDS = 5  # open requests and keep-alive connections get this long after a stop


def run_server(app: Any, *, host: str, port: int, forwarded_allow_ips: str | None) -> str | None:
    """Serve ``app`` with uvicorn until SIGTERM or SIGINT; return the signal's name (None otherwise).

    uvicorn's own handling re-raises the signal once it has shut down, so the process would end by the
    signal (and by a KeyboardInterrupt traceback for Ctrl-C); here the first signal starts uvicorn's
    graceful shutdown (requests in progress get :data:`GRACEFUL_SHUTDOWN_SECONDS`), a second one forces
    it, and the command returns normally, exit code 0."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        **server_options(forwarded_allow_ips),
    )
    server = _SignalledServer(config)
    server.run()
    return server.stopped_by


class _SignalledServer(uvicorn.Server):
    """uvicorn's server with Pantau's signal handling (see :func:`run_server`)."""

    stopped_by: str | None = None

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _on_signal(self, signum: int, frame: Any) -> None:
        if self.should_exit:
            self.force_exit = True
        self.stopped_by = signal.Signals(signum).name
        self.should_exit = True
