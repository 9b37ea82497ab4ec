"""A saved search in headless Chromium: an analyst saves the hoax filter from the alerts page, a new hoax
alert arrives (stored through the repository and found by the monitoring run's saved search step), the
notice reaches a local webhook through the real dispatch, the navigation shows "Tersimpan 1", and
opening the search applies its filter and clears the badge. Screenshot: tests/artifacts/.

The app runs on its own uvicorn server and database here (not the session's ``live_server``), so the
alert this test adds cannot change what other browser modules count.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy.orm import Session
from webfixtures import NOW, PASSWORD, SECRET, LiveServer, free_port, region_config, seed

from flows.notify.dispatch import dispatch
from flows.saved_search_step import match_saved_searches
from pantau.domain.config import SourceConfig
from pantau.domain.records import CollectedItem
from pantau.web.app import create_app
from storage import repository as repo
from storage.alerts import raise_alert
from storage.db import make_engine, migrate

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
pytestmark = pytest.mark.usefixtures("fresh_resources")


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    path = tmp_path_factory.mktemp("saved-live") / "web.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    seeded = seed(engine)
    port = free_port()
    config = uvicorn.Config(
        create_app(engine, secret_key=SECRET, config=region_config()),
        host="127.0.0.1",
        port=port,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield LiveServer(url=f"http://127.0.0.1:{port}", engine=engine, seeded=seeded)
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture
def hook() -> Iterator[tuple[str, list[dict]]]:
    bodies: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server naming
            bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", bodies
    server.shutdown()
    server.server_close()


def _new_hoax(engine) -> None:
    """A new post flagged as a hoax, stored as the monitoring run stores it."""
    with Session(engine) as session, session.begin():
        source = repo.sync_sources(
            session, [SourceConfig(name="grup-wa", kind="social_export", location="posts.jsonl", trust=0.2)]
        )["grup-wa"]
        item = CollectedItem(
            source="grup-wa",
            title=None,
            text="Beredar kabar surat suara di Omben sudah dicoblos sebelum hari H. Sebarkan!",
            url="https://wa.example/baru",
            published_at=NOW + timedelta(hours=2),
        )
        item_id = repo.upsert_items(session, source, None, [item]).ids[0]
        raise_alert(
            session,
            kind="flagged_item",
            severity="high",
            signal="hoax",
            item_id=item_id,
            district="Omben",
            reason="hoax 0.91: sebarkan",
            dedupe_key=f"flagged_item:{item_id}:hoax",
        )


def test_save_a_search_a_new_match_arrives_and_the_badge_and_webhook_show_it(browser, own_server, hook):
    url, bodies = hook
    context = browser.new_context(
        base_url=own_server.url, viewport={"width": 1280, "height": 900}, locale="id-ID"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("Nama pengguna").fill("analis_bawaslu")
        page.get_by_label("Kata sandi").fill(PASSWORD)
        page.get_by_role("button", name="Masuk").click()
        page.wait_for_url("**/alerts")
        page.locator("form.filters select[name=signal]").select_option("hoax")
        page.get_by_role("button", name="Terapkan").click()
        page.wait_for_url("**/alerts?signal=hoax*")
        page.get_by_label("Nama pencarian").fill("Hoaks baru <b>Sampang</b>")
        page.screenshot(path=str(ARTIFACTS / "saved-search-alerts.png"))
        page.get_by_role("button", name="Simpan pencarian ini").click()
        page.wait_for_url("**/saved")
        page.get_by_role("heading", name="Hoaks baru <b>Sampang</b>").wait_for()
        assert page.locator(".saved-count .badge").count() == 0

        _new_hoax(own_server.engine)
        config = region_config().model_dump(mode="json")
        config["notifications"] = {"webhook": {"url": url, "organisations": ["Bawaslu Sampang"]}}
        database = own_server.engine.url.render_as_string(hide_password=False)
        step = match_saved_searches(database, config)
        assert (step["matched"], step["notices"], step["queued"]) == (1, 1, 1)
        sent = dispatch(database, config["notifications"], env={}, wait_for_window=False)  # as the run does
        assert sent["saved_searches"] == 1
        notices = [n for body in bodies for n in body.get("saved_searches", [])]
        assert [(n["name"], n["new_matches"]) for n in notices] == [("Hoaks baru <b>Sampang</b>", 1)]

        page.reload()
        assert page.locator(".saved-count .badge").inner_text() == "1"
        page.get_by_text("Beredar kabar surat suara di Omben").wait_for()
        page.screenshot(path=str(ARTIFACTS / "saved-search-badge.png"), full_page=True)
        page.locator(".saved-search").get_by_role("button", name="Buka").click()
        page.wait_for_url("**/alerts?signal=hoax")
        assert page.locator(".saved-count .badge").count() == 0
        assert page.locator("select[name=signal]").input_value() == "hoax"
    finally:
        context.close()
