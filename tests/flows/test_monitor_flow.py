"""The `monitor` flow under Prefect's test harness: counts, idempotency, failing sources, tags."""

from __future__ import annotations

import http.server
import threading
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flows.monitor import monitor
from flows.resources import engine_for
from pantau.settings import load_settings
from storage.models import Alert, Item, Run, Score, Source

pytestmark = pytest.mark.usefixtures("prefect_harness", "fresh_resources")


def _demo(tmp_path, **extra):
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'flow.db'}")
    config = settings.region_config.model_dump(mode="json")
    config.update(extra)
    return settings.database_url, config


def test_demo_cycle_stores_scores_tags_and_alerts(tmp_path):
    url, config = _demo(tmp_path)
    counts = monitor(database_url=url, config=config, batch_size=40)
    enabled = [s for s in config["sources"] if s["enabled"]]
    assert counts["sources"] == len(enabled) == 7 and counts["sources_failed"] == 0
    assert counts["new"] > 60 and counts["scored"] == counts["new"]
    assert counts["fetched"] == counts["new"] + counts["duplicate"] + counts["skipped"]
    assert counts["alerts"] > 0 and counts["flagged"] > 0
    with Session(engine_for(url)) as s:
        items = s.scalars(select(Item)).all()
        assert len(items) == counts["new"]
        assert s.scalar(select(func.count()).select_from(Score)) == len(items)
        assert all(i.stage for i in items if i.published_at)
        assert Counter(i.lang for i in items)["mad"] >= 3
        assert sum(bool(i.districts) for i in items) > len(items) // 2
        run = s.get(Run, counts["run_id"])
        assert run.status == "completed" and run.counts["new"] == counts["new"]
        assert s.scalar(select(func.count()).select_from(Alert)) == counts["alerts"]


def test_second_run_adds_nothing(tmp_path):
    url, config = _demo(tmp_path)
    first = monitor(database_url=url, config=config)
    second = monitor(database_url=url, config=config)
    assert second["new"] == 0 and second["scored"] == 0 and second["alerts"] == 0
    assert second["duplicate"] == first["new"] + first["duplicate"]
    with Session(engine_for(url)) as s:
        assert s.scalar(select(func.count()).select_from(Item)) == first["new"]
        assert s.scalar(select(func.count()).select_from(Run)) == 2


class _AlwaysFails(http.server.BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self):  # noqa: N802
        if self.path == "/rss":
            type(self).hits += 1
            self.send_response(500)
        else:  # robots.txt and anything else: not there
            self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_failing_sources_are_counted_retried_and_the_run_goes_on(tmp_path, caplog):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _AlwaysFails)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url, config = _demo(tmp_path, http={"retries": 2, "retry_backoff_seconds": 0.05})
        config["sources"] = config["sources"][:1] + [
            {"name": "down", "kind": "rss", "location": f"http://127.0.0.1:{server.server_port}/rss"},
            {"name": "missing", "kind": "rss", "location": str(tmp_path / "no-such-feed.xml")},
        ]
        counts = monitor(database_url=url, config=config)
    finally:
        server.shutdown()
    assert _AlwaysFails.hits == 3  # one attempt + two retries; the local file is not retried
    assert counts["sources_failed"] == 2 and counts["new"] > 0
    failed = {s["source"]: s["error"] for s in counts["per_source"] if s["error"]}
    assert set(failed) == {"down", "missing"}
    with Session(engine_for(url)) as s:
        down = s.scalars(select(Source).where(Source.name == "down")).one()
        assert down.last_error and down.last_success_at is None
    assert "Traceback" not in caplog.text and "HTTP 500" in caplog.text
