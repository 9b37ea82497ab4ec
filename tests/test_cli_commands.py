"""`pantau init`, `pantau alerts` and `pantau fetch` on real files and a real SQLite database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from flows.resources import engine_for, reset
from pantau.cli.alerts import parse_since
from pantau.cli.main import app
from pantau.domain.config import SourceConfig
from pantau.domain.errors import UnusableInputError
from pantau.domain.records import CollectedItem
from pantau.settings import bundled_examples_dir
from storage import repository as repo

runner = CliRunner()


@pytest.fixture(autouse=True)
def _fresh_engines():
    reset()
    yield
    reset()


def test_init_writes_config_and_database_and_keeps_an_existing_config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "pantau.yaml").read_text() == (bundled_examples_dir() / "sampang.yaml").read_text()
    assert (tmp_path / "pantau.db").exists()
    (tmp_path / "pantau.yaml").write_text("region: Bangkalan\n")
    result = runner.invoke(app, ["init"])
    assert "exists; keeping it" in result.output
    assert (tmp_path / "pantau.yaml").read_text() == "region: Bangkalan\n"


def _seed_alerts(db_url: str) -> None:
    with Session(engine_for(db_url)) as s, s.begin():
        ids = repo.sync_sources(s, [SourceConfig(name="t", kind="rss", location="x")])
        items = [
            CollectedItem(
                source="t", text=f"teks uji nomor {i}", title=f"Judul {i}", url=f"https://t.example/{i}"
            )
            for i in range(3)
        ]
        stored = repo.upsert_items(s, ids["t"], None, items).new_ids
        for item_id, (signal, sev, stage, district) in zip(
            stored,
            [
                ("vote_buying", "high", "voting_day", "Omben"),
                ("violence_threat", "critical", "quiet_period", "Robatal"),
                ("hoax", "medium", "campaign", "Omben"),
            ],
            strict=True,
        ):
            repo.raise_alert(
                s,
                kind="flagged_item",
                severity=sev,
                reason=f"{signal} 0.9",
                dedupe_key=f"flagged_item:{item_id}:{signal}",
                signal=signal,
                item_id=item_id,
                stage=stage,
                district=district,
            )


def test_alerts_filters_and_formats(tmp_path):
    db = f"sqlite:///{tmp_path / 'a.db'}"
    _seed_alerts(db)
    out = runner.invoke(app, ["alerts", "--db", db, "--format", "json"])
    assert out.exit_code == 0, out.output
    rows = [json.loads(line) for line in out.output.splitlines()]
    assert [r["severity"] for r in rows] == ["critical", "high", "medium"]
    assert rows[0]["item_title"] == "Judul 1" and rows[0]["source_name"] == "t"
    by_district = runner.invoke(app, ["alerts", "--db", db, "--format", "json", "--district", "Omben"])
    assert {json.loads(x)["signal"] for x in by_district.output.splitlines()} == {"vote_buying", "hoax"}
    one = runner.invoke(
        app,
        [
            "alerts",
            "--db",
            db,
            "--format",
            "json",
            "--signal",
            "hoax",
            "--stage",
            "campaign",
            "--status",
            "open",
            "--since",
            "1h",
        ],
    )
    assert [json.loads(x)["signal"] for x in one.output.splitlines()] == ["hoax"]
    table = runner.invoke(app, ["alerts", "--db", db], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "3 alerts" in table.output and "Judul 1" in table.output
    none = runner.invoke(app, ["alerts", "--db", db, "--stage", "disputes"])
    assert "No alerts match." in none.output


@pytest.mark.parametrize(
    "args, words",
    [
        (["--signal", "rumour"], "known signals are"),
        (["--status", "done"], "use one of"),
        (["--since", "last tuesday"], "use an ISO date"),
    ],
)
def test_alerts_rejects_bad_filters_with_exit_2(tmp_path, args, words):
    out = runner.invoke(app, ["alerts", "--db", f"sqlite:///{tmp_path / 'a.db'}", *args])
    assert out.exit_code == 2 and words in out.output


def test_parse_since():
    now = datetime(2024, 11, 27, 12, tzinfo=UTC)
    assert parse_since("7d", now) == now - timedelta(days=7)
    assert parse_since("30m", now) == now - timedelta(minutes=30)
    assert parse_since("2024-11-20", now) == datetime(2024, 11, 20, tzinfo=UTC)
    assert parse_since(None) is None
    with pytest.raises(UnusableInputError):
        parse_since("soon")


def test_fetch_prints_the_extracted_items_and_stores_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    feed = bundled_examples_dir() / "feeds" / "kabar_sampang.xml"
    out = runner.invoke(app, ["fetch", "rss", str(feed)])
    assert out.exit_code == 0, out.output
    items = [json.loads(line) for line in out.output.splitlines() if line.startswith("{")]
    assert len(items) >= 10
    for item in items:
        assert {"url", "title", "text", "published_at"} <= set(item)
        datetime.fromisoformat(item["published_at"])
    assert not list(tmp_path.iterdir())


def test_fetch_streams_an_export_and_counts_its_bad_lines(tmp_path):
    export = tmp_path / "posts.jsonl"
    good = [
        {"id": f"p{i}", "text": f"Kabar nomor {i} dari Omben.", "url": f"https://s.example/{i}"}
        for i in range(3)
    ]
    export.write_text(
        "\n".join([json.dumps(good[0]), "[" * 100_000, json.dumps(good[1]), '{"id": 1', json.dumps(good[2])])
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "items.jsonl"
    done = runner.invoke(app, ["fetch", "social_export", str(export), "-o", str(out)])
    assert done.exit_code == 0, done.output
    texts = [json.loads(line)["text"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert texts == [g["text"] for g in good]
    assert "too_deep 1" in done.output and "malformed 1" in done.output


def test_fetch_unknown_kind_lists_the_known_ones(tmp_path):
    out = runner.invoke(app, ["fetch", "carrier-pigeon", str(tmp_path / "x")])
    assert out.exit_code == 2 and "known:" in out.output and "rss" in out.output


def test_train_refuses_a_missing_labels_file(tmp_path):
    result = runner.invoke(
        app,
        [
            "train",
            "--data",
            str(tmp_path),
            "--out",
            str(tmp_path / "m"),
            "--labels",
            str(tmp_path / "verdicts.jsonl"),
        ],
    )
    assert result.exit_code == 2
    assert "verdicts.jsonl: no such file" in result.output


def test_run_rejects_an_unknown_runner_with_exit_2(tmp_path):
    result = runner.invoke(app, ["run", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--runner", "spark"])
    assert result.exit_code == 2
    assert "unknown task runner 'spark'" in result.output
