"""Saved searches in the monitoring run, under Prefect's test harness: a hoax post arrives, the run raises
its alert, the saved search step finds it for two saved searches of two organisations, and the run's
dispatch delivers exactly one notice to the webhook that carries the owner's organisation (none for the
other organisation); a second run notifies nothing; a failing step does not fail the run."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from flows import saved_search_step
from flows.monitor import monitor
from flows.notify import saved_search_digest
from flows.resources import engine_for
from pantau import messages
from storage import accounts
from storage import saved_searches as ss
from storage.models import NotificationDelivery, SavedSearchNotice
from storage.saved_search_outbox import PendingSavedSearch
from storage.saved_searches import MatchPreview

T0 = datetime(2024, 11, 25, 3, 0, tzinfo=UTC)

HOAX = (
    "INFO PENTING!!! Polisi akan menangkap warga Camplong yang datang ke TPS tanggal 27 tanpa "
    "membawa KTP asli. Katanya sudah ada perintah dari atas. Sebarkan ke keluarga sebelum terlambat!"
)


@pytest.fixture
def receiver():
    """A local webhook receiver keeping every JSON body it is sent."""
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


def _setup(tmp_path, hook: str) -> tuple[str, dict, dict[str, int]]:
    posts = tmp_path / "posts.jsonl"
    posts.write_text(
        json.dumps(
            {
                "id": "1",
                "text": HOAX,
                "created_at": "2024-11-25T10:00:00+07:00",
                "url": "https://wa.example/1",
            }
        ),
        encoding="utf-8",
    )
    config = {
        "sources": [{"name": "social", "kind": "social_export", "location": str(posts), "trust": 0.2}],
        "districts": [{"name": "Camplong"}, {"name": "Omben"}],
        "stages": [{"name": "quiet_period", "start": "2024-11-24", "end": "2024-11-26"}],
        "notifications": {
            "min_severity": "critical",  # no alert batches: only the saved search notices
            "webhook": {"url": hook, "organisations": ["Bawaslu Sampang"]},
        },
    }
    url = f"sqlite:///{tmp_path / 'flow.db'}"
    with Session(engine_for(url)) as session:
        bawaslu = accounts.ensure_organisation(session, "Bawaslu Sampang")
        polres = accounts.ensure_organisation(session, "Polres Sampang")
        rina = accounts.create_user(session, "rina", "x" * 20, "analyst", bawaslu)
        agus = accounts.create_user(session, "agus", "x" * 20, "analyst", polres)
        saved = {
            "rina": ss.create(session, rina, "Camplong", {"district": "Camplong"}),
            "agus": ss.create(session, agus, "Camplong juga", {"district": "Camplong"}),
            "omben": ss.create(session, rina, "Omben", {"district": "Omben"}),
        }
        session.commit()
    return url, config, saved


@pytest.mark.usefixtures("prefect_harness", "fresh_resources")
def test_one_notice_reaches_the_owners_organisation_and_a_second_run_sends_nothing(tmp_path, receiver):
    hook, bodies = receiver
    url, config, saved = _setup(tmp_path, hook)
    first = monitor(database_url=url, config=config)
    assert first["alerts"] >= 1
    assert first["saved_searches"]["searches"] == 3 and first["saved_searches"]["notices"] == 2
    assert first["saved_searches"]["queued"] == 1 and first["notifications"]["saved_searches"] == 1
    notices = [n for body in bodies for n in body.get("saved_searches", [])]
    assert len(bodies) == 1 and len(notices) == 1
    [notice] = notices
    assert (notice["saved_search_id"], notice["organisation"], notice["owner"]) == (
        saved["rina"],
        "Bawaslu Sampang",
        "rina",
    )
    assert notice["new_matches"] >= 1 and notice["filters"] == {"district": "Camplong"}
    assert notice["matches"][0]["item"]["url"] == "https://wa.example/1"
    with Session(engine_for(url)) as session:
        by_search = {n.saved_search_id: n.id for n in session.scalars(select(SavedSearchNotice))}
        assert set(by_search) == {saved["rina"], saved["agus"]}  # Omben matched nothing
        deliveries = session.scalars(
            select(NotificationDelivery).where(NotificationDelivery.notice_id.is_not(None))
        )
        assert [(d.notice_id, d.status) for d in deliveries] == [(by_search[saved["rina"]], "sent")]
        rina = accounts.account_by_username(session, "rina")
        assert ss.unseen_count(session, rina.id) == notice["new_matches"]

    second = monitor(database_url=url, config=config)
    assert second["new"] == 0 and second["saved_searches"]["matched"] == 0
    assert len(bodies) == 1


@pytest.mark.usefixtures("prefect_harness", "fresh_resources")
def test_a_failing_saved_search_step_does_not_fail_the_run(tmp_path, receiver, monkeypatch):
    hook, bodies = receiver
    url, config, _ = _setup(tmp_path, hook)

    def broken(*args, **kwargs):
        raise RuntimeError("saved searches exploded")

    monkeypatch.setattr(saved_search_step, "match_saved_searches", broken)
    counts = monitor(database_url=url, config=config)
    assert counts["saved_searches"] == {"error": "saved searches exploded"} and counts["alerts"] >= 1
    assert bodies == []


def _pending(n: int, name: str, snippet: str) -> PendingSavedSearch:
    match = MatchPreview(
        alert_id=7,
        item_id=3,
        created_at=T0,
        kind="flagged_item",
        signal="hoax",
        severity="high",
        district="Omben",
        item_url='https://kabar.example/"><script>',
        snippet=snippet,
    )
    return PendingSavedSearch(
        delivery_id=n,
        batch_id="b" * 32,
        attempts=1,
        notice_id=n,
        saved_search_id=n,
        name=name,
        owner="rina",
        organisation="Bawaslu <Sampang>",
        view="alerts",
        query={"signal": "hoax"},
        match_count=4,
        created_at=T0,
        matches=[match],
    )


def test_the_telegram_notice_is_escaped_worded_from_the_catalogue_and_fits():
    text = saved_search_digest.telegram_message(
        [_pending(1, '<b>Hoaks</b> & "Omben"', "<img src=x onerror=alert(1)> kotak suara")], "b" * 32
    )
    assert text.startswith(f"<b>{messages.label('saved_search', 'header')}</b>")
    assert "&lt;b&gt;Hoaks&lt;/b&gt; &amp; &quot;Omben&quot;" in text and "<b>Hoaks</b>" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text and "<img" not in text
    assert (
        "Bawaslu &lt;Sampang&gt;" in text and 'href="https://kabar.example/&quot;&gt;&lt;script&gt;"' in text
    )
    assert messages.label("saved_search", "entry_more") % {"count": 3} in text  # 4 matches, 1 listed
    many = saved_search_digest.telegram_message(
        [_pending(i, "x" * 120, "y" * 300) for i in range(200)], "b" * 32
    )
    assert len(many) <= 4096 and "pencarian tersimpan lain" in many
