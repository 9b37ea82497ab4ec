"""Assignment and locks through the real app: viewing takes no lock (a reviewer opening 60 items in a row
blocks nobody), "Ambil" / "Tugaskan ke" make an owner that others see and cannot act past (admins can),
"Lepaskan" by the owner or an admin, and the "ditugaskan ke saya" filter."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from webfixtures import NOW, csrf_from

from pantau.domain.records import CollectedItem
from storage import repository as repo
from storage.models import ItemAssignment, Review, ReviewLock, Source


def _queue_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'class="title" href="/items/(\d+)"', html)]


def _post(client, item_id: int, action: str, **data):
    token = csrf_from(client.get(f"/items/{item_id}").text)
    return client.post(f"/items/{item_id}/{action}", data=data | {"csrf_token": token})


def _add_flagged_items(engine, n: int) -> list[int]:
    with Session(engine) as session, session.begin():
        source_id = session.scalars(select(Source.id).where(Source.name == "grup-wa")).one()
        ids = []
        for i in range(n):
            item = CollectedItem(
                source="grup-wa",
                title=None,
                text=f"Pesan berantai nomor {i} soal TPS.",
                url=f"https://wa.example/{i}",
                published_at=NOW - timedelta(minutes=i),
            )
            item_id = repo.upsert_items(session, source_id, None, [item], now=NOW).ids[0]
            repo.raise_alert(
                session,
                kind="flagged_item",
                severity="low",
                signal="hoax",
                item_id=item_id,
                reason="hoax 0.5",
                dedupe_key=f"bulk:{i}",
                now=NOW,
            )
            ids.append(item_id)
    return ids


def test_opening_sixty_items_blocks_nobody(app, make_client):
    ids = _add_flagged_items(app.state.ctx.engine, 60)
    curious, worker = make_client("peninjau_a"), make_client("peninjau_b")
    for item_id in ids:
        assert "Simpan putusan" in curious.get(f"/items/{item_id}").text
    queue = worker.get("/queue?page=1").text
    assert "Sedang ditinjau oleh" not in queue and "Ditugaskan ke peninjau_a" not in queue
    token = csrf_from(worker.get("/queue").text)
    for item_id in ids:
        page = worker.post(f"/items/{item_id}/note", data={"note": "dicek", "csrf_token": token})
        assert "Catatan tersimpan." in page.text, item_id
    with Session(app.state.ctx.engine) as session:
        notes = session.scalars(
            select(Review.item_id).where(Review.user == "peninjau_b", Review.action == "note")
        )
        assert sorted(notes) == sorted(ids)


def test_take_assign_and_release(app, make_client, seeded):
    a, b, admin = make_client("peninjau_a"), make_client("peninjau_b"), make_client("admin_redaksi")
    item = seeded.items["fajar"]
    assert "Item ditugaskan ke Anda." in _post(a, item, "take").text
    assert "Pemilik: <strong>peninjau_a</strong>" in b.get(f"/items/{item}").text
    assert "Ditugaskan ke peninjau_a" in b.get("/queue").text
    assert _queue_ids(a.get("/queue?mine=1").text) == [item] and _queue_ids(b.get("/queue?mine=1").text) == []

    page = b.get(f"/items/{item}").text
    assert "ditugaskan ke peninjau_a; hanya dia atau admin" in page and "Simpan putusan" not in page
    with Session(app.state.ctx.engine) as session:  # a's action lock from "Ambil" has run out
        session.execute(delete(ReviewLock))
        session.commit()
    refused = b.post(f"/items/{item}/verdict", data={"verdict": "hoax", "csrf_token": csrf_from(page)})
    assert "Item ini ditugaskan ke peninjau_a" in refused.text
    with Session(app.state.ctx.engine) as session:
        assert session.scalars(select(Review.id).where(Review.user == "peninjau_b")).all() == []
    assert (
        "Item ini ditugaskan ke peninjau_a"
        in b.post(f"/items/{item}/release", data={"csrf_token": csrf_from(page)}).text
    )  # not theirs to release

    other_org = seeded.users["admin_bawaslu"]
    assert "Hanya admin yang dapat menugaskan" in _post(a, item, "assign", user_id=str(other_org)).text
    handed = _post(a, item, "assign", user_id=str(seeded.users["peninjau_b"]))
    assert "Item ditugaskan ke peninjau_b." in handed.text
    assert _queue_ids(b.get("/queue?mine=1").text) == [item]
    assert "Simpan putusan" not in a.get(f"/items/{item}").text  # now b's

    admin_page = admin.get(f"/items/{item}").text
    assert "Sebagai admin Anda tetap dapat bertindak." in admin_page and "Lepaskan" in admin_page
    assert "Catatan tersimpan." in _post(admin, item, "note", note="admin memeriksa").text
    assert "Item ditugaskan ke admin_bawaslu." in _post(admin, item, "assign", user_id=str(other_org)).text
    assert "Item dilepaskan." in _post(admin, item, "release").text
    with Session(app.state.ctx.engine) as session:
        assert session.get(ItemAssignment, item) is None
    assert "Simpan putusan" in a.get(f"/items/{item}").text  # free again

    _post(b, item, "take")
    assert "Item dilepaskan." in _post(b, item, "release").text  # the owner lets go
    assert "Pemilik: belum ada" in a.get(f"/items/{item}").text
    assert "Item hanya dapat ditugaskan" in _post(a, item, "assign", user_id="x").text
    assert "tidak ditemukan" in _post(a, item, "assign", user_id="999999").text
    assert (
        "Item hanya dapat ditugaskan"
        in _post(a, item, "assign", user_id=str(seeded.users["analis_bawaslu"])).text
    )


def test_a_verdict_ends_the_assignment(app, make_client, seeded):
    a = make_client("peninjau_a")
    item = seeded.items["sara"]
    _post(a, item, "take")
    _post(a, item, "verdict", verdict="not_checkable")
    with Session(app.state.ctx.engine) as session:
        assert session.get(ItemAssignment, item) is None
    assert _queue_ids(a.get("/queue?mine=1").text) == []
