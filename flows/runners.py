"""Choose the Prefect task runner a flow runs on, from a short spec string (CLI ``--runner``).

``None`` or ``"threads"``: Prefect's ThreadPoolTaskRunner, in this process. ``"dask"``: a DaskTaskRunner
that starts a temporary local Dask cluster of worker *processes* (one thread each, one worker per core
by default) for the duration of the flow run. ``"dask://host:port"`` or ``"tcp://host:port"``: a
DaskTaskRunner on an existing cluster's scheduler. Tasks pass only plain data (URLs, ids, dicts), and
each worker process loads the model and opens database engines once, through :mod:`flows.resources`.
A local cluster's workers report to this process's Prefect API (:func:`share_prefect_api`).
Dask support is the optional ``scale`` extra (``pip install 'pantau[scale]'``); without it, or for a
spec it does not understand, :func:`task_runner_for` raises :class:`ConfigError`.
"""

from __future__ import annotations

import os
import re
from typing import Any

from pantau.domain.errors import ConfigError

KNOWN_SPECS = ("threads", "dask", "dask://HOST:PORT", "tcp://HOST:PORT")
_ADDRESS = re.compile(r"^(?:dask|tcp)://(?P<host>[A-Za-z0-9.\-_\[\]:]+):(?P<port>\d{1,5})$")


def task_runner_for(spec: str | None, *, n_workers: int | None = None) -> Any:
    """The task runner for ``spec`` (see the module docstring); ``n_workers`` sizes a local cluster."""
    name = (spec or "threads").strip()
    if name == "threads":
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner()
    if name == "dask":
        workers = n_workers or os.cpu_count() or 1
        if workers < 1:
            raise ConfigError(f"n_workers must be at least 1, not {workers}", field="runner")
        runner = _dask_runner(
            cluster_class="distributed.LocalCluster",
            cluster_kwargs={
                "n_workers": workers,
                "threads_per_worker": 1,
                "processes": True,
                "dashboard_address": ":0",
            },
        )
        share_prefect_api()
        return runner
    match = _ADDRESS.match(name)
    if match:
        port = int(match["port"])
        if not 0 < port < 65536:
            raise ConfigError(f"port {port} out of range in runner {name!r}", field="runner")
        return _dask_runner(address=f"tcp://{match['host']}:{port}")
    raise ConfigError(f"unknown task runner {name!r}; use one of: {', '.join(KNOWN_SPECS)}", field="runner")


def share_prefect_api() -> str | None:
    """Make local worker processes report to this process's Prefect API; returns its URL.

    With no ``PREFECT_API_URL`` configured, Prefect starts a temporary server per *process*: every Dask
    worker would start its own (25 s each on 2 cores, measured) and record its task runs there. This
    starts the temporary server here and exports its URL, so the workers spawned later inherit it.
    A URL already configured (environment, profile, a test harness) is left as it is.
    """
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

    configured = PREFECT_API_URL.value()
    if configured or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        return configured or None
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()  # the same per-process instance Prefect's client would start
    server.start()
    os.environ["PREFECT_API_URL"] = server.api_url
    return server.api_url


def runner_label(runner: Any) -> str:
    """A short human description of a runner (for the CLI's header)."""
    address = getattr(runner, "address", None)
    if address:
        return f"Dask cluster at {address}"
    kwargs = getattr(runner, "cluster_kwargs", None)
    if kwargs is not None:
        return f"local Dask cluster, {kwargs.get('n_workers')} worker processes"
    return "threads in this process"


def _dask_runner(**kwargs: Any) -> Any:
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError as exc:
        raise ConfigError(
            f"the Dask task runner needs the 'scale' extra (pip install 'pantau[scale]'): {exc}",
            field="runner",
        ) from None
    return DaskTaskRunner(**kwargs)
