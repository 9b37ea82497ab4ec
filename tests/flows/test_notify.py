"""Alert notifications end to end: a real SQLite outbox, a local HTTP server playing the Telegram Bot API
and a webhook receiver, a fake clock for pacing, and a subprocess killed between send and mark."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from flows.notify import dispatch
from flows.notify.digest import TELEGRAM_LIMIT, telegram_message
from flows.notify.webhook import channel_key
from pantau.domain.config import SourceConfig
from pantau.domain.records import CollectedItem
from storage.db import make_engine, migrate, session_factory
from storage.models import NotificationDelivery
from storage.notifications import PendingNotification
from storage.repository import raise_alert, set_alert_status, sync_sources, upsert_items

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2024, 11, 24, 3, 0, tzinfo=UTC)
LATER = T0 + timedelta(hours=1)
TOKEN = "123456:SECRET-token"
CHAT = "-100777"
SECRET = "s3cret-key"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    """What the local server got, and the answers it should give next (path -> [(status, body, headers)])."""

    requests: list[Received] = field(default_factory=list)
    script: dict[str, list[tuple[int, dict, dict]]] = field(default_factory=dict)
    url: str = ""

    def on(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    @property
    def telegram(self) -> list[Received]:
        return self.on(f"/bot{TOKEN}/sendMessage")

    @property
    def webhook(self) -> list[Received]:
        return self.on("/hook")


@pytest.fixture
def receiver():
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server naming
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.requests.append(Received(self.path, dict(self.headers), body))
            queued = state.script.get(self.path) or []
            if queued:
                status, answer, headers = queued.pop(0)
            elif self.path.startswith("/bot") and self.path != f"/bot{TOKEN}/sendMessage":
                status, answer, headers = (
                    401,
                    {"ok": False, "error_code": 401, "description": "Unauthorized"},
                    {},
                )
            else:
                status, answer, headers = 200, {"ok": True, "result": {"message_id": len(state.requests)}}, {}
            data = json.dumps(answer).encode()
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


class FakeClock:
    """Seconds that only move when someone sleeps; every sleep is recorded."""

    def __init__(self):
        self.t = 1000.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.t += seconds


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'pantau.db'}"
    engine = make_engine(url)
    migrate(engine)
    make = session_factory(engine)
    with make() as session:
        sync_sources(session, [SourceConfig(name="social", kind="social_export", location="x.jsonl")])
        session.commit()
    yield url, make
    engine.dispose()


def add_alerts(make, n, *, severity="high", kind="flagged_item", title=None, start=0, at=T0):
    """``n`` alerts on items of their own; returns the alert ids."""
    ids = []
    with make() as session:
        source_id = sync_sources(
            session, [SourceConfig(name="social", kind="social_export", location="x.jsonl")]
        )["social"]
        for i in range(start, start + n):
            item = CollectedItem(
                source="social",
                title=title or f"Kabar {i}",
                text=f"Isi kabar nomor {i}.",
                url=f"https://news.example/{i}",
            )
            item_id = upsert_items(session, source_id, None, [item]).ids[0]
            alert_id, _ = raise_alert(
                session,
                kind=kind,
                severity=severity,
                reason=f"hoaks 0.9 ({i})",
                dedupe_key=f"a{i}",
                signal="hoax",
                item_id=item_id,
                district="Omben",
                now=at + timedelta(seconds=i),
            )
            ids.append(alert_id)
        session.commit()
    return ids


def settings(receiver, *, telegram=True, webhook=True, **extra):
    config = {"min_severity": "high", "max_per_minute": 60, **extra}
    if telegram:
        config["telegram"] = {"chat_id": CHAT, "api_base": receiver.url}
    if webhook:
        config["webhook"] = {"url": f"{receiver.url}/hook", "secret_env": "HOOK_SECRET"}
    return config


ENV = {"PANTAU_TELEGRAM_BOT_TOKEN": TOKEN, "HOOK_SECRET": SECRET}


def statuses(make):
    with make() as session:
        return {(d.alert_id, d.channel): d for d in session.scalars(select(NotificationDelivery))}


def delivered_ids(requests):
    return [a["id"] for r in requests for a in r.json["alerts"]]


def test_batches_of_max_batch_and_nothing_twice(db, receiver):
    url, make = db
    ids = add_alerts(make, 25)
    counts = dispatch(url, settings(receiver), now=LATER, clock=FakeClock(), env=ENV)
    assert (counts["queued"], counts["messages"], counts["sent"], counts["errors"]) == (50, 4, 50, [])
    assert len(receiver.telegram) == 2 and len(receiver.webhook) == 2
    assert sorted(delivered_ids(receiver.webhook)) == ids
    assert [len(r.json["alerts"]) for r in receiver.webhook] == [20, 5]
    first = receiver.telegram[0].json
    assert first["chat_id"] == CHAT and first["parse_mode"] == "HTML" and first["disable_web_page_preview"]
    assert first["text"].startswith("<b>Pantau: 20 peringatan baru</b>")
    assert "Kec. Omben" in first["text"] and '<a href="https://news.example/0">Kabar 0</a>' in first["text"]
    assert all(d.status == "sent" and d.batch_id for d in statuses(make).values())
    again = dispatch(url, settings(receiver), now=LATER, clock=FakeClock(), env=ENV)
    assert (again["queued"], again["messages"]) == (0, 0) and len(receiver.requests) == 4


def test_rate_limit_paces_messages_with_the_fake_clock(db, receiver):
    url, make = db
    add_alerts(make, 5)
    clock = FakeClock()
    counts = dispatch(
        url, settings(receiver, webhook=False, max_per_minute=2, max_batch=1), now=LATER, clock=clock, env=ENV
    )
    assert counts["messages"] == 5 and len(receiver.telegram) == 5
    assert clock.sleeps == [30.0, 30.0, 30.0] and clock.t == 1090.0
    assert counts["rate_wait_seconds"] == pytest.approx(90.0)


def test_rate_limit_holds_across_dispatches_and_defers_past_max_wait(db, receiver):
    url, make = db
    add_alerts(make, 3)
    config = settings(receiver, webhook=False, max_per_minute=2, max_batch=1, max_wait="10s")
    first = dispatch(url, config, now=LATER, clock=FakeClock(), env=ENV)
    assert (first["messages"], first["deferred"]) == (2, 1)  # the third would need 30 s > max_wait
    clock = FakeClock()  # a new process 5 s later: the two messages of the last minute still count
    second = dispatch(url, config, now=LATER + timedelta(seconds=5), clock=clock, env=ENV)
    assert (second["messages"], second["deferred"], clock.sleeps) == (0, 1, [])
    third = dispatch(url, config, now=LATER + timedelta(minutes=2), clock=FakeClock(), env=ENV)
    assert third["messages"] == 1 and len(receiver.telegram) == 3


def test_telegram_429_retry_after_is_honoured(db, receiver):
    url, make = db
    add_alerts(make, 3)
    receiver.script[f"/bot{TOKEN}/sendMessage"] = [
        (
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 7",
                "parameters": {"retry_after": 7},
            },
            {},
        )
    ]
    clock = FakeClock()
    counts = dispatch(url, settings(receiver, webhook=False), now=LATER, clock=clock, env=ENV)
    assert (counts["rate_limited"], counts["messages"], counts["sent"]) == (1, 1, 3)
    assert clock.sleeps == [7.0] and len(receiver.telegram) == 2
    assert receiver.telegram[0].json == receiver.telegram[1].json


def test_5xx_is_retried_next_dispatch_under_the_same_batch_id(db, receiver):
    url, make = db
    ids = add_alerts(make, 3)
    receiver.script["/hook"] = [(503, {"error": "maintenance"}, {})]
    receiver.script[f"/bot{TOKEN}/sendMessage"] = [(502, {"ok": False, "description": "Bad Gateway"}, {})]
    first = dispatch(url, settings(receiver), now=LATER, clock=FakeClock(), env=ENV)
    assert (first["messages"], first["retry_later"], first["failed"]) == (0, 6, 0)
    assert any("HTTP 503" in e for e in first["errors"]) and any("HTTP 502" in e for e in first["errors"])
    rows = statuses(make)
    assert all(d.status == "pending" and d.attempts == 1 and "HTTP 50" in d.last_error for d in rows.values())
    set_resolved(make, ids[1])  # resolved meanwhile: dropped, not sent
    second = dispatch(url, settings(receiver), now=LATER + timedelta(minutes=5), clock=FakeClock(), env=ENV)
    assert (second["messages"], second["sent"]) == (2, 4)
    hooks = receiver.webhook
    assert hooks[0].headers["X-Pantau-Batch"] == hooks[1].headers["X-Pantau-Batch"]
    assert delivered_ids(hooks[1:]) == [ids[0], ids[2]]
    assert "Kabar 1" not in receiver.telegram[-1].json["text"]
    rows = statuses(make)
    assert {d.status for (a, _), d in rows.items() if a == ids[1]} == {"dropped"}
    assert {d.status for (a, _), d in rows.items() if a != ids[1]} == {"sent"}


def set_resolved(make, alert_id):
    with make() as session:
        set_alert_status(session, alert_id, "resolved", actor="rina")
        session.commit()


def test_4xx_is_a_counted_failure_with_a_clear_error_and_no_token(db, receiver):
    url, make = db
    add_alerts(make, 2)
    env = {**ENV, "PANTAU_TELEGRAM_BOT_TOKEN": "999:WRONG-token"}
    counts = dispatch(
        url, settings(receiver, webhook=False, max_attempts=1), now=LATER, clock=FakeClock(), env=env
    )
    assert (counts["messages"], counts["rejected"], counts["failed"]) == (0, 2, 2)
    [error] = counts["errors"]
    assert "HTTP 401: Unauthorized" in error and f"chat {CHAT}" in error and "WRONG" not in error
    rows = statuses(make).values()
    assert {d.status for d in rows} == {"failed"}
    assert all("HTTP 401" in d.last_error and "WRONG" not in d.last_error for d in rows)


def test_severity_and_kind_filters(db, receiver):
    url, make = db
    low = add_alerts(make, 1, severity="medium")
    high = add_alerts(make, 1, severity="high", start=1)
    critical_spike = add_alerts(make, 1, severity="critical", kind="spike", start=2)
    counts = dispatch(
        url, settings(receiver, telegram=False, kinds=["flagged_item"]), now=LATER, clock=FakeClock(), env=ENV
    )
    assert counts["sent"] == 1 and delivered_ids(receiver.webhook) == high
    queued = {a for a, _ in statuses(make)}
    assert low[0] not in queued and critical_spike[0] not in queued


def test_old_backlog_is_not_pushed_to_a_new_channel(db, receiver):
    url, make = db
    add_alerts(make, 50, at=T0 - timedelta(days=3))
    recent = add_alerts(make, 2, start=50)
    counts = dispatch(url, settings(receiver, telegram=False), now=LATER, clock=FakeClock(), env=ENV)
    assert counts["queued"] == 2 and delivered_ids(receiver.webhook) == recent


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)


def test_hostile_titles_arrive_escaped(db, receiver):
    url, make = db
    hostile = '<script>alert("x")</script> Tom & Jerry <b>palsu</b>'
    add_alerts(make, 1, title=hostile)
    dispatch(url, settings(receiver), now=LATER, clock=FakeClock(), env=ENV)
    text = receiver.telegram[0].json["text"]
    assert "<script>" not in text and "<b>palsu</b>" not in text
    assert (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Tom &amp; Jerry &lt;b&gt;palsu&lt;/b&gt;" in text
    )
    parser = _Tags()
    parser.feed(text)
    assert parser.tags <= {"b", "i", "a", "code"}
    assert receiver.webhook[0].json["alerts"][0]["item"]["title"] == hostile  # JSON carries it verbatim


def test_webhook_signature_verifies_and_payload_shape(db, receiver):
    url, make = db
    [alert_id] = add_alerts(make, 1)
    dispatch(url, settings(receiver, telegram=False), now=LATER, clock=FakeClock(), env=ENV)
    [hook] = receiver.webhook
    expected = "sha256=" + hmac.new(SECRET.encode(), hook.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(hook.headers["X-Pantau-Signature"], expected)
    payload = hook.json
    assert payload["batch_id"] == hook.headers["X-Pantau-Batch"] and payload["sent_at"] == LATER.isoformat()
    [alert] = payload["alerts"]
    assert alert == {
        "id": alert_id,
        "kind": "flagged_item",
        "signal": "hoax",
        "severity": "high",
        "stage": None,
        "district": "Omben",
        "reason": "hoaks 0.9 (0)",
        "created_at": T0.isoformat(),
        "item": {"id": alert["item"]["id"], "title": "Kabar 0", "url": "https://news.example/0"},
    }


def test_channels_without_token_or_secret_are_skipped_with_a_reason(db, receiver):
    url, make = db
    add_alerts(make, 2)
    counts = dispatch(url, settings(receiver), now=LATER, clock=FakeClock(), env={})
    assert counts["skipped"] == {
        f"telegram:{CHAT}": "missing_token: $PANTAU_TELEGRAM_BOT_TOKEN is not set",
        channel_key(f"{receiver.url}/hook"): "missing_secret: $HOOK_SECRET is not set",
    }
    assert counts["queued"] == 0 and receiver.requests == [] and statuses(make) == {}


def test_a_young_burst_waits_for_the_batch_window(db, receiver):
    url, make = db
    add_alerts(make, 3, at=LATER - timedelta(seconds=10))
    clock = FakeClock()
    counts = dispatch(
        url, settings(receiver, telegram=False, batch_window="1m"), now=LATER, clock=clock, env=ENV
    )
    assert clock.sleeps == [50.0] and counts["window_wait_seconds"] == 50.0
    assert counts["messages"] == 1 and len(receiver.webhook[0].json["alerts"]) == 3


def _pending(n: int, title: str) -> list[PendingNotification]:
    return [
        PendingNotification(
            delivery_id=i,
            batch_id="b" * 32,
            attempts=1,
            alert_id=i,
            kind="flagged_item",
            signal="sara",
            severity="critical",
            stage="quiet_period",
            district="Torjun",
            reason="SARA 0.97 " + "&" * 300,
            created_at=T0,
            item_id=i,
            item_title=title,
            item_url=f"https://x.example/{i}?a=1&b=2",
            item_snippet=None,
            source_name=None,
        )
        for i in range(n)
    ]


def test_long_batches_fit_telegrams_limit():
    text = telegram_message(_pending(100, "<i>" * 200), "b" * 32)
    assert len(text) <= TELEGRAM_LIMIT
    shown = text.count("(#")
    assert 0 < shown < 100 and f"… dan {100 - shown} peringatan lain" in text
    assert 'href="https://x.example/0?a=1&amp;b=2"' in text and "<i><i>" not in text


CHILD = """
import json, sys
from datetime import datetime
from flows.notify import dispatch
counts = dispatch(sys.argv[1], json.loads(sys.argv[2]), now=datetime.fromisoformat(sys.argv[3]))
print(json.dumps(counts))
"""


def test_killed_between_send_and_mark_resends_the_batch_under_its_id(db, receiver):
    """At least once: the batch sent just before the kill goes again with the same X-Pantau-Batch."""
    url, make = db
    ids = add_alerts(make, 25)
    config = settings(receiver, telegram=False)
    env = {
        **os.environ,
        **ENV,
        "PANTAU_FAILPOINTS": "notify.after_send",
        "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    child = subprocess.run(
        [sys.executable, "-c", CHILD, url, json.dumps(config), LATER.isoformat()],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -9, child.stderr
    assert len(receiver.webhook) == 1
    killed_batch = receiver.webhook[0].headers["X-Pantau-Batch"]
    rows = statuses(make).values()
    assert sum(d.batch_id == killed_batch and d.status == "pending" for d in rows) == 20

    counts = dispatch(url, config, now=LATER + timedelta(minutes=1), clock=FakeClock(), env=ENV)
    assert (counts["messages"], counts["sent"]) == (2, 25)
    batches = [r.headers["X-Pantau-Batch"] for r in receiver.webhook]
    assert batches[:2] == [killed_batch, killed_batch] and batches[2] != killed_batch
    unique = {r.headers["X-Pantau-Batch"]: r.json for r in receiver.webhook}  # what a receiver keeps
    assert sorted(a["id"] for p in unique.values() for a in p["alerts"]) == ids
    rows = statuses(make).values()
    assert {d.status for d in rows} == {"sent"}
    assert {d.attempts for d in rows if d.batch_id == killed_batch} == {2}


def test_cli_sends_and_exits_1_when_a_channel_refuses(db, receiver, tmp_path, monkeypatch):
    import typer
    from typer.testing import CliRunner

    from pantau.cli.notify import notify

    url, make = db
    add_alerts(make, 2, at=datetime.now(UTC) - timedelta(minutes=5))  # the CLI runs on the real clock
    config = tmp_path / "pantau.yaml"
    config.write_text(json.dumps({"notifications": settings(receiver, batch_window="1s")}), encoding="utf-8")
    app = typer.Typer()
    app.command()(notify)
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    monkeypatch.setenv("PANTAU_TELEGRAM_BOT_TOKEN", "999:WRONG-token")
    result = CliRunner().invoke(app, ["--config", str(config), "--db", url, "--json"])
    assert result.exit_code == 1, result.output
    counts = json.loads(result.stdout)
    assert (counts["sent"], counts["rejected"]) == (2, 2) and len(receiver.webhook) == 1
    assert "HTTP 401: Unauthorized" in result.stderr and "WRONG" not in result.output
    monkeypatch.setenv("PANTAU_TELEGRAM_BOT_TOKEN", TOKEN)
    result = CliRunner().invoke(app, ["--config", str(config), "--db", url])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("queued 0, sent 2 alerts in 1 messages") and len(receiver.telegram) == 1


def test_the_bot_token_never_reaches_the_logs(db, receiver, caplog):
    url, make = db
    add_alerts(make, 1)
    env = {**ENV}
    with caplog.at_level("DEBUG"):
        dispatch(url, settings(receiver, webhook=False), now=LATER, clock=FakeClock(), env=env)
        dispatch(
            url,
            settings(receiver, webhook=False, max_attempts=1),
            now=LATER,
            clock=FakeClock(),
            env={"PANTAU_TELEGRAM_BOT_TOKEN": "999:WRONG-token"},
        )
    assert len(receiver.requests) == 1  # the second dispatch found nothing new
    add_alerts(make, 1, start=1)
    with caplog.at_level("DEBUG"):
        dispatch(
            url,
            settings(receiver, webhook=False, max_attempts=1),
            now=LATER,
            clock=FakeClock(),
            env={"PANTAU_TELEGRAM_BOT_TOKEN": "999:WRONG-token"},
        )
    assert "sendMessage" in caplog.text and "/bot<token>/sendMessage" in caplog.text
    assert TOKEN not in caplog.text and "WRONG" not in caplog.text


def test_a_whole_config_dict_is_accepted_and_a_bad_one_names_the_field(db, receiver):
    from pantau.domain.errors import ConfigError

    url, make = db
    add_alerts(make, 1)
    whole = {
        "timezone": "Asia/Makassar",
        "database_url": url,
        "notifications": settings(receiver, webhook=False),
    }
    dispatch(url, whole, now=LATER, clock=FakeClock(), env=ENV)
    assert "24/11 11:00 WITA" in receiver.telegram[0].json["text"]  # T0 in the config's time zone
    region = {"region": "Sampang", "sources": []}  # a whole config without notifications: nothing to send
    assert dispatch(url, region, env=ENV)["queued"] == 0 and len(receiver.requests) == 1
    with pytest.raises(ConfigError, match=r"notifications\.max_per_minute"):
        dispatch(url, {"max_per_minute": 0}, env=ENV)


def test_a_channel_held_by_another_dispatcher_is_skipped_as_busy(db, receiver):
    from storage.notifications import channel_lock

    url, make = db
    add_alerts(make, 2)
    other = make_engine(url)
    try:
        with channel_lock(other, f"telegram:{CHAT}") as held:
            assert held
            counts = dispatch(url, settings(receiver), now=LATER, clock=FakeClock(), env=ENV)
    finally:
        other.dispose()
    assert counts["skipped"] == {f"telegram:{CHAT}": "busy: another dispatcher holds this channel"}
    assert (counts["sent"], len(receiver.telegram), len(receiver.webhook)) == (2, 0, 1)
    later = dispatch(url, settings(receiver), now=LATER, clock=FakeClock(), env=ENV)
    assert (later["sent"], len(receiver.telegram)) == (2, 1)
