"""The review queue in the web app: priority order, the item's full picture, every action, the lock, the
append-only trail, and verdicts exported as training labels."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session
from typer.testing import CliRunner
from webfixtures import NOW, csrf_from

from pantau.cli.main import app as cli
from storage import review_labels
from storage import review_queue as rq
from storage.models import Alert, CounterLink, Escalation, Review


def _queue_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'class="title" href="/items/(\d+)"', html)]


def _post(client, item_id: int, action: str, **data):
    token = csrf_from(client.get(f"/items/{item_id}").text)
    return client.post(f"/items/{item_id}/{action}", data=data | {"csrf_token": token})


def _reviews(engine, item_id: int) -> list[Review]:
    with Session(engine) as session:
        return list(session.scalars(select(Review).where(Review.item_id == item_id).order_by(Review.id)))


def _statuses(engine, item_id: int) -> set[str]:
    with Session(engine) as session:
        return set(session.scalars(select(Alert.status).where(Alert.item_id == item_id)))


def test_queue_is_ordered_by_severity_stage_and_spread(make_client, seeded):
    html = make_client("peninjau_a").get("/queue").text
    ids = seeded.items
    assert _queue_ids(html) == [ids["tps_omben"], ids["fajar"], ids["ancaman"], ids["xss"], ids["sara"]]
    assert "5 item" in html and "Sebaran: 2 sumber" in html
    assert "Pemungutan suara" in html and "Hoaks" in html


def test_queue_filters(make_client, seeded):
    client = make_client("peninjau_a")
    assert _queue_ids(client.get("/queue?signal=vote_buying").text) == [seeded.items["fajar"]]
    assert _queue_ids(client.get("/queue?district=Torjun").text) == [seeded.items["ancaman"]]
    assert _queue_ids(client.get("/queue?stage=campaign").text) == [
        seeded.items["ancaman"],
        seeded.items["xss"],
        seeded.items["sara"],
    ]
    assert _queue_ids(client.get("/queue?escalated=1").text) == []
    assert client.get("/queue?signal=bogus&page=x").status_code == 200  # unknown values are ignored


def test_item_page_shows_why_it_was_flagged(make_client, seeded):
    html = make_client("peninjau_a").get(f"/items/{seeded.items['fajar']}").text
    for expected in (
        "Politik uang",
        "88%",
        "serangan fajar; amplop",
        "Kedungdung",
        "Masa tenang",
        "Indonesia",
        "grup-wa",
        "Simpan putusan",
        "amplop 100 ribu",
    ):
        assert expected in html, expected


def test_verdict_resolves_the_item_and_lands_in_the_trail(app, make_client, seeded):
    client = make_client("peninjau_a")
    item = seeded.items["tps_omben"]
    response = _post(client, item, "verdict", verdict="hoax", note="KPU membantah")
    assert response.status_code == 200 and "Putusan tersimpan." in response.text
    assert item not in _queue_ids(response.text)
    assert _statuses(app.state.ctx.engine, item) == {"resolved"}
    review, *rest = _reviews(app.state.ctx.engine, item)
    assert [r.action for r in rest] == ["claim_start"]  # a hoax verdict starts a claim for the item
    assert (review.user, review.organisation, review.action, review.verdict, review.note) == (
        "peninjau_a",
        "Redaksi Kabar Sampang",
        "verdict",
        "hoax",
        "KPU membantah",
    )
    page = client.get(f"/items/{item}").text
    assert "KPU membantah" in page and "Putusan" in page


def test_invalid_verdict_is_refused(app, make_client, seeded):
    client = make_client("peninjau_a")
    response = _post(client, seeded.items["fajar"], "verdict", verdict="mungkin")
    assert "Pilih salah satu putusan." in response.text
    assert _reviews(app.state.ctx.engine, seeded.items["fajar"]) == []
    assert _statuses(app.state.ctx.engine, seeded.items["fajar"]) == {"open"}


def test_lock_keeps_a_second_reviewer_off(app, make_client, seeded):
    first, second = make_client("peninjau_a"), make_client("peninjau_b")
    item = seeded.items["ancaman"]
    assert "Simpan putusan" in first.get(f"/items/{item}").text
    assert "Simpan putusan" in second.get(f"/items/{item}").text  # viewing locks nothing
    _post(first, item, "note", note="Saya cek ke Polres")  # acting does
    page = second.get(f"/items/{item}").text
    assert "sedang ditinjau oleh peninjau_a" in page and "Simpan putusan" not in page
    assert "Sedang ditinjau oleh peninjau_a" in second.get("/queue").text
    token = csrf_from(page)
    refused = second.post(f"/items/{item}/verdict", data={"verdict": "true", "csrf_token": token})
    assert "sedang ditinjau oleh peninjau_a" in refused.text
    assert [r.action for r in _reviews(app.state.ctx.engine, item)] == ["note"]
    _post(first, item, "release")
    assert "Simpan putusan" in second.get(f"/items/{item}").text


def test_lock_expires(web_engine, seeded):
    a = rq.Actor(seeded.users["peninjau_a"], "peninjau_a", "Redaksi Kabar Sampang")
    b = rq.Actor(seeded.users["peninjau_b"], "peninjau_b", "Redaksi Kabar Sampang")
    item = seeded.items["sara"]
    with Session(web_engine) as session, session.begin():
        rq.acquire_lock(session, item, a, now=NOW)
        with pytest.raises(rq.ItemLockedError) as err:
            rq.acquire_lock(session, item, b, now=NOW + timedelta(minutes=14))
        assert err.value.holder == "peninjau_a"
        rq.acquire_lock(session, item, b, now=NOW + rq.LOCK_TTL + timedelta(seconds=1))
        assert rq.item_detail(session, item, now=NOW + timedelta(minutes=16)).lock_holder == "peninjau_b"


def test_note_and_counter_narrative_links(app, make_client, seeded):
    client = make_client("peninjau_a")
    item = seeded.items["tps_omben"]
    assert "Catatan tersimpan." in _post(client, item, "note", note="Menunggu konfirmasi KPU").text
    bad = _post(client, item, "counter", url="javascript:alert(1)")
    assert "harus berupa alamat http(s)" in bad.text
    assert "Isi tautan kontra-narasi" in _post(client, item, "counter").text
    assert "Isi tautan kontra-narasi" in _post(client, item, "counter", counter_item_id=str(item)).text
    ok = _post(client, item, "counter", url="https://kabar.example/cek-fakta/tps-5-omben")
    assert "Kontra-narasi ditautkan." in ok.text
    by_item = _post(client, item, "counter", counter_item_id=str(seeded.items["klarifikasi"]))
    assert f'href="/items/{seeded.items["klarifikasi"]}"' in by_item.text
    assert 'href="https://kabar.example/cek-fakta/tps-5-omben"' in by_item.text
    with Session(app.state.ctx.engine) as session:
        links = session.scalars(select(CounterLink).where(CounterLink.item_id == item)).all()
    assert [(c.url, c.counter_item_id) for c in links] == [
        ("https://kabar.example/cek-fakta/tps-5-omben", None),
        (None, seeded.items["klarifikasi"]),
    ]
    actions = [r.action for r in _reviews(app.state.ctx.engine, item)]
    # linking an answer makes the item a claim (started once) and records the answer on it
    assert actions == ["note", "counter_narrative", "claim_start", "link_url", "counter_narrative"]
    assert _statuses(app.state.ctx.engine, item) == {"open"}  # still in the queue until a verdict


def test_escalation_reaches_the_other_organisation(app, make_client, seeded):
    client = make_client("peninjau_a")
    item = seeded.items["fajar"]
    bawaslu = seeded.orgs["Bawaslu Sampang"]
    assert "Bawaslu Sampang" in client.get(f"/items/{item}").text
    response = _post(client, item, "escalate", organisation_id=str(bawaslu), note="Dugaan politik uang")
    assert "Item dieskalasi." in response.text
    own_org = seeded.orgs["Redaksi Kabar Sampang"]
    own = _post(client, seeded.items["sara"], "escalate", organisation_id=str(own_org))
    assert "pilih organisasi lain" in own.text
    with Session(app.state.ctx.engine) as session:
        assert session.scalars(select(Escalation.to_organisation_id)).all() == [bawaslu]
    assert _statuses(app.state.ctx.engine, item) == {"acknowledged"}
    other = make_client("admin_bawaslu").get("/queue?escalated=1").text
    assert _queue_ids(other) == [item] and "Dieskalasi ke organisasi Anda" in other


def test_dismiss_takes_the_item_off_the_queue(app, make_client, seeded):
    client = make_client("admin_redaksi")
    item = seeded.items["sara"]
    response = _post(client, item, "dismiss")
    assert "Item diabaikan." in response.text and item not in _queue_ids(response.text)
    assert _statuses(app.state.ctx.engine, item) == {"dismissed"}


def test_unknown_item_and_action(make_client):
    client = make_client("peninjau_a")
    assert client.get("/items/999999").status_code == 404
    token = csrf_from(client.get("/queue").text)
    response = client.post("/items/999999/verdict", data={"verdict": "hoax", "csrf_token": token})
    assert response.status_code == 404


def test_trail_is_append_only(app, make_client, seeded):
    _post(make_client("peninjau_a"), seeded.items["fajar"], "note", note="catatan")
    with Session(app.state.ctx.engine) as session, pytest.raises(DatabaseError, match="append-only"):
        session.execute(text("UPDATE reviews SET note = 'diubah'"))


def test_verdicts_become_training_labels(app, make_client, seeded, tmp_path):
    client = make_client("peninjau_a")
    ids = seeded.items
    _post(client, ids["tps_omben"], "verdict", verdict="true")
    _post(client, ids["tps_omben"], "verdict", verdict="hoax")  # the latest verdict wins
    _post(client, ids["fajar"], "verdict", verdict="tension_no_hoax")
    _post(client, ids["sara"], "verdict", verdict="not_checkable")  # teaches nothing: left out
    with Session(app.state.ctx.engine) as session:
        rows = list(review_labels.verdict_labels(session))
    assert [(r["id"], r["hoax"], r["verdict"]) for r in rows] == [
        (f"item:{ids['tps_omben']}", 1, "hoax"),
        (f"item:{ids['fajar']}", 0, "tension_no_hoax"),
    ]
    assert rows[0]["text"].startswith("TPS 5 Omben dipindah")
    assert rows[0]["group"] == "review:Redaksi Kabar Sampang"

    out = tmp_path / "labels.jsonl"
    url = str(app.state.ctx.engine.url)
    result = CliRunner().invoke(cli, ["labels", "export", "-o", str(out), "--db", url])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines == rows
