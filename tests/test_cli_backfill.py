"""`pantau backfill`: a run with its summary, a rerun that resumes (nothing left), local dates in the
config's timezone, and one-line errors (exit 2) for a missing model dir, an empty period, bad dates
and an unknown runner."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import typer
from typer.testing import CliRunner

from pantau.cli.backfill import backfill, parse_when
from pantau.domain.errors import ConfigError
from tests.flows.test_backfill import new_model_dir, scores_by_version, seed

app = typer.Typer()
app.command("backfill")(backfill)
app.command("noop")(lambda: None)  # a second command keeps "backfill" a subcommand, as in pantau


def _invoke(*args: str):
    return CliRunner().invoke(app, ["backfill", *args], terminal_width=100)


def test_dates_are_local_to_the_config_timezone():
    def utc(*parts: int) -> datetime:
        return datetime(*parts, tzinfo=UTC)

    assert parse_when("2024-11-01", "Asia/Jakarta", option="--since") == utc(2024, 10, 31, 17)
    assert parse_when("2024-11-01T08:30", "Asia/Jakarta", option="--since") == utc(2024, 11, 1, 1, 30)
    assert parse_when("2024-11-01T08:30Z", "Asia/Jakarta", option="--since") == utc(2024, 11, 1, 8, 30)
    assert parse_when("2024-11-01T08:30+07:00", "UTC", option="--since") == utc(2024, 11, 1, 1, 30)
    with pytest.raises(ConfigError) as err:
        parse_when("1 Nov 2024", "Asia/Jakarta", option="--until")
    assert err.value.field == "--until"


@pytest.mark.usefixtures("prefect_harness", "fresh_resources")
def test_backfill_runs_prints_a_summary_and_resumes(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    seed(url, inside=45)
    model = new_model_dir(tmp_path)
    args = (
        "--model",
        model,
        "--since",
        "2024-11-01T00:00:00Z",
        "--until",
        "2024-11-11T00:00:00+00:00",
        "--db",
        url,
        "--batch-size",
        "20",
    )
    first = _invoke(*args)
    assert first.exit_code == 0, first.output
    assert "Backfill of 2024-11-01T00:00:00+00:00 .. 2024-11-11T00:00:00+00:00" in first.output
    assert "Scoring items" in first.output and "45/45" in first.output
    assert (
        "completed: 45 of 45 items in the period scored by sk-test-v2; 45 scored now, 0 already done"
        in first.output
    )
    assert "items/s" in first.output and "runner: threads in this process" in first.output
    assert len(scores_by_version(url)["sk-test-v2"]) == 45

    again = _invoke(*args)
    assert again.exit_code == 0, again.output
    assert "(resumed) completed: 45 of 45" in again.output and "0 scored now, 45 already done" in again.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--model", "{tmp}/nowhere", "--since", "2024-11-01", "--until", "2024-11-28"),
            "pantau: error: --model: model directory {tmp}/nowhere does not exist",
        ),
        (
            ("--model", "{tmp}", "--since", "2024-11-28", "--until", "2024-11-01"),
            "pantau: error: --since: --since (2024-11-28T00:00:00+07:00) must be before --until "
            "(2024-11-01T00:00:00+07:00)",
        ),
        (
            ("--model", "{tmp}", "--since", "2024-11-01", "--until", "2024-11-01"),
            "pantau: error: --since: --since (2024-11-01T00:00:00+07:00) must be before --until",
        ),
        (
            ("--model", "{tmp}", "--since", "yesterday", "--until", "2024-11-01"),
            "pantau: error: --since: 'yesterday' is not an ISO date",
        ),
        (
            ("--model", "{tmp}", "--since", "2024-11-01", "--until", "2024-11-28", "--runner", "spark"),
            "pantau: error: runner: unknown task runner 'spark'; use one of: threads, dask",
        ),
    ],
)
def test_errors_are_one_line_and_exit_2(tmp_path, args, message):
    result = _invoke(*(a.format(tmp=tmp_path) for a in args), "--db", f"sqlite:///{tmp_path / 'x.db'}")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message.format(tmp=tmp_path)), result.stderr


def test_a_broken_model_dir_is_one_line_exit_1(tmp_path):
    result = _invoke(
        "--model",
        str(tmp_path),
        "--since",
        "2024-11-01",
        "--until",
        "2024-11-28",
        "--db",
        f"sqlite:///{tmp_path / 'x.db'}",
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(f"pantau: error: model directory {tmp_path} lacks")
    assert len(result.stderr.strip().splitlines()) == 1
