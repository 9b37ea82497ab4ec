"""`pantau report` and `pantau link` on a real SQLite database built with the storage functions.

The report page is in Bahasa Indonesia (labels from the message catalogue); the CLI's own lines stay English.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from flows.resources import engine_for, reset
from pantau.cli.main import app
from pantau.domain.config import SourceConfig
from pantau.domain.records import CollectedItem
from storage import claims as store
from storage import repository as repo
from storage.models import CounterNarrative, Review

runner = CliRunner()
EVIL = '<script>alert("x")</script> TPS Omben dibakar & "ditutup"'


def wib(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 11, day, hour - 7, minute, tzinfo=UTC)


@pytest.fixture
def db(tmp_path):
    """A hoax claim (first seen 25 Nov 10:00 WIB, reposted 26 Nov) answered by Polres at 13:30 WIB,
    and an unanswered claim on voting day."""
    reset()
    url = f"sqlite:///{tmp_path / 'report.db'}"
    with Session(engine_for(url)) as session, session.begin():
        ids = repo.sync_sources(
            session,
            [
                SourceConfig(name="social", kind="social_export", location="x.jsonl"),
                SourceConfig(name="polres", kind="rss", location="p.xml", actor="polres-sampang"),
            ],
        )
        social = repo.upsert_items(
            session,
            ids["social"],
            None,
            [
                CollectedItem(
                    source="social",
                    title=EVIL,
                    text="Sebarkan!",
                    published_at=wib(25, 10),
                    url="https://social.example/1",
                ),
                CollectedItem(
                    source="social",
                    text="TPS Omben dibakar lagi",
                    published_at=wib(26, 9),
                    url="https://social.example/2",
                ),
                CollectedItem(
                    source="social",
                    text="Amplop 100 ribu besok pagi",
                    published_at=wib(27, 8),
                    url="https://social.example/3",
                ),
            ],
        ).ids
        (debunk,) = repo.upsert_items(
            session,
            ids["polres"],
            None,
            [
                CollectedItem(
                    source="polres",
                    title="Kabar TPS Omben dibakar hoaks",
                    text="Tidak benar.",
                    published_at=wib(25, 13, 30),
                    url="https://polres.example/1",
                )
            ],
        ).ids
        repo.set_tags(
            session,
            [
                {"id": social[0], "stage": "quiet_period", "districts": ["Omben"]},
                {"id": social[1], "stage": "quiet_period", "districts": ["Omben"]},
                {"id": social[2], "stage": "voting_day", "districts": ["Torjun"]},
            ],
        )
        hoax = store.create_claim(session, EVIL)
        store.assign_items(session, hoax, social[:2])
        money = store.create_claim(session, "amplop")
        store.assign_items(session, money, social[2:])
        store.link_counter_narrative(
            session,
            claim_id=hoax,
            item_id=debunk,
            actor="Polres Sampang",
            actor_category="polres",
            published_at=wib(25, 13, 30),
            confidence=0.9,
            attribution="source",
        )
        store.refresh_claim_spread(session, [hoax, money])
    yield url, {"hoax": hoax, "money": money, "debunk": debunk, "social": social}
    reset()


def _csv(path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), f"{path.name} has no UTF-8 byte-order mark"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_report_writes_escaped_html_charts_and_csv(db, tmp_path):
    url, ids = db
    out = tmp_path / "out"
    result = runner.invoke(app, ["report", "--db", url, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 claims, 1 answered (50%), median 3.5 h" in result.output
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert page.count("<svg") == 4
    assert "2024-11-25 10:00 WIB" in page and "2024-11-25 13:30 WIB" in page and "Masa tenang" in page
    # Bahasa Indonesia, labels in words: the category, the basis of the first answer, unanswered claims
    assert '<html lang="id">' in page and "Laporan hasil Pantau: Sampang" in page
    assert "Siapa yang menjawab" in page and "Who answered" not in page and "not answered" not in page
    assert "<td>Polres</td>" in page and "<td>polres</td>" not in page and "belum dijawab" in page
    assert 'Polres Sampang <span class="basis">(sumber)</span>' in page
    assert "Klaim dijawab, per kategori aktor" in page and "Media dan pemeriksa fakta" in page  # the chart
    claims = {int(r["claim_id"]): r for r in _csv(out / "claims.csv")}
    hoax = claims[ids["hoax"]]
    assert hoax["hours_to_first_answer"] == "3.50" and hoax["first_answer_actor"] == "Polres Sampang"
    assert hoax["first_answer_utc"] == "2024-11-25T06:30:00+00:00" and hoax["kept_spreading"] == "1"
    assert (hoax["first_answer_attribution"], hoax["first_answer_basis"]) == ("source", "sumber")
    assert hoax["stage_label"] == "Masa tenang"
    assert hoax["canonical_text"].startswith("<script>")  # CSV keeps the text as it is
    assert claims[ids["money"]]["answered"] == "0" and claims[ids["money"]]["stage"] == "voting_day"
    (actor,) = _csv(out / "actors.csv")
    assert actor == {
        "actor": "Polres Sampang",
        "category": "polres",
        "category_label": "Polres",
        "basis": "sumber",
        "claims_answered": "1",
        "first_answers": "1",
        "median_hours_to_answer": "3.50",
    }
    stages = {r["stage"]: r for r in _csv(out / "stages.csv")}
    assert stages["quiet_period"]["answered_share"] == "1.000" and stages["all"]["claims"] == "2"
    assert stages["all"]["stage_label"] == "Semua tahapan"


def test_report_filters_and_formats(db, tmp_path):
    url, ids = db
    out = tmp_path / "voting"
    result = runner.invoke(
        app, ["report", "--db", url, "-o", str(out), "--stage", "voting_day", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    assert not (out / "report.html").exists()
    assert [r["claim_id"] for r in _csv(out / "claims.csv")] == [str(ids["money"])]
    result = runner.invoke(app, ["report", "--db", url, "-o", str(out), "--until", "2024-11-26"])
    assert result.exit_code == 0 and "1 claims, 1 answered" in result.output
    result = runner.invoke(app, ["report", "--db", url, "-o", str(out), "--format", "pdf"])
    assert result.exit_code == 2 and "--format" in result.output
    result = runner.invoke(app, ["report", "--db", url, "-o", str(out), "--stage", "nope"])
    assert result.exit_code == 2 and "configured stages" in result.output
    empty = tmp_path / "empty"
    result = runner.invoke(app, ["report", "--db", url, "-o", str(empty), "--since", "2025-01-01"])
    assert result.exit_code == 0
    assert "Tidak ada klaim dalam pilihan ini" in (empty / "report.html").read_text()


def test_link_reject_and_confirm_write_reviews_and_change_the_report(db, tmp_path):
    url, ids = db
    args = [
        "link",
        "reject",
        str(ids["hoax"]),
        str(ids["debunk"]),
        "--user",
        "ana",
        "--org",
        "Kabar Sampang",
        "--db",
        url,
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "rejected by ana (Kabar Sampang)" in result.output
    result = runner.invoke(app, ["report", "--db", url, "-o", str(tmp_path / "r")])
    assert "2 claims, 0 answered" in result.output
    # The reviewer changes their mind: confirming brings the link back, confirmed.
    result = runner.invoke(
        app, ["link", "confirm", str(ids["hoax"]), str(ids["debunk"]), "--user", "budi", "--db", url]
    )
    assert result.exit_code == 0 and "confirmed by budi" in result.output
    result = runner.invoke(app, ["report", "--db", url, "-o", str(tmp_path / "r"), "--confirmed-only"])
    assert "2 claims, 1 answered" in result.output
    with Session(engine_for(url)) as s:
        assert [(r.action, r.user) for r in s.scalars(select(Review).order_by(Review.id))] == [
            ("link_reject", "ana"),
            ("link_confirm", "budi"),
        ]
        assert s.scalars(select(CounterNarrative)).one().confirmed
    # A link matching missed, made by hand: the actor comes from the bundled config (polres-sampang).
    result = runner.invoke(
        app,
        [
            "link",
            "confirm",
            str(ids["money"]),
            str(ids["debunk"]),
            "--user",
            "ana",
            "--org",
            "Kabar Sampang",
            "--db",
            url,
        ],
    )
    assert result.exit_code == 0 and "(Polres Sampang): confirmed" in result.output
    result = runner.invoke(app, ["report", "--db", url, "-o", str(tmp_path / "r2"), "--confirmed-only"])
    page = (tmp_path / "r2" / "report.html").read_text(encoding="utf-8")
    assert "hanya tautan yang dikonfirmasi" in page.lower()
    # Polres's own feed published the debunk: credited on its source, whoever confirmed the link.
    money = {int(r["claim_id"]): r for r in _csv(tmp_path / "r2" / "claims.csv")}[ids["money"]]
    assert (money["first_answer_basis"], money["first_answer_confirmed_by"]) == ("sumber", "Kabar Sampang")
    with Session(engine_for(url)) as s:
        made = s.scalars(select(CounterNarrative).where(CounterNarrative.claim_id == ids["money"])).one()
        assert (made.link_method, made.actor_category, made.confirmed) == ("reviewer", "polres", True)
    result = runner.invoke(app, ["link", "confirm", "999", str(ids["debunk"]), "--user", "x", "--db", url])
    assert result.exit_code == 1 and "claim 999 does not exist" in result.output
