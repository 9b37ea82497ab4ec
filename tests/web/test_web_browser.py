"""Browser tests in headless Chromium (Debian's /usr/bin/chromium driven by Playwright) against the app
served by uvicorn: a reviewer and an analyst do their jobs as new users would, roles are refused, and
injected scripts stay inert. Screenshots of the main pages go to tests/artifacts/ (ignored by git).

Without Chromium these tests fail (they do not skip): CI installs it (see .ci/run).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from webfixtures import PASSWORD, LiveServer

from storage.models import Alert, CounterLink, Review

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"  # the browser fixture is in conftest.py


@pytest.fixture
def page(browser, live_server: LiveServer) -> Iterator:
    context = browser.new_context(
        base_url=live_server.url,
        accept_downloads=True,
        viewport={"width": 1280, "height": 900},
        locale="id-ID",
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    dialogs: list[str] = []
    tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    tab.dialogs = dialogs
    yield tab
    context.close()


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/")
    assert "/login" in page.url
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_load_state()


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_reviewer_works_the_queue(page, live_server):
    sign_in(page, "peninjau_a")
    assert page.url.endswith("/queue")
    page.get_by_role("heading", name="Antrean tinjauan").wait_for()
    shot(page, "01-queue")
    first = page.locator("ol.queue a.title").first
    title = first.inner_text()
    first.click()
    page.get_by_role("heading", name="Skor dan alasannya").wait_for()
    assert page.locator("table.scores").inner_text().strip()
    shot(page, "02-item")
    item_id = int(page.url.rstrip("/").rsplit("/", 1)[1])

    page.get_by_label("Tautan yang Anda terbitkan").fill("https://kabar.example/cek-fakta/klarifikasi-kpu")
    page.get_by_role("button", name="Tautkan").click()
    page.get_by_text("Kontra-narasi ditautkan.").wait_for()

    page.get_by_label("Hoaks", exact=True).check()
    page.locator("form[action$='/verdict'] textarea[name=note]").fill("Dibantah KPU Sampang")
    page.get_by_role("button", name="Simpan putusan").click()
    page.get_by_text("Putusan tersimpan.").wait_for()
    assert page.url.endswith("/queue")
    assert title not in [t.strip() for t in page.locator("ol.queue a.title").all_inner_texts()]
    shot(page, "03-queue-after-verdict")

    with Session(live_server.engine) as session:
        actions = session.scalars(select(Review.action).where(Review.item_id == item_id).order_by(Review.id))
        # the link made the item a claim and recorded the URL answer; the hoax verdict keeps the claim
        assert list(actions) == ["counter_narrative", "claim_start", "link_url", "verdict"]
        assert session.scalars(select(CounterLink.url).where(CounterLink.item_id == item_id)).all() == [
            "https://kabar.example/cek-fakta/klarifikasi-kpu"
        ]
        assert set(session.scalars(select(Alert.status).where(Alert.item_id == item_id))) == {"resolved"}


def test_analyst_filters_and_exports(page, live_server, tmp_path):
    sign_in(page, "analis_bawaslu")
    assert page.url.endswith("/alerts")
    shot(page, "04-alerts")
    page.get_by_label("Sinyal").select_option(label="Politik uang")
    page.get_by_label("Kecamatan").select_option("Kedungdung")
    page.get_by_role("button", name="Terapkan").click()
    page.wait_for_url("**/alerts?*signal=vote_buying*")
    rows = page.locator("table.alerts tbody tr")
    assert rows.count() == 1 and "Kedungdung" in rows.first.inner_text()
    shot(page, "05-alerts-filtered")
    with page.expect_download() as download:
        page.get_by_role("link", name="Unduh CSV").click()
    target = tmp_path / "export.csv"
    download.value.save_as(target)
    exported = list(csv.DictReader(target.open(encoding="utf-8")))
    assert [(r["signal"], r["district"]) for r in exported] == [("vote_buying", "Kedungdung")]

    page.get_by_role("link", name="Linimasa").click()
    page.get_by_role("heading", name="Linimasa per tahapan pemilihan").wait_for()
    assert page.get_by_role("rowheader", name="Pemungutan suara").count() == 1
    shot(page, "06-timeline")
    page.get_by_role("link", name="Kecamatan", exact=True).click()
    page.get_by_role("heading", name="Ketegangan per kecamatan").wait_for()
    shot(page, "07-districts")
    page.get_by_role("link", name="Hasil", exact=True).click()
    page.get_by_role("heading", name="Hasil kolaborasi").wait_for()
    shot(page, "07b-outcomes")


def test_roles_are_refused_in_the_browser(page):
    sign_in(page, "analis_bawaslu")
    page.goto("/queue")
    page.get_by_role("heading", name="Akses ditolak").wait_for()
    assert page.get_by_role("link", name="Antrean tinjauan").count() == 0  # not offered in the menu
    shot(page, "08-refused")
    page.get_by_role("button", name="Keluar").click()
    page.wait_for_url("**/login")
    sign_in(page, "peninjau_b")
    page.goto("/alerts")
    page.get_by_role("heading", name="Akses ditolak").wait_for()
    page.goto("/admin/users")
    page.get_by_role("heading", name="Akses ditolak").wait_for()


def test_injected_scripts_stay_inert(page, live_server):
    sign_in(page, "admin_redaksi")
    page.goto(f"/items/{live_server.seeded.items['xss']}")
    heading = page.locator("h1.item-title").inner_text()
    assert heading.startswith('<script>alert("judul")</script>')
    assert "onerror=alert(1)" in page.locator(".item-text").inner_text()
    assert page.title() != "diretas" and page.dialogs == []
    assert page.locator(".item-text img, .item-text script, .item-text a").count() == 0
    shot(page, "09-injection-inert")


def test_pages_fit_a_phone(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    phone = context.new_page()
    sign_in(phone, "peninjau_b")
    for path in ("/queue", f"/items/{live_server.seeded.items['sara']}"):
        phone.goto(path)
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, (path, overflow)
    shot(phone, "10-item-phone")
    phone.goto("/queue")
    shot(phone, "11-queue-phone")
    context.close()
