"""In headless Chromium (as tests/web/test_web_browser.py): a newsroom reviewer escalates a threat to
Polres and records a verdict; a Polres reviewer sees the open escalation in the page header and in the
escalated view, and acknowledges it. Screenshots go to tests/artifacts/."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from test_web_browser import page, shot, sign_in  # noqa: F401 - the page fixture is shared
from webfixtures import PASSWORD, LiveServer

from pantau.web.auth import hash_password
from storage import accounts
from storage.models import Escalation, User

POLRES_USER = "reskrim_polres"


def _polres_reviewer(live_server: LiveServer) -> None:
    with Session(live_server.engine) as session, session.begin():
        if session.scalars(select(User.id).where(User.username == POLRES_USER)).first() is None:
            accounts.create_user(
                session,
                POLRES_USER,
                hash_password(PASSWORD),
                "reviewer",
                live_server.seeded.orgs["Polres Sampang"],
            )


def test_an_escalation_arrives_at_polres(page, live_server):  # noqa: F811 - the imported fixture
    _polres_reviewer(live_server)
    item = live_server.seeded.items["ancaman"]
    sign_in(page, "peninjau_a")
    page.goto(f"/items/{item}")
    page.get_by_label("Organisasi").select_option(label="Polres Sampang")
    page.get_by_label("Alasan").fill("Ancaman membakar kantor desa di Torjun")
    page.get_by_role("button", name="Eskalasi", exact=True).click()
    page.get_by_text("Item dieskalasi.").wait_for()
    page.goto(f"/items/{item}")
    page.get_by_label("Ketegangan tanpa hoaks").check()
    page.get_by_role("button", name="Simpan putusan").click()
    page.get_by_text("Putusan tersimpan.").wait_for()
    page.get_by_role("button", name="Keluar").click()
    page.wait_for_url("**/login")

    sign_in(page, POLRES_USER)
    header = page.locator("header a.esc-count")
    assert header.inner_text().split() == ["Eskalasi", "1"]
    header.click()
    page.wait_for_url("**/queue?escalated=1")
    entry = page.locator("ol.queue li.entry")
    assert entry.count() == 1
    assert "Dieskalasi oleh peninjau_a (Redaksi Kabar Sampang)" in entry.first.inner_text()
    assert "umur" in entry.first.inner_text()
    shot(page, "12-escalated-view")
    entry.first.locator("a.title").click()
    page.get_by_role("heading", name="Eskalasi", exact=True).wait_for()
    page.get_by_role("button", name="Terima").click()
    page.get_by_text("Eskalasi diterima.").wait_for()
    assert page.locator("header a.esc-count").inner_text().split() == ["Eskalasi", "0"]
    assert "Diterima" in page.locator("#eskalasi").inner_text()
    shot(page, "13-escalation-acknowledged")
    with Session(live_server.engine) as session:
        row = session.scalars(select(Escalation).where(Escalation.item_id == item)).one()
        assert (row.status, row.resolved_by) == ("acknowledged", POLRES_USER)
