"""Alerts show what the post says (issue 15, deliverable 8): the alerts table, alerts.csv and
/api/v1/alerts carry the item's snippet (title, else the start of its text; escaped on the page) with the
model's reason in its own column; `pantau alerts --format json` warns on stderr when --limit cut it.

Real parts: the seeded SQLite database of ``conftest.py``, the app through Starlette's test client, the CLI
through its Typer app.
"""

from __future__ import annotations

import csv
import io
import json
import re

from sqlalchemy.orm import Session
from typer.testing import CliRunner
from webfixtures import NOW

from flows.resources import engine_for, reset
from pantau.cli.main import app as cli
from pantau.domain.config import SourceConfig
from pantau.domain.records import CollectedItem
from storage import accounts
from storage import repository as repo

# An untitled post: markup, runs of whitespace, longer than a snippet.
HOSTILE = (
    "  <b>Kotak</b>   suara\n\nTPS 9 Camplong   <script>alert(1)</script> sudah dicoblos semalam. "
    + "Sebarkan ke semua grup " * 12
)
REASON = "hoax 0.91 ≥ 0.60: pesan berantai, sudah dicoblos"


def _expected_snippet() -> str:
    flat = " ".join(HOSTILE.split())
    return flat[:199].rstrip() + "…"


def _add_untitled_alert(engine) -> int:
    with Session(engine) as session, session.begin():
        src = repo.sync_sources(
            session, [SourceConfig(name="grup-wa", kind="social_export", location="posts.jsonl")]
        )
        (item_id,) = repo.upsert_items(
            session,
            src["grup-wa"],
            None,
            [
                CollectedItem(
                    source="grup-wa", title=None, text=HOSTILE, url="https://wa.example/9", published_at=NOW
                )
            ],
            now=NOW,
        ).ids
        repo.raise_alert(
            session,
            kind="flagged_item",
            severity="critical",
            signal="hoax",
            item_id=item_id,
            stage="voting_day",
            district="Camplong",
            reason=REASON,
            dedupe_key=f"flagged_item:{item_id}:hoax",
            now=NOW,
        )
    return item_id


def test_alerts_table_shows_the_escaped_snippet_and_the_reason_apart(app, make_client, seeded):
    item_id = _add_untitled_alert(app.state.ctx.engine)
    page = make_client("analis_bawaslu").get("/alerts?district=Camplong").text
    expected = _expected_snippet()
    assert 190 < len(expected) <= 200 and expected.endswith("…")
    escaped = expected.replace("<", "&lt;").replace(">", "&gt;")
    cell = re.search(r'<td class="snippet"><a href="/items/(\d+)">([^<]*)</a></td>', page)
    assert cell and int(cell.group(1)) == item_id and cell.group(2) == escaped
    assert "<script>alert(1)" not in page and "<b>Kotak" not in page
    assert f'<td class="reason">Hoaks{REASON.removeprefix("hoax")}</td>' in page  # the code in words
    # the seeded untitled vote-buying post: its text, not the model's reason, in the item column
    fajar = make_client("analis_bawaslu").get("/alerts?district=Kedungdung").text
    assert re.search(r'<td class="snippet"><a href="/items/\d+">Besok pagi ada serangan fajar', fajar)
    assert '<td class="reason">Politik uang 0.88: serangan fajar, amplop</td>' in fajar


def test_alerts_csv_and_api_carry_the_snippet_and_keep_the_reason(app, make_client, seeded):
    item_id = _add_untitled_alert(app.state.ctx.engine)
    response = make_client("analis_bawaslu").get("/alerts.csv?district=Camplong")
    assert response.content.startswith(b"\xef\xbb\xbf")
    (row,) = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert int(row["item_id"]) == item_id and row["item_title"] == ""
    assert row["item_snippet"] == _expected_snippet() and row["reason"] == REASON

    with Session(app.state.ctx.engine) as session, session.begin():
        token = accounts.create_api_token(
            session, accounts.account_by_username(session, "analis_bawaslu").id, "t"
        )
    client = make_client(None)
    body = client.get("/api/v1/alerts?district=Camplong", headers={"Authorization": f"Bearer {token}"}).json()
    (alert,) = body["alerts"]
    assert alert["item_snippet"] == _expected_snippet() and alert["reason"] == REASON
    titled = client.get("/api/v1/alerts?district=Omben", headers={"Authorization": f"Bearer {token}"}).json()
    assert titled["alerts"][0]["item_snippet"] == "TPS 5 Omben dipindah ke balai desa, kata pesan berantai"
    schema = client.get("/api/v1/openapi.json", headers={"Authorization": f"Bearer {token}"}).json()
    assert "item_snippet" in schema["components"]["schemas"]["Alert"]["properties"]


def _cli_db(tmp_path, n: int) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    with Session(engine_for(url)) as s, s.begin():
        ids = repo.sync_sources(s, [SourceConfig(name="t", kind="rss", location="x")])
        stored = repo.upsert_items(
            s,
            ids["t"],
            None,
            [CollectedItem(source="t", text=f"teks {i}", url=f"https://t.example/{i}") for i in range(n)],
        ).new_ids
        for item_id in stored:
            repo.raise_alert(
                s,
                kind="flagged_item",
                severity="high",
                reason="hoax 0.9",
                signal="hoax",
                dedupe_key=f"flagged_item:{item_id}:hoax",
                item_id=item_id,
            )
    return url


def test_cli_json_warns_on_stderr_when_the_limit_cut_the_output(tmp_path):
    reset()
    try:
        url = _cli_db(tmp_path, 5)
        runner = CliRunner()
        cut = runner.invoke(cli, ["alerts", "--db", url, "--format", "json", "--limit", "2"])
        assert cut.exit_code == 0, cut.output
        lines = cut.stdout.splitlines()
        assert len(lines) == 2 and all(json.loads(line)["signal"] == "hoax" for line in lines)
        assert "warning: showing 2 of 5 alerts; raise --limit" in cut.stderr
        whole = runner.invoke(cli, ["alerts", "--db", url, "--format", "json", "--limit", "5"])
        assert len(whole.stdout.splitlines()) == 5 and whole.stderr == ""
    finally:
        reset()
