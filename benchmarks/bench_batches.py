"""Classification throughput by batch size, and threads vs a local Dask cluster, end to end on SQLite.

Part 1 (batch size): N synthetic tweet-length items (``bench_classify.synthetic_texts``) are stored once
in a template SQLite file; for each batch size a copy of it is classified completely through
``flows.steps.classify_batch`` (read the batch, score seven signals, tag, raise alerts, save scores, one
transaction per batch), one batch after another in this process, as the monitor flow does on threads.
The model is loaded before timing. Prints items/s per batch size and the best.

Part 2 (runners): the ``backfill`` flow over ``--runner-items`` items (default 20,000) with the thread
runner and with a local Dask cluster of ``--workers`` worker processes (default 2), scores only. Wall
time includes Prefect's and the cluster's start-up; "in flow" is the flow's own time (after the
cluster is up). Prints the speed-up. A temporary Prefect server is started for the flows.

    python benchmarks/bench_batches.py [--items 10000] [--sizes 100 250 500 1000 2000 5000]
        [--runner-items 20000] [--workers 2] [--batch-size 1000] [--skip-runners] [--skip-sizes]

Defaults run in about 3-4 minutes on 2 cores. Numbers on a shared machine are noisy: the load average
is printed with them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_classify import synthetic_texts  # noqa: E402  (also pins BLAS threads to 1)
from sqlalchemy.orm import Session  # noqa: E402

from flows import resources, steps  # noqa: E402
from flows.progress import set_reporter  # noqa: E402
from pantau.domain.config import SourceConfig  # noqa: E402
from pantau.domain.records import CollectedItem  # noqa: E402
from pantau.settings import load_settings  # noqa: E402
from storage import repository as repo  # noqa: E402

START = datetime(2024, 11, 1, tzinfo=UTC)


def make_template(path: Path, n: int) -> None:
    """A SQLite file holding ``n`` items published in November 2024 (one source, one run)."""
    url = f"sqlite:///{path}"
    texts = synthetic_texts(n, seed=7)
    items = [
        CollectedItem(
            source="bench",
            text=f"{t} #{i}",
            url=f"https://bench.example/{i}",
            published_at=START + timedelta(seconds=97 * i),
        )
        for i, t in enumerate(texts)
    ]
    with Session(resources.engine_for(url)) as session, session.begin():
        sid = repo.sync_sources(
            session, [SourceConfig(name="bench", kind="rss", location="https://bench.example/rss")]
        )["bench"]
        run_id = repo.start_run(session)
        for i in range(0, n, 5000):
            repo.upsert_items(session, sid, run_id, items[i : i + 5000])
        repo.finish_run(session, run_id, status="completed", counts={})
    resources.reset()


def copy_db(template: Path, target: Path) -> str:
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def time_batch_size(template: Path, workdir: Path, size: int, config: dict) -> tuple[int, float]:
    url = copy_db(template, workdir / f"size-{size}.db")
    ids = steps.pending_item_ids(url, None)
    started = time.perf_counter()
    scored = 0
    for i in range(0, len(ids), size):
        scored += steps.classify_batch(url, None, config, ids[i : i + size])["scored"]
    return scored, time.perf_counter() - started


def time_runner(
    template: Path,
    workdir: Path,
    spec: str,
    workers: int,
    batch_size: int,
    config: dict,
    *,
    since: datetime = START,
) -> tuple[dict, float]:
    from flows.backfill import backfill
    from flows.runners import task_runner_for

    url = copy_db(template, workdir / f"runner-{spec}.db")
    runner = task_runner_for(spec, n_workers=workers)
    batches: list[tuple[float, int]] = []  # (time, items) of each finished batch
    set_reporter(
        lambda event, data: (
            batches.append((time.perf_counter(), data["size"])) if event == "batch_done" else None
        )
    )
    started = time.perf_counter()
    try:
        summary = backfill.with_options(task_runner=runner)(
            database_url=url,
            config=config,
            model_dir=None,
            since=since,
            until=since + timedelta(days=60),
            batch_size=batch_size,
            raise_alerts=False,
        )
    finally:
        set_reporter(None)
    summary["first_batch_s"] = batches[0][0] - started if batches else None
    if len(batches) > 1:  # after the first batch: workers are up and have loaded the model
        summary["steady_rate"] = sum(n for _, n in batches[1:]) / (batches[-1][0] - batches[0][0])
    return summary, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 250, 500, 1000, 2000, 5000])
    parser.add_argument("--runner-items", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="batch size of the runner comparison (default: the best of part 1, else 1000)",
    )
    parser.add_argument("--skip-sizes", action="store_true")
    parser.add_argument("--skip-runners", action="store_true")
    args = parser.parse_args()

    config = load_settings().region_config.model_dump(mode="json")
    print(f"cores {os.cpu_count()}, load average {os.getloadavg()[0]:.2f} (shared machine: noisy)")
    best = None
    with tempfile.TemporaryDirectory(prefix="pantau-bench-") as tmp:
        workdir = Path(tmp)
        if not args.skip_sizes:
            template = workdir / "template.db"
            make_template(template, args.items)
            resources.classifier_for(None)  # load the model before timing
            print(f"\nclassify_batch end to end on SQLite, {args.items} items, one process")
            print(f"{'batch size':>10} {'batches':>8} {'seconds':>8} {'items/s':>8}")
            rates = {}
            for size in args.sizes:
                scored, seconds = time_batch_size(template, workdir, size, config)
                rates[size] = scored / seconds
                print(f"{size:>10} {-(-args.items // size):>8} {seconds:>8.2f} {rates[size]:>8.0f}")
            best = max(rates, key=rates.get)
            print(f"best: {best} ({rates[best]:.0f} items/s); load average now {os.getloadavg()[0]:.2f}")
        if not args.skip_runners:
            os.environ.setdefault("DO_NOT_TRACK", "1")
            os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
            os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
            os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
            batch_size = args.batch_size or best or 1000
            template = workdir / "runners.db"
            make_template(template, args.runner_items)
            print(f"\nbackfill flow, {args.runner_items} items, batch size {batch_size}")
            # warm-up over an empty period: starts Prefect's temporary server before timing
            time_runner(
                template,
                workdir,
                "threads",
                args.workers,
                batch_size,
                config,
                since=START + timedelta(days=3650),
            )
            results = {}
            for spec in ("threads", "dask"):
                resources.reset()
                summary, wall = time_runner(template, workdir, spec, args.workers, batch_size, config)
                results[spec] = (summary, wall)
                label = "threads" if spec == "threads" else f"dask, {args.workers} workers"
                print(
                    f"{label:>18}: wall {wall:7.2f} s ({summary['scored'] / wall:6.0f} items/s), "
                    f"in flow {summary['seconds']:7.2f} s ({summary['scored'] / summary['seconds']:6.0f} "
                    f"items/s), scored {summary['scored']}"
                )
                if summary.get("steady_rate"):
                    print(
                        f"{'':>18}  first batch after {summary['first_batch_s']:.1f} s; after it "
                        f"{summary['steady_rate']:.0f} items/s"
                    )
            (t, t_wall), (d, d_wall) = results["threads"], results["dask"]
            print(
                f"speed-up of Dask over threads: {t_wall / d_wall:.2f}x wall, "
                f"{t['seconds'] / d['seconds']:.2f}x in flow; load average now {os.getloadavg()[0]:.2f}"
            )


if __name__ == "__main__":
    main()
