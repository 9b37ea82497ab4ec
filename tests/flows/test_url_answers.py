"""A counter-narrative a reviewer gave as a URL: the monitoring run fetches its page from a local HTTP
server, stores it, points the link at it and takes its publication time; failures are recorded and
retried later; non-public hosts are refused unless allowed (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from flows import url_answers
from flows.monitor import monitor
from flows.resources import engine_for
from pantau.domain.config import SourceConfig
from pantau.domain.records import CollectedItem
from storage import claims as claims_store
from storage import repository as repo
from storage.models import CounterNarrative, Item, Source

pytestmark = pytest.mark.usefixtures("fresh_resources")

PAGE = """<!doctype html><html><head><meta charset="utf-8">
<title>KPU Sampang: surat suara di gudang Ketapang aman</title>
<meta property="article:published_time" content="2024-11-25T12:00:00+07:00"></head>
<body><nav>Beranda</nav><article><h1>KPU Sampang: surat suara di gudang Ketapang aman</h1>
<p>KPU Kabupaten Sampang memastikan surat suara di gudang logistik Ketapang masih tersegel dan belum
dicoblos. Video yang beredar di grup percakapan direkam di tempat lain dan tidak berhubungan dengan
Pilkada Sampang.</p><p>Warga diminta tidak menyebarkan pesan tersebut dan melapor ke Panwascam bila
menemukan kejanggalan.</p></article></body></html>"""
RECORDED = datetime(2024, 11, 26, 2, 0, tzinfo=UTC)  # 09:00 WIB, the day after the page was published


class _Pages(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server naming
        if self.path != "/klarifikasi":
            self.send_response(404)
            self.end_headers()
            return
        body = PAGE.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _claim_with_url_answer(db_url: str, url: str) -> tuple[int, int]:
    with Session(engine_for(db_url)) as session, session.begin():
        source = repo.sync_sources(
            session, [SourceConfig(name="warga", kind="social_export", location="x.jsonl")]
        )["warga"]
        (item_id,) = repo.upsert_items(
            session,
            source,
            None,
            [
                CollectedItem(
                    source="warga",
                    text="Surat suara di gudang Ketapang sudah dicoblos duluan, sebarkan!",
                    url="https://social.example/p/1",
                    published_at=datetime(2024, 11, 25, 3, tzinfo=UTC),
                )
            ],
        ).ids
        claim_id = claims_store.claim_for_item(session, item_id, user="rina", organisation="Redaksi")
        link = claims_store.record_url_answer(
            session,
            claim_id=claim_id,
            url=url,
            user="rina",
            organisation="Redaksi",
            category="media",
            now=RECORDED,
        )
        return claim_id, link.id


def _config(private: bool) -> dict:
    return {"http": {"retries": 0, "reviewer_links_private_hosts": private}}


def test_the_page_is_fetched_stored_and_dates_the_answer(db_url, site):
    claim_id, link_id = _claim_with_url_answer(db_url, f"{site}/klarifikasi")
    counts = url_answers.fetch_url_answers(db_url, _config(True), None, now=RECORDED + timedelta(hours=1))
    assert counts == {"url_answers_tried": 1, "url_answers_fetched": 1, "url_answers_failed": 0}
    with Session(engine_for(db_url)) as s:
        link = s.get(CounterNarrative, link_id)
        page = s.get(Item, link.item_id)
        assert page.title.startswith("KPU Sampang: surat suara") and "tersegel" in page.text
        assert s.get(Source, page.source_id).name == url_answers.SOURCE_NAME
        # the answer dates from the page's publication (25 Nov 12:00 WIB), not from when it was recorded
        assert link.published_at.replace(tzinfo=UTC) == datetime(2024, 11, 25, 5, tzinfo=UTC)
        assert (link.actor, link.attribution, link.fetch_attempts, link.fetch_error) == (
            "Redaksi",
            "reviewer",
            1,
            None,
        )
    again = url_answers.fetch_url_answers(db_url, _config(True), None, now=RECORDED + timedelta(days=2))
    assert again["url_answers_tried"] == 0  # stored: never fetched again


def test_failures_are_recorded_and_retried_later_then_given_up(db_url, site):
    _, link_id = _claim_with_url_answer(db_url, f"{site}/hilang")
    at = RECORDED
    for attempt in range(1, url_answers.MAX_ATTEMPTS + 1):
        counts = url_answers.fetch_url_answers(db_url, _config(True), None, now=at)
        assert counts["url_answers_failed"] == 1, attempt
        soon = url_answers.fetch_url_answers(db_url, _config(True), None, now=at + timedelta(hours=1))
        assert soon["url_answers_tried"] == 0  # not before RETRY_AFTER
        at += url_answers.RETRY_AFTER
    assert url_answers.fetch_url_answers(db_url, _config(True), None, now=at)["url_answers_tried"] == 0
    with Session(engine_for(db_url)) as s:
        link = s.get(CounterNarrative, link_id)
        assert link.item_id is None and link.fetch_attempts == url_answers.MAX_ATTEMPTS
        assert "404" in link.fetch_error


def test_non_public_hosts_are_refused_by_default(db_url, site):
    _, link_id = _claim_with_url_answer(db_url, f"{site}/klarifikasi")
    counts = url_answers.fetch_url_answers(db_url, _config(False), None, now=RECORDED)
    assert counts["url_answers_failed"] == 1
    with Session(engine_for(db_url)) as s:
        link = s.get(CounterNarrative, link_id)
        assert link.item_id is None and "non-public address" in link.fetch_error
        assert s.scalars(select(Item).where(Item.title.startswith("KPU Sampang"))).first() is None


def test_the_monitoring_run_fetches_due_url_answers(tmp_path, site, prefect_harness):
    url = f"sqlite:///{tmp_path / 'run.db'}"
    posts = tmp_path / "posts.jsonl"
    posts.write_text(
        json.dumps(
            {
                "id": "p1",
                "text": "Selamat pagi warga Sampang.",
                "created_at": "2024-11-26T08:00:00+07:00",
                "url": "https://social.example/p/2",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    config = {
        "sources": [{"name": "warga", "kind": "social_export", "location": str(posts)}],
        "districts": [{"name": "Ketapang"}],
        **_config(True),
    }
    _, link_id = _claim_with_url_answer(url, f"{site}/klarifikasi")
    counts = monitor(database_url=url, config=config)
    assert counts["url_answers"]["url_answers_fetched"] == 1
    with Session(engine_for(url)) as s:
        link = s.get(CounterNarrative, link_id)
        assert link.item_id is not None and s.get(Item, link.item_id).title.startswith("KPU Sampang")
