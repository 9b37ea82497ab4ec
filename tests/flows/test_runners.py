"""Task runners from a spec (`flows.runners.task_runner_for`), and the monitor flow's classification on a
real local Dask cluster (2 worker processes) giving the same result as the thread runner; workers load
the model once per process (flows.resources), not per task."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import cloudpickle
import pytest
from prefect import flow, task
from prefect.task_runners import ThreadPoolTaskRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.monitor import monitor
from flows.resources import classifier_for, engine_for
from flows.runners import task_runner_for
from pantau.domain.errors import ConfigError
from storage.models import Alert, Item, Score

ROOT = Path(__file__).resolve().parents[2]
HERE = sys.modules[__name__]
cloudpickle.register_pickle_by_value(HERE)  # the probe task below runs on Dask workers

# --- spec parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", [None, "", "threads", " threads "])
def test_threads_spec(spec):
    assert isinstance(task_runner_for(spec), ThreadPoolTaskRunner)


@pytest.mark.usefixtures("prefect_harness")  # an API URL is configured: nothing is started
def test_dask_spec_starts_a_local_process_cluster():
    pytest.importorskip("prefect_dask", reason="the 'scale' extra (prefect-dask) is not installed")
    from prefect_dask import DaskTaskRunner

    runner = task_runner_for("dask", n_workers=3)
    assert isinstance(runner, DaskTaskRunner) and runner.address is None
    assert runner.cluster_kwargs == {
        "n_workers": 3,
        "threads_per_worker": 1,
        "processes": True,
        "dashboard_address": ":0",
    }
    assert task_runner_for("dask").cluster_kwargs["n_workers"] == (os.cpu_count() or 1)


@pytest.mark.parametrize(
    ("spec", "address"),
    [
        ("tcp://10.0.0.5:8786", "tcp://10.0.0.5:8786"),
        ("dask://scheduler.local:8786", "tcp://scheduler.local:8786"),
    ],
)
def test_address_spec_uses_an_existing_cluster(spec, address):
    pytest.importorskip("prefect_dask", reason="the 'scale' extra (prefect-dask) is not installed")
    assert task_runner_for(spec).address == address


@pytest.mark.parametrize("spec", ["spark", "tcp://host", "tcp://host:99999", "dask:", "http://h:1"])
def test_bad_spec_is_a_config_error(spec):
    with pytest.raises(ConfigError) as err:
        task_runner_for(spec)
    assert err.value.field == "runner"


def test_missing_prefect_dask_is_a_config_error():
    code = (
        "import sys; sys.modules['prefect_dask'] = None\n"
        "from flows.runners import task_runner_for\n"
        "from pantau.domain.errors import ConfigError\n"
        "try:\n    task_runner_for('dask')\nexcept ConfigError as e:\n    print('CONFIG', e)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("CONFIG runner: the Dask task runner needs the 'scale' extra")


WORKER_API_SCRIPT = """
import os
from prefect import flow, task
from flows.runners import task_runner_for

@task
def api_url():
    from prefect.settings import get_current_settings
    return os.getpid(), str(get_current_settings().api.url)

@flow
def probe():
    return [f.result() for f in [api_url.submit() for _ in range(4)]]

if __name__ == "__main__":
    assert not os.environ.get("PREFECT_API_URL")
    seen = probe.with_options(task_runner=task_runner_for("dask", n_workers=2))()
    print("PARENT", os.environ["PREFECT_API_URL"])
    for pid, url in seen:
        print("WORKER", pid, url)
"""


def test_local_workers_share_the_temporary_prefect_server(tmp_path):
    """Without PREFECT_API_URL, each worker would start its own temporary server (~25 s each)."""
    pytest.importorskip("prefect_dask", reason="the 'scale' extra (prefect-dask) is not installed")
    script = tmp_path / "probe.py"
    script.write_text(WORKER_API_SCRIPT, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    parent = next(line.split()[1] for line in lines if line.startswith("PARENT"))
    workers = [line.split() for line in lines if line.startswith("WORKER")]
    assert parent.startswith("http://127.0.0.1:") and len(workers) == 4
    assert {url for _, _, url in workers} == {parent}


# --- on a real cluster -----------------------------------------------------------------------------


def _seeded(tmp_path: Path, name: str, n: int) -> tuple[str, dict]:
    from test_backfill import region_config, seed  # the same synthetic items as the backfill tests

    url = f"sqlite:///{tmp_path / name}"
    seed(url, inside=n, before=0, after=0, undated=0)
    config = region_config()
    config["sources"] = []  # classification only: the items are already stored
    return url, config


def _scores(url: str) -> dict[int, dict]:
    with Session(engine_for(url)) as session:
        return {item_id: scores for item_id, scores in session.execute(select(Score.item_id, Score.scores))}


@pytest.mark.usefixtures("prefect_harness", "fresh_resources")
def test_monitor_on_a_local_dask_cluster_equals_the_thread_run(tmp_path):
    pytest.importorskip("prefect_dask", reason="the 'scale' extra (prefect-dask) is not installed")
    threads_url, config = _seeded(tmp_path, "threads.db", 300)
    dask_url, _ = _seeded(tmp_path, "dask.db", 300)
    on_threads = monitor(database_url=threads_url, config=config, batch_size=50)
    on_dask = monitor.with_options(task_runner=task_runner_for("dask", n_workers=2))(
        database_url=dask_url, config=config, batch_size=50
    )
    assert on_threads["scored"] == on_dask["scored"] == 300
    assert on_threads["flagged"] == on_dask["flagged"] and on_threads["alerts"] == on_dask["alerts"]
    expected, got = _scores(threads_url), _scores(dask_url)
    assert len(got) == 300 and set(got) == set(expected)
    for item_id, scores in expected.items():
        assert got[item_id] == pytest.approx(scores, abs=1e-12), item_id
    with Session(engine_for(threads_url)) as a, Session(engine_for(dask_url)) as b:
        alerts = select(Alert.item_id, Alert.dedupe_key).order_by(Alert.dedupe_key)
        assert a.execute(alerts).all() == b.execute(alerts).all()
        tags = select(Item.id, Item.stage, Item.districts, Item.lang).order_by(Item.id)
        assert a.execute(tags).all() == b.execute(tags).all()


@task(name="probe-model-cache", cache_policy=None)
def _probe(model_dir: str | None) -> tuple[int, str]:
    """(worker pid, the token of the model object this process has cached)."""
    model = classifier_for(model_dir)
    if getattr(model, "_probe_token", None) is None:  # set once per loaded model object
        model._probe_token = uuid.uuid4().hex
    return os.getpid(), model._probe_token


@flow(name="probe-flow")
def _probe_flow(n: int) -> list[tuple[int, str]]:
    return [f.result() for f in [_probe.submit(None) for _ in range(n)]]


@pytest.mark.usefixtures("prefect_harness")
def test_workers_load_the_model_once_per_process():
    pytest.importorskip("prefect_dask", reason="the 'scale' extra (prefect-dask) is not installed")
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        runner_spec = cluster.scheduler_address  # tcp://127.0.0.1:PORT
        seen = []
        for _ in range(2):  # two flow runs on the same workers
            seen += _probe_flow.with_options(task_runner=task_runner_for(runner_spec))(8)
    pids = {pid for pid, _ in seen}
    assert len(seen) == 16 and 1 <= len(pids) <= 2 and os.getpid() not in pids
    for pid in pids:  # every task in a worker process used the one model it loaded first
        assert len({token for p, token in seen if p == pid}) == 1
