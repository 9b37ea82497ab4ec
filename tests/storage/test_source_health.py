"""Source health and recent runs (storage/source_health.py, issue 17) on SQLite and PostgreSQL: runs written
by the monitoring flow's own steps (``steps.store``, ``steps.merge_counts``) and the run bookkeeping
(``start_run``, ``finish_run``, ``mark_crashed_runs``), the silent flag checked against the flow's rule
(``steps.check_silent_sources``), hostile counts JSON, and a bounded number of queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from sqlalchemy import event, update

from flows import steps
from pantau.domain.config import SourceConfig
from pantau.domain.records import CollectedItem, CollectResult, Skipped, SkipReason
from pantau.settings import DEFAULT_CONFIG_NAME, bundled_examples_dir, load_settings
from storage import repository as repo
from storage.models import Run
from storage.runs import finish_run, mark_crashed_runs, start_run
from storage.source_health import recent_runs, run_state, source_health

T0 = datetime(2024, 11, 20, 1, 0, tzinfo=UTC)
CONFIGURED = [
    SourceConfig(name="kabar-a", kind="rss", location="https://a.example/feed"),
    SourceConfig(name="kabar-b", kind="rss", location="https://b.example/feed", silent_after_hours=12),
    SourceConfig(name="belum", kind="rss", location="https://c.example/feed", enabled=False),
]


def _item(n: int, source: str = "kabar-a") -> CollectedItem:
    return CollectedItem(
        source=source,
        title=f"Berita {n}",
        text=f"Isi berita {n} pilkada Sampang",
        url=f"https://a.example/{n}",
    )


def _skip(reason: SkipReason, source: str = "kabar-a", position: str | None = None) -> Skipped:
    return Skipped(source=source, reason=reason, detail="uji", position=position)


def _run(session, db_url, ids, results, *, at, match=None) -> int:
    """One run as the flow writes it: start, store each source's result, merge the counts, finish."""
    run_id = start_run(session, flow_run_id=str(uuid4()), now=at)
    session.commit()
    counts = [steps.store(db_url, name, ids[name], run_id, result) for name, result in results.items()]
    finish_run(
        session,
        run_id,
        status="completed",
        counts=steps.merge_counts(counts, [], match_counts=match),
        now=at + timedelta(seconds=95),
    )
    session.commit()
    return run_id


def test_items_per_run_and_skip_reasons_come_from_the_runs_counts(db_url, session, sources, fresh_resources):
    first = _run(
        session,
        db_url,
        sources,
        {
            "kabar-a": CollectResult(
                source="kabar-a",
                items=[_item(1), _item(2)],
                skipped=[_skip(SkipReason.MALFORMED), _skip(SkipReason.BAD_DATE)],  # bad_date: a note
            ),
            "kabar-b": CollectResult(
                source="kabar-b", error="HTTP 503 <b>down</b>", error_reason=SkipReason.FETCH_ERROR
            ),
        },
        at=T0,
    )
    second = _run(
        session,
        db_url,
        sources,
        {
            "kabar-a": CollectResult(
                source="kabar-a", items=[_item(1), _item(3)], skipped=[_skip(SkipReason.EMPTY_TEXT)]
            ),
            "kabar-b": CollectResult(source="kabar-b", items=[_item(4, "kabar-b")]),
        },
        at=T0 + timedelta(hours=1),
    )
    failed = start_run(session, now=T0 + timedelta(hours=2))
    finish_run(session, failed, status="failed", counts={"run_id": failed}, error="RuntimeError: boom")
    session.commit()

    rows = {h.name: h for h in source_health(session, CONFIGURED, window=10, now=T0 + timedelta(hours=3))}
    assert list(rows) == ["kabar-a", "kabar-b", "belum", "social"]  # config order, then the others
    a = rows["kabar-a"]
    assert a.runs[0] is None  # the failed run recorded no per-source counts
    assert [(r.run_id, r.new, r.duplicate, r.skipped, r.fetched) for r in a.runs[1:]] == [
        (second, 1, 1, 1, 3),
        (first, 2, 0, 1, 3),
    ]
    assert a.skip_reasons == {"empty_text": 1, "malformed": 1} and a.notes == {"bad_date": 1}
    assert a.configured and a.stored and a.enabled and a.kind == "rss" and a.last_item_count == 2

    b = rows["kabar-b"]
    assert b.runs[2].error == "HTTP 503 <b>down</b>" and b.runs[1].error is None
    assert b.skip_reasons == {"fetch_error": 1}
    assert b.last_error == "HTTP 503 <b>down</b>" and not b.error_is_current  # it succeeded since
    assert b.last_success_at > b.last_error_at

    never = rows["belum"]
    assert never.configured and not never.stored and not never.enabled and never.runs == [None] * 3
    assert never.last_success_at is None and not never.silent

    other = rows["social"]  # stored, not in this config: shown, never watched for silence
    assert not other.configured and other.kind == "social_export" and other.silent_after_hours is None

    narrow = {h.name: h for h in source_health(session, CONFIGURED, window=2)}
    assert [r and r.run_id for r in narrow["kabar-a"].runs] == [None, second]


def test_run_states_totals_and_paging(db_url, session, sources, fresh_resources):
    ok = _run(session, db_url, sources, {"kabar-a": CollectResult(source="kabar-a", items=[_item(1)])}, at=T0)
    partial_source = _run(
        session,
        db_url,
        sources,
        {"kabar-b": CollectResult(source="kabar-b", error="timeout", error_reason=SkipReason.FETCH_ERROR)},
        at=T0 + timedelta(hours=1),
    )
    partial_matching = _run(
        session,
        db_url,
        sources,
        {"kabar-a": CollectResult(source="kabar-a")},
        at=T0 + timedelta(hours=2),
        match={"error": "OSError: model missing"},
    )
    failed = start_run(session, now=T0 + timedelta(hours=3))
    finish_run(session, failed, status="failed", counts={"run_id": failed}, error="ValueError: <x>")
    crashed = start_run(session, now=T0 + timedelta(hours=4))
    session.execute(update(Run).where(Run.id == crashed).values(host="worker-9", pid=1))
    assert mark_crashed_runs(session, stale_after=timedelta(hours=2), now=T0 + timedelta(hours=7)) == [
        crashed
    ]
    running = start_run(session, now=T0 + timedelta(hours=8))
    session.commit()

    total, rows = recent_runs(session, limit=50)
    assert total == 6
    by_id = {r.id: r for r in rows}
    assert [r.id for r in rows] == [running, crashed, failed, partial_matching, partial_source, ok]
    assert [by_id[i].state for i in (running, crashed, failed, partial_matching, partial_source, ok)] == [
        "running",
        "crashed",
        "failed",
        "partial",
        "partial",
        "completed",
    ]
    assert by_id[ok].totals == {
        "sources": 1,
        "sources_failed": 0,
        "fetched": 1,
        "new": 1,
        "duplicate": 0,
        "skipped": 0,
        "alerts": 0,
    }
    assert by_id[ok].duration_seconds == 95 and by_id[ok].flow_run_id and by_id[ok].problems == {}
    assert by_id[partial_source].problems == {"sources_failed": "1"}
    assert by_id[partial_matching].problems == {"matching": "OSError: model missing"}
    assert by_id[failed].error == "ValueError: <x>" and by_id[failed].totals == {}
    assert "no heartbeat since" in by_id[crashed].error and by_id[crashed].host == "worker-9"
    assert by_id[running].duration_seconds is None and by_id[running].finished_at is None

    total, page = recent_runs(session, limit=2, offset=2)
    assert total == 6 and [r.id for r in page] == [failed, partial_matching]
    assert run_state("completed", {"alert_rules_error": "x"}) == "partial"
    assert run_state("completed", {"url_answers": {"url_answers_error": "x"}}) == "partial"


def _config(sources: list[SourceConfig]) -> dict:
    region = load_settings(bundled_examples_dir() / DEFAULT_CONFIG_NAME).region_config
    return region.model_copy(update={"sources": sources}).model_dump(mode="json")


def test_the_silent_flag_follows_the_flows_rule_and_shows_its_open_alerts(db_url, session, fresh_resources):
    configured = [
        SourceConfig(name="kabar-a", kind="rss", location="https://a.example/feed", silent_after_hours=24),
        SourceConfig(name="kabar-b", kind="rss", location="https://b.example/feed", silent_after_hours=24),
        SourceConfig(
            name="mati", kind="rss", location="https://d.example/feed", enabled=False, silent_after_hours=24
        ),
        SourceConfig(name="bebas", kind="rss", location="https://e.example/feed", silent_after_hours=None),
        SourceConfig(name="sekali", kind="rss", location="https://f.example/feed", silent_after_hours=24),
    ]
    ids = repo.sync_sources(session, configured)
    session.commit()
    start = datetime.now(UTC)  # item sightings carry the wall clock
    # kabar-a yields an item; kabar-b runs clean twice without one, sekali once (the rule needs two);
    # mati yielded an item before it was disabled in the config
    for hour in (0, 1):
        results = {
            "kabar-a": CollectResult(source="kabar-a", items=[_item(hour)]),
            "kabar-b": CollectResult(source="kabar-b"),
            "bebas": CollectResult(source="bebas"),
        }
        if hour == 0:
            results["mati"] = CollectResult(source="mati", items=[_item(50, "mati")])
        else:
            results["sekali"] = CollectResult(source="sekali")
        _run(session, db_url, ids, results, at=start + timedelta(hours=hour))
    config = _config(configured)

    early = start + timedelta(hours=23)
    assert steps.check_silent_sources(db_url, config, now=early) == []
    session.expire_all()
    rows = {h.name: h for h in source_health(session, configured, now=early)}
    assert not any(h.silent for h in rows.values())
    assert 22 < rows["kabar-a"].quiet_hours < 23.5 and 21.5 < rows["kabar-b"].quiet_hours < 23.5

    late = start + timedelta(hours=26)
    raised = steps.check_silent_sources(db_url, config, now=late)
    assert len(raised) == 2
    session.expire_all()
    rows = {h.name: h for h in source_health(session, configured, now=late)}
    assert {n for n, h in rows.items() if h.silent} == {"kabar-a", "kabar-b"}  # as the flow decided
    assert sorted(a.id for n in ("kabar-a", "kabar-b") for a in rows[n].open_silent_alerts) == sorted(raised)
    assert (
        rows["kabar-a"].open_silent_count == 1
        and "threshold 24 h" in rows["kabar-a"].open_silent_alerts[0].reason
    )
    assert not rows["mati"].silent and not rows["bebas"].silent and rows["bebas"].silent_after_hours is None
    assert not rows["sekali"].silent and rows["sekali"].quiet_hours is None  # one clean run only
    assert rows["mati"].quiet_hours > 24 and not rows["mati"].enabled  # quiet, but not watched

    repo.set_alert_status(session, rows["kabar-a"].open_silent_alerts[0].id, "resolved", actor="uji")
    session.commit()
    rows = {h.name: h for h in source_health(session, configured, now=late)}
    assert rows["kabar-a"].open_silent_alerts == [] and rows["kabar-a"].open_silent_count == 0
    assert rows["kabar-a"].silent  # still quiet: the rule, not the alert, says so


def test_hostile_counts_json_reads_as_absent_values(session, sources):
    run_id = start_run(session, now=T0)
    finish_run(
        session,
        run_id,
        status="completed",
        counts={
            "sources": "2",
            "new": -4,
            "duplicate": True,
            "sources_failed": None,
            "matching": "not a dict",
            "per_source": [
                "junk",
                {"no_source": 1},
                {"source": 7},
                {
                    "source": "kabar-a",
                    "new": "many",
                    "duplicate": 2.5,
                    "skipped": {"malformed": True, "x": -3},
                },
                {"source": "kabar-b", "skipped": ["fetch_error"], "error": 12},
            ],
        },
    )
    other = start_run(session, now=T0 + timedelta(minutes=1))
    finish_run(session, other, status="completed", counts={"per_source": {"kabar-a": 1}})
    session.commit()
    rows = {h.name: h for h in source_health(session, [])}
    a = rows["kabar-a"].runs[1]
    assert (a.new, a.duplicate, a.skipped, a.error) == (0, 0, 0, None)
    assert rows["kabar-a"].skip_reasons == {} and rows["kabar-b"].runs[1].error is None
    assert rows["kabar-a"].runs[0] is None
    _, runs = recent_runs(session)
    assert runs[1].totals == {"sources": 0, "new": 0, "duplicate": 0, "sources_failed": 0}
    assert runs[1].state == "completed"


@pytest.mark.parametrize("runs", [1, 30])
def test_the_queries_are_bounded_whatever_the_history(engine, session, sources, runs):
    """The same number of statements for 1 run as for 30 (no query per run or per source)."""
    for n in range(runs):
        run_id = start_run(session, now=T0 + timedelta(minutes=n))
        per_source = [{"source": s, "new": n, "duplicate": 1, "skipped": {"malformed": 1}} for s in sources]
        finish_run(session, run_id, status="completed", counts={"per_source": per_source})
        repo.raise_alert(
            session,
            kind="silent_source",
            severity="medium",
            reason="quiet",
            source_id=sources["kabar-a"],
            dedupe_key=f"silent_source:kabar-a:{n}",
        )
    session.commit()
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        rows = source_health(session, CONFIGURED, window=10)
        recent_runs(session, limit=50)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # sources, last sightings, runs, open alerts, alert counts; then the run count and the page of runs
    assert len(statements) == 7, statements
    assert [h.name for h in rows] == ["kabar-a", "kabar-b", "belum", "social"]
    a = next(h for h in rows if h.name == "kabar-a")
    assert a.open_silent_count == runs and len(a.open_silent_alerts) == min(runs, 5)
    assert len(a.runs) == min(runs, 10)
