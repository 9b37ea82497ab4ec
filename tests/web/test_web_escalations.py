"""Escalations that arrive, through the real app: a verdict does not end an escalation, the receiving
organisation sees it in its escalated view (sender, age) and in the count on every page until a member
acknowledges ("Terima") or closes ("Tutup") it; nobody else may, and the forms are CSRF-protected."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from webfixtures import PASSWORD, csrf_from

from pantau.domain.config import NotificationsConfig
from pantau.web.auth import hash_password
from storage import accounts
from storage.models import Escalation, NotificationDelivery, Review


def _queue_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'class="title" href="/items/(\d+)"', html)]


def _post(client, path: str, page: str, **data):
    token = csrf_from(client.get(page).text)
    return client.post(path, data=data | {"csrf_token": token})


def _count(html: str) -> int | None:
    match = re.search(
        r'href="/queue\?escalated=1" class="esc-count"[^>]*>Eskalasi '
        r'<span class="badge esc">(\d+)<',
        html,
    )
    return int(match.group(1)) if match else None


@pytest.fixture
def polres(web_engine, seeded):
    """A reviewer of Polres Sampang (the seed has none)."""
    with Session(web_engine) as session, session.begin():
        accounts.create_user(
            session, "reskrim_polres", hash_password(PASSWORD), "reviewer", seeded.orgs["Polres Sampang"]
        )
    return "reskrim_polres"


def _escalate(client, item: int, org: int, note: str = "Ancaman pembakaran kantor desa"):
    return _post(client, f"/items/{item}/escalate", f"/items/{item}", organisation_id=str(org), note=note)


def test_escalation_survives_the_verdict_until_the_receiver_acknowledges(app, make_client, seeded, polres):
    newsroom, police = make_client("peninjau_a"), make_client(polres)
    item, polres_id = seeded.items["ancaman"], seeded.orgs["Polres Sampang"]
    assert _count(police.get("/queue").text) == 0
    assert "Item dieskalasi." in _escalate(newsroom, item, polres_id).text
    verdict = _post(newsroom, f"/items/{item}/verdict", f"/items/{item}", verdict="tension_no_hoax")
    assert "Putusan tersimpan." in verdict.text and item not in _queue_ids(verdict.text)

    view = police.get("/queue?escalated=1").text
    assert _queue_ids(view) == [item] and "Dieskalasi ke organisasi Anda" in view
    assert "Dieskalasi oleh peninjau_a (Redaksi Kabar Sampang) · umur 0 menit" in view
    assert _count(view) == 1 and _count(police.get("/account").text) == 1  # on every page
    assert _count(newsroom.get("/queue").text) == 0  # the sender's organisation has none
    page = police.get(f"/items/{item}").text
    assert "Terima" in page and "Tutup" in page and "Terbuka" in page
    assert "Terima" not in newsroom.get(f"/items/{item}").text  # only the receiver gets the forms

    [escalation_id] = re.findall(rf"/items/{item}/escalations/(\d+)/acknowledge", page)
    done = _post(police, f"/items/{item}/escalations/{escalation_id}/acknowledge", f"/items/{item}")
    assert "Eskalasi diterima." in done.text and "Diterima" in done.text
    assert "oleh reskrim_polres" in done.text
    assert _queue_ids(police.get("/queue?escalated=1").text) == [] and _count(done.text) == 0
    again = _post(police, f"/items/{item}/escalations/{escalation_id}/acknowledge", f"/items/{item}")
    assert "Eskalasi ini sudah diterima." in again.text
    closed = _post(
        police,
        f"/items/{item}/escalations/{escalation_id}/close",
        f"/items/{item}",
        note="Sudah ditangani Polsek Torjun",
    )
    assert "Eskalasi ditutup." in closed.text and "Sudah ditangani Polsek Torjun" in closed.text
    with Session(app.state.ctx.engine) as session:
        row = session.get(Escalation, int(escalation_id))
        assert (row.status, row.resolved_by, row.resolution_note) == (
            "closed",
            "reskrim_polres",
            "Sudah ditangani Polsek Torjun",
        )
        actions = session.scalars(
            select(Review.action).where(Review.item_id == item).order_by(Review.id)
        ).all()
    assert [a for a in actions if a.startswith("escalat")] == [
        "escalate",
        "escalation_acknowledged",
        "escalation_closed",
    ]
    assert "Eskalasi diterima" in closed.text and "Eskalasi ditutup" in closed.text  # the trail, in words


def test_only_the_receiving_organisation_may_acknowledge(app, make_client, seeded, polres):
    newsroom = make_client("peninjau_a")
    item = seeded.items["fajar"]
    _escalate(newsroom, item, seeded.orgs["Polres Sampang"])
    with Session(app.state.ctx.engine) as session:
        escalation_id = session.scalars(select(Escalation.id)).one()
    path = f"/items/{item}/escalations/{escalation_id}/acknowledge"
    for name in ("peninjau_b", "admin_bawaslu"):  # the sender's colleague, an admin of another organisation
        refused = _post(make_client(name), path, f"/items/{item}")
        assert refused.status_code == 403 and "Hanya organisasi penerima" in refused.text
    police = make_client(polres)
    no_token = police.post(path, data={})
    assert no_token.status_code == 403
    wrong_item = _post(
        police, f"/items/{seeded.items['sara']}/escalations/{escalation_id}/acknowledge", f"/items/{item}"
    )
    assert wrong_item.status_code == 404
    bogus = _post(police, f"/items/{item}/escalations/{escalation_id}/bogus", f"/items/{item}")
    assert bogus.status_code == 404
    analyst = make_client("analis_bawaslu")
    token = csrf_from(analyst.get(f"/items/{item}").text)
    assert analyst.post(path, data={"csrf_token": token}).status_code == 403
    with Session(app.state.ctx.engine) as session:
        assert session.get(Escalation, escalation_id).status == "open"


def test_a_new_escalation_queues_notifications_for_the_configured_channels(app, make_client, seeded):
    app.state.ctx.notifications = NotificationsConfig.model_validate(
        {
            "telegram": {"chat_id": "-100polres", "organisations": ["Polres Sampang"]},
            "webhook": {"url": "https://forum.example/hook", "organisations": ["Bawaslu Sampang"]},
        }
    )
    _escalate(make_client("peninjau_a"), seeded.items["fajar"], seeded.orgs["Polres Sampang"])
    with Session(app.state.ctx.engine) as session:
        rows = session.execute(
            select(
                NotificationDelivery.channel,
                NotificationDelivery.status,
                NotificationDelivery.escalation_id.is_not(None),
            )
        ).all()
    assert rows == [("telegram:-100polres", "pending", True)]  # routed: not Bawaslu's webhook
