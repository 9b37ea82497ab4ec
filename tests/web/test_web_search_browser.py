"""The item search in headless Chromium (Debian's /usr/bin/chromium, the session's ``browser`` and
``live_server`` from conftest.py): an analyst searches from the menu, sees the matches in ``<mark>``,
and the scraped script in a matching item stays inert. The screenshot goes to tests/artifacts/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from webfixtures import PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture
def page(browser, live_server) -> Iterator:
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="id-ID"
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    dialogs: list[str] = []
    tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    tab.dialogs = dialogs
    yield tab
    context.close()


def test_analyst_searches_and_sees_highlights(page, live_server):
    page.goto("/")
    page.get_by_label("Nama pengguna").fill("analis_bawaslu")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Cari", exact=True).click()
    page.get_by_role("heading", name="Cari item").wait_for()
    page.get_by_label("Cari teks").fill("DIBAKAR")
    page.get_by_role("button", name="Terapkan").click()
    page.wait_for_url("**/search?*q=DIBAKAR*")
    hits = page.locator("ol.search-hits > li")
    assert hits.count() == 1
    marks = hits.first.locator("p.snippet mark")
    assert marks.count() >= 1 and {m.lower() for m in marks.all_inner_texts()} == {"dibakar"}
    # the scraped <script>, <img onerror> and javascript: link are text, not elements
    assert "<img src=x onerror=alert(1)>" in hits.first.locator("p.snippet").inner_text()
    assert page.locator("ol.search-hits script, ol.search-hits img").count() == 0
    assert page.dialogs == [] and page.title() != "diretas"
    page.screenshot(path=str(ARTIFACTS / "search-highlight.png"), full_page=True)
