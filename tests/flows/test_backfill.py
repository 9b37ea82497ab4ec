"""The `backfill` flow on SQLite and PostgreSQL: period selection, one score per item for the new version,
old scores kept, rerun a no-op, and resumption after the process is killed between batches."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from classifiers.pipeline import DEFAULT_MODEL_DIR
from flows.backfill import backfill
from flows.resources import classifier_for, engine_for
from pantau.domain.config import SourceConfig
from pantau.domain.records import CollectedItem
from pantau.settings import load_settings
from storage import repository as repo
from storage.models import Alert, Backfill, Item, Score

pytestmark = pytest.mark.usefixtures("prefect_harness", "fresh_resources")

ROOT = Path(__file__).resolve().parents[2]
SINCE = datetime(2024, 11, 1, tzinfo=UTC)
UNTIL = datetime(2024, 11, 11, tzinfo=UTC)
WORDS = (
    "kpu sampang pilkada suara tps warga desa amplop uang sembako hoaks beredar pesan berantai "
    "bawaslu kampanye damai coblos paslon kiai pesantren banjir omben camplong fitnah"
).split()


def new_model_dir(tmp_path: Path, version: str = "sk-test-v2") -> str:
    """A second model version: the bundled artifacts with another version in the manifest."""
    target = tmp_path / "model-v2"
    shutil.copytree(DEFAULT_MODEL_DIR, target)
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    manifest["version"] = version
    (target / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return str(target)


def seed(url: str, inside: int, before: int = 5, after: int = 5, undated: int = 5) -> None:
    """Items in the period, before it, after it, and undated ones (collected now: after it)."""
    when = (
        [SINCE + timedelta(minutes=37 * i) for i in range(inside)]
        + [SINCE - timedelta(hours=i + 1) for i in range(before)]
        + [UNTIL + timedelta(seconds=i) for i in range(after)]
        + [None] * undated
    )
    items = [
        CollectedItem(
            source="seed",
            url=f"https://news.example/{i}",
            published_at=t,
            text=" ".join(WORDS[(i * 7 + k) % len(WORDS)] for k in range(12)) + f" no {i}",
        )
        for i, t in enumerate(when)
    ]
    with Session(engine_for(url)) as session, session.begin():
        source_id = repo.sync_sources(
            session, [SourceConfig(name="seed", kind="rss", location="https://news.example/rss")]
        )["seed"]
        run_id = repo.start_run(session)
        repo.upsert_items(session, source_id, run_id, items)
        repo.finish_run(session, run_id, status="completed", counts={})


def region_config() -> dict:
    return load_settings().region_config.model_dump(mode="json")


def scores_by_version(url: str) -> dict[str, list[int]]:
    with Session(engine_for(url)) as session:
        rows = session.execute(select(Score.model_version, Score.item_id).order_by(Score.item_id)).all()
    out: dict[str, list[int]] = {}
    for version, item_id in rows:
        out.setdefault(version, []).append(item_id)
    return out


def period_ids(url: str) -> list[int]:
    with Session(engine_for(url)) as session:
        return list(
            session.scalars(
                select(Item.id).where(Item.published_at >= SINCE, Item.published_at < UNTIL).order_by(Item.id)
            )
        )


def test_backfill_scores_the_period_once_and_keeps_old_scores(db_url, tmp_path):
    seed(db_url, inside=60)
    config = region_config()
    old = classifier_for(None).version_
    with Session(engine_for(db_url)) as session, session.begin():  # the old model scored everything
        rows = repo.items_needing_scores(session, old)
        repo.save_scores(
            session,
            old,
            list(
                zip(
                    [r.id for r in rows],
                    classifier_for(None).score([{"text": r.text} for r in rows]),
                    strict=True,
                )
            ),
        )
    model_dir = new_model_dir(tmp_path)

    first = backfill(
        database_url=db_url, config=config, model_dir=model_dir, since=SINCE, until=UNTIL, batch_size=25
    )
    inside = period_ids(db_url)
    assert len(inside) == 60
    assert first["status"] == "completed" and first["total"] == first["done"] == first["scored"] == 60
    assert first["already_done"] == 0 and not first["resumed"]
    by_version = scores_by_version(db_url)
    assert by_version["sk-test-v2"] == inside  # each in-period item once, nothing outside the period
    assert len(by_version[old]) == 75  # the old version's scores stay
    with Session(engine_for(db_url)) as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == 0  # alerts off by default

    again = backfill(
        database_url=db_url, config=config, model_dir=model_dir, since=SINCE, until=UNTIL, batch_size=25
    )
    assert again["scored"] == 0 and again["already_done"] == 60 and again["resumed"]
    assert again["total"] == again["done"] == 60
    assert scores_by_version(db_url)["sk-test-v2"] == inside
    with Session(engine_for(db_url)) as session:
        jobs = session.scalars(select(Backfill)).all()
        assert len(jobs) == 1 and jobs[0].status == "completed" and jobs[0].counts["flagged"] >= 0


def test_backfill_with_alerts_tags_raises_alerts_and_matches(tmp_path):
    url = f"sqlite:///{tmp_path / 'alerts.db'}"
    seed(url, inside=30)
    summary = backfill(
        database_url=url,
        config=region_config(),
        model_dir=new_model_dir(tmp_path),
        since=SINCE,
        until=UNTIL,
        batch_size=10,
        raise_alerts=True,
    )
    assert summary["scored"] == 30 and summary["done"] == 30
    assert summary["matching"] is not None and "claim_items" in summary["matching"]
    with Session(engine_for(url)) as session:
        staged = session.scalars(select(Item.stage).where(Item.id.in_(period_ids(url)))).all()
    assert all(staged)  # classify_batch tagged the stage of every backfilled item


def _killed_then_resumed_script(url: str, model_dir: str) -> str:
    return textwrap.dedent(f"""
        from datetime import datetime
        from flows.backfill import backfill
        from pantau.settings import load_settings
        config = load_settings().region_config.model_dump(mode="json")
        backfill(database_url={url!r}, config=config, model_dir={model_dir!r},
                 since=datetime.fromisoformat({SINCE.isoformat()!r}),
                 until=datetime.fromisoformat({UNTIL.isoformat()!r}), batch_size=20)
    """)


def test_killed_backfill_resumes_without_duplicates_or_gaps(db_url, tmp_path):
    from prefect.settings import PREFECT_API_URL

    seed(db_url, inside=100)
    model_dir = new_model_dir(tmp_path)
    env = {
        **os.environ,
        "PANTAU_FAILPOINTS": "classify.after_commit:2",
        "PREFECT_API_URL": PREFECT_API_URL.value() or "",
    }
    done = subprocess.run(
        [sys.executable, "-c", _killed_then_resumed_script(db_url, model_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == -9, done.stderr[-2000:]  # SIGKILLed at the second committed batch
    assert len(scores_by_version(db_url)["sk-test-v2"]) == 40
    with Session(engine_for(db_url)) as session:
        job = session.scalars(select(Backfill)).one()
        assert job.status == "running" and job.done == 20  # the 2nd batch committed, its progress not

    summary = backfill(
        database_url=db_url,
        config=region_config(),
        model_dir=model_dir,
        since=SINCE,
        until=UNTIL,
        batch_size=20,
    )
    assert summary["resumed"] and summary["already_done"] == 40 and summary["scored"] == 60
    assert scores_by_version(db_url)["sk-test-v2"] == period_ids(db_url)  # no gap, no duplicate
    with Session(engine_for(db_url)) as session:
        job = session.scalars(select(Backfill)).one()
        assert (job.status, job.total, job.done, job.error) == ("completed", 100, 100, None)
        assert job.finished_at is not None


def test_backfill_on_a_local_dask_cluster(tmp_path):
    pytest.importorskip("prefect_dask", reason="the 'scale' extra (prefect-dask) is not installed")
    from flows.runners import task_runner_for

    url = f"sqlite:///{tmp_path / 'dask.db'}"
    seed(url, inside=200)
    runner = task_runner_for("dask", n_workers=2)
    summary = backfill.with_options(task_runner=runner)(
        database_url=url,
        config=region_config(),
        model_dir=new_model_dir(tmp_path),
        since=SINCE,
        until=UNTIL,
        batch_size=25,
    )
    assert summary["status"] == "completed"
    assert summary["scored"] == summary["done"] == summary["total"] == 200
    assert scores_by_version(url)["sk-test-v2"] == period_ids(url)
    with Session(engine_for(url)) as session:
        job = session.scalars(select(Backfill)).one()
        assert job.done == 200 and job.status == "completed"


def test_a_killed_dask_worker_loses_nothing(tmp_path, monkeypatch):
    """A worker SIGKILLed right after committing a batch: Dask runs the lost task again on a worker (it
    finds nothing left to score), and the job ends with every item scored once."""
    pytest.importorskip("prefect_dask", reason="the 'scale' extra (prefect-dask) is not installed")
    from flows.runners import task_runner_for

    url = f"sqlite:///{tmp_path / 'dask-kill.db'}"
    seed(url, inside=120)
    armed = tmp_path / "failpoints"
    armed.write_text("classify.after_commit", encoding="utf-8")
    monkeypatch.setenv("PANTAU_FAILPOINTS_FILE", str(armed))  # inherited by the workers spawned below
    summary = backfill.with_options(task_runner=task_runner_for("dask", n_workers=2))(
        database_url=url,
        config=region_config(),
        model_dir=new_model_dir(tmp_path),
        since=SINCE,
        until=UNTIL,
        batch_size=20,
    )
    assert (tmp_path / "failpoints.fired").exists()  # a worker did die
    assert summary["status"] == "completed" and summary["done"] == summary["total"] == 120
    assert summary["scored"] == 100  # the killed worker's committed batch came back as 0 new scores
    assert scores_by_version(url)["sk-test-v2"] == period_ids(url)
