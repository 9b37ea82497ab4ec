"""`pantau serve` for an hour of simulated election time: through the campaign -> quiet period change
and a crashed run, through a real Prefect deployment (runner, subprocess runs, crash hook), with
nothing lost or duplicated."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flows.clock import SimulatedClock
from flows.failpoints import FILE_ENV
from flows.resources import classifier_for, engine_for
from flows.serve import MonitorService, RunPlan
from pantau.settings import load_settings
from storage.models import Alert, Item, Run, Score
from tests.flows.posts import append_posts, export_source, region_config

pytestmark = pytest.mark.usefixtures("prefect_harness", "fresh_resources")
WIB = ZoneInfo("Asia/Jakarta")


def _service(tmp_path, db_url, monkeypatch, *, crash_before_run: int | None):
    posts = tmp_path / "posts.jsonl"
    config_file = tmp_path / "pantau.yaml"
    config = region_config([export_source("warga-fb", posts)])
    config_file.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    armed = tmp_path / "failpoint"
    monkeypatch.setenv(FILE_ENV, str(armed))
    written: list[str] = []

    def load_plan() -> RunPlan:
        settings = load_settings(config_file, database_url=db_url)
        return RunPlan(
            database_url=db_url,
            config=settings.region_config.model_dump(mode="json"),
            model_dir=None,
            batch_size=20,
        )

    def before_run(as_of: datetime) -> None:
        run_number = len(service.log.runs) + 1
        written.extend(append_posts(posts, len(written), 30, as_of))
        if run_number == crash_before_run:
            armed.write_text("classify.before_commit", encoding="utf-8")

    start = datetime(2024, 11, 23, 23, 30, tzinfo=WIB)
    service = MonitorService(
        load_plan,
        clock=SimulatedClock(start),
        until=start + timedelta(hours=1),
        before_run=before_run,
        deployment_name="pantau-test-serve",
    )
    return service, written


def _prefect_states(log) -> list[str]:
    """The states Prefect's own records hold for the service's runs once it has stopped."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return [client.read_flow_run(r.flow_run_id).state.type.value for r in log.runs]


def test_an_hour_through_a_stage_change_and_a_crash(tmp_path, db_url, monkeypatch):
    service, written = _service(tmp_path, db_url, monkeypatch, crash_before_run=3)
    log = asyncio.run(service.run())

    local = [(r.as_of.astimezone(WIB).strftime("%H:%M"), r.stage, r.state) for r in log.runs]
    assert local == [
        ("23:30", "campaign", "COMPLETED"),  # hourly in the campaign ...
        ("00:00", "quiet_period", "COMPLETED"),  # ... but the quiet period starts on time
        ("00:10", "quiet_period", "CRASHED"),  # every 10 minutes now; this one is killed
        ("00:11", "quiet_period", "COMPLETED"),  # retried a minute later
        ("00:21", "quiet_period", "COMPLETED"),
    ]
    assert [r.interval for r in log.runs][:2] == [timedelta(hours=1), timedelta(minutes=10)]
    assert _prefect_states(log) == ["COMPLETED", "COMPLETED", "CRASHED", "COMPLETED", "COMPLETED"]

    version = classifier_for(None).version_
    with Session(engine_for(db_url)) as s:
        ids = s.scalars(select(Item.external_id)).all()
        assert sorted(ids) == sorted(f"facebook:{i}" for i in written)  # every post, once
        assert len(written) == 150
        scores = s.execute(select(Score.item_id, Score.model_version, Score.scores)).all()
        assert len(scores) == len(ids) and {v for _, v, _ in scores} == {version}
        assert len({i for i, _, _ in scores}) == len(ids)
        assert all(len(sc) == len(scores[0][2]) for _, _, sc in scores)  # no half-written score
        runs = s.execute(select(Run.flow_run_id, Run.status)).all()
        by_flow_run = dict(runs)
        assert [by_flow_run[r.flow_run_id] for r in log.runs] == [
            "completed",
            "completed",
            "crashed",
            "completed",
            "completed",
        ]
        failed = s.scalars(select(Alert).where(Alert.kind == "run_failed")).all()
        assert len(failed) == 1 and failed[0].details["flow_run_id"] == log.runs[2].flow_run_id
        assert failed[0].severity == "high" and failed[0].stage == "quiet_period"
        flagged = s.scalar(select(func.count()).select_from(Alert).where(Alert.kind == "flagged_item"))
        assert flagged > 0
