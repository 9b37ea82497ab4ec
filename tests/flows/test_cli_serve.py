"""`pantau serve` on the command line: one run through the deployment, a clear error on a bad config."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from flows.resources import engine_for
from pantau.cli.main import app
from storage.models import Item, Run
from tests.flows.posts import append_posts, export_source, region_config

pytestmark = pytest.mark.usefixtures("prefect_harness", "fresh_resources")
runner = CliRunner()


def test_serve_runs_the_deployment_once(tmp_path):
    posts = tmp_path / "posts.jsonl"
    append_posts(posts, 0, 12, datetime(2024, 11, 27, 8, 0, tzinfo=ZoneInfo("Asia/Jakarta")))
    config = tmp_path / "pantau.yaml"
    config.write_text(yaml.safe_dump(region_config([export_source("fb", posts)])), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    result = runner.invoke(app, ["serve", "--config", str(config), "--db", url, "--max-runs", "1"])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())  # the test console wraps at 80 columns
    # the bundled calendar's 7 stages and post_election (pre_election lies in the past)
    assert "Deployment monitor/pantau-sampang registered (8 schedules, one schedule per stage)." in output
    assert "Stage in force: post_election (every 1d); next run " in output
    assert "run completed" in output and "1 run(s), 0 not completed." in output
    with Session(engine_for(url)) as s:
        assert s.scalars(select(Run.status)).all() == ["completed"]
        assert len(s.scalars(select(Item.id)).all()) == 12


def test_serve_refuses_a_broken_config(tmp_path):
    config = tmp_path / "pantau.yaml"
    config.write_text("schedule: {stage_intervals: {campaign: soon}}\n", encoding="utf-8")
    result = runner.invoke(app, ["serve", "--config", str(config)])
    assert result.exit_code == 2
    assert "not a duration" in result.output
