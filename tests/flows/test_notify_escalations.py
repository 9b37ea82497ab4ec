"""Escalation notifications end to end: a real SQLite outbox, the real Telegram and webhook channels
posting to a local HTTP server, per-organisation routing from the config, HTML escaping of what people
typed, nothing sent twice, and nothing sent for an escalation acknowledged in the meantime."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from flows.notify import dispatch
from pantau.domain.config import NotificationsConfig, PantauConfig, SourceConfig
from pantau.domain.records import CollectedItem
from storage import accounts
from storage import escalations as esc
from storage import review_queue as rq
from storage.db import make_engine, migrate, session_factory
from storage.models import NotificationDelivery
from storage.repository import sync_sources, upsert_items

T0 = datetime(2024, 11, 24, 3, 0, tzinfo=UTC)
TOKEN = "123456:SECRET-token"
SECRET = "s3cret-key"
ENV = {"PANTAU_TELEGRAM_BOT_TOKEN": TOKEN, "HOOK_SECRET": SECRET}


class FakeClock:
    def __init__(self):
        self.t = 1000.0

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def receiver():
    """A local HTTP server that answers 200 to everything and keeps (path, headers, body)."""
    got: list[tuple[str, dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server naming
            got.append((self.path, dict(self.headers), self.rfile.read(int(self.headers["Content-Length"]))))
            data = b'{"ok": true, "result": {}}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", got
    server.shutdown()
    server.server_close()


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'pantau.db'}"
    engine = make_engine(url)
    migrate(engine)
    make = session_factory(engine)
    with make() as session:
        source = sync_sources(
            session, [SourceConfig(name="social", kind="social_export", location="x.jsonl")]
        )
        item = CollectedItem(
            source="social",
            title='<b>Kantor desa</b> "dibakar"',
            text="Ancaman di Torjun.",
            url="https://wa.example/1",
        )
        item_id = upsert_items(session, source["social"], None, [item]).ids[0]
        orgs = {
            n: accounts.ensure_organisation(session, n)
            for n in ("Kabar Sampang", "Polres Sampang", "Bawaslu Sampang")
        }
        uid = accounts.create_user(session, "rina", "x" * 20, "reviewer", orgs["Kabar Sampang"])
        session.commit()
    yield url, make, item_id, orgs, rq.Actor(uid, "rina", "Kabar Sampang")
    engine.dispose()


def _config(base: str) -> NotificationsConfig:
    return NotificationsConfig.model_validate(
        {
            "min_severity": "critical",
            "telegram": {"chat_id": "-100polres", "api_base": base, "organisations": ["Polres Sampang"]},
            "webhook": {
                "url": f"{base}/hook",
                "secret_env": "HOOK_SECRET",
                "organisations": ["Bawaslu Sampang"],
            },
        }
    )


def test_escalations_reach_the_receivers_channels(db, receiver):
    url, make, item_id, orgs, rina = db
    base, got = receiver
    config = _config(base)
    with make() as session:  # as the web app does: queued for the receiver's channels when created
        to_polres = rq.escalate(
            session,
            item_id,
            rina,
            orgs["Polres Sampang"],
            "Ancaman <b>bakar</b> & lari",
            channels=config.escalation_channels("Polres Sampang"),
            now=T0,
        )
        # made without a configured web app: the dispatcher queues it
        to_bawaslu = rq.escalate(session, item_id, rina, orgs["Bawaslu Sampang"], "Cek juga", now=T0)
        session.commit()
    counts = dispatch(url, config, now=T0 + timedelta(minutes=1), clock=FakeClock(), env=ENV)
    assert counts["escalations_queued"] == 1 and counts["escalations"] == 2 and counts["errors"] == []

    [(tg_path, _, tg_body)] = [r for r in got if r[0].startswith("/bot")]
    assert tg_path == f"/bot{TOKEN}/sendMessage"
    message = json.loads(tg_body)
    assert message["parse_mode"] == "HTML" and message["chat_id"] == "-100polres"
    text = message["text"]
    assert "<b>Pantau: 1 eskalasi baru</b>" in text and "Untuk Polres Sampang" in text
    assert "dari rina (Kabar Sampang)" in text and f"(item #{item_id})" in text
    assert "Ancaman &lt;b&gt;bakar&lt;/b&gt; &amp; lari" in text and "<b>bakar</b>" not in text
    assert "&lt;b&gt;Kantor desa&lt;/b&gt; &quot;dibakar&quot;" in text

    [(_, headers, body)] = [r for r in got if r[0] == "/hook"]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Pantau-Signature"] == expected
    payload = json.loads(body)
    assert payload["alerts"] == [] and headers["X-Pantau-Batch"] == payload["batch_id"]
    [sent] = payload["escalations"]
    assert (sent["id"], sent["to_organisation"], sent["from_user"], sent["note"], sent["item"]["id"]) == (
        to_bawaslu,
        "Bawaslu Sampang",
        "rina",
        "Cek juga",
        item_id,
    )

    again = dispatch(url, config, now=T0 + timedelta(minutes=2), clock=FakeClock(), env=ENV)
    assert again["escalations"] == 0 and len(got) == 2  # nothing twice
    with make() as session:
        rows = session.execute(
            select(
                NotificationDelivery.escalation_id, NotificationDelivery.channel, NotificationDelivery.status
            ).order_by(NotificationDelivery.id)
        ).all()
    assert rows == [
        (to_polres, "telegram:-100polres", "sent"),
        (to_bawaslu, config.webhook.channel_key, "sent"),
    ]


def test_unrouted_channels_carry_every_escalation_but_not_acknowledged_ones(db, receiver):
    url, make, item_id, orgs, rina = db
    base, got = receiver
    config = NotificationsConfig.model_validate(
        {"min_severity": "critical", "webhook": {"url": f"{base}/hook"}}
    )
    assert config.escalation_channels("Polres Sampang") == [config.webhook.channel_key]
    with make() as session:
        done = rq.escalate(
            session, item_id, rina, orgs["Polres Sampang"], channels=[config.webhook.channel_key], now=T0
        )
        rq.escalate(session, item_id, rina, orgs["Bawaslu Sampang"], now=T0)
        esc.resolve(
            session,
            done,
            "acknowledged",
            user="polisi",
            organisation_id=orgs["Polres Sampang"],
            organisation="Polres Sampang",
            now=T0,
        )
        session.commit()
    counts = dispatch(url, config, now=T0 + timedelta(minutes=1), clock=FakeClock(), env=ENV)
    assert counts["escalations"] == 1
    [(_, _, body)] = got
    assert [e["to_organisation"] for e in json.loads(body)["escalations"]] == ["Bawaslu Sampang"]
    with make() as session:
        assert session.scalars(
            select(NotificationDelivery.status).where(NotificationDelivery.escalation_id == done)
        ).all() == ["dropped"]


@pytest.mark.parametrize("organisations", [[], ["Polres Sampang", " Polres  Sampang"], ["  "]])
def test_channel_routing_is_validated(organisations):
    with pytest.raises(ValidationError, match="organisations"):
        PantauConfig.model_validate(
            {"notifications": {"telegram": {"chat_id": "-1", "organisations": organisations}}}
        )
