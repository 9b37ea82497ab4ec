"""The operators' page ``/sources`` and its JSON twin ``/api/v1/sources`` (pantau/web/health.py, issue 17):
roles, escaping of hostile source and run errors, Prefect links only with ``PREFECT_API_URL``, query
parameters refused with 400, the catalogue's labels, and the page at phone width in headless Chromium.

Runs are written by the flow's own steps (``steps.store``, ``steps.merge_counts``) and the run
bookkeeping (``start_run``, ``finish_run``) into a copy of the seeded web database.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import uvicorn
from markupsafe import escape
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from webfixtures import NOW, SECRET, free_port, region_config, seed

from flows import steps
from pantau import messages
from pantau.domain.records import CollectedItem, CollectResult, Skipped, SkipReason
from pantau.web.api import openapi_schema
from pantau.web.app import create_app
from pantau.web.health import flow_run_url, prefect_ui
from storage import accounts
from storage import repository as repo
from storage.db import make_engine, migrate
from storage.runs import finish_run, start_run
from storage.source_health import RUN_PROBLEMS, RUN_STATES

SOURCE_ERROR = "<script>alert('sumber')</script> HTTP 503"
RUN_ERROR = "RuntimeError: <script>alert('run')</script>"
FLOW_RUN = "5f0c2b1e-8d4a-4b7e-9c61-2a3f4e5d6c7b"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def write_runs(engine: Engine) -> dict[str, int]:
    """Three runs over the bundled config's sources: completed (one source failing with a hostile error),
    failed as a whole (hostile error), still running; and an open silent_source alert."""
    url = engine.url.render_as_string(hide_password=False)
    with Session(engine) as session, session.begin():
        ids = repo.sync_sources(session, region_config().sources)
        first = start_run(session, flow_run_id=FLOW_RUN, now=NOW - timedelta(hours=3))
    items = [
        CollectedItem(
            source="kabar-sampang", title=f"Kabar {n}", text=f"Isi kabar {n}", url=f"https://k.example/{n}"
        )
        for n in range(3)
    ]
    counts = [
        steps.store(
            url,
            "kabar-sampang",
            ids["kabar-sampang"],
            first,
            CollectResult(
                source="kabar-sampang",
                items=items,
                skipped=[Skipped(source="kabar-sampang", reason=SkipReason.MALFORMED, detail="baris 4")],
            ),
        ),
        steps.store(
            url,
            "suara-madura-timur",
            ids["suara-madura-timur"],
            first,
            CollectResult(
                source="suara-madura-timur", error=SOURCE_ERROR, error_reason=SkipReason.FETCH_ERROR
            ),
        ),
    ]
    with Session(engine) as session, session.begin():
        finish_run(
            session,
            first,
            status="completed",
            counts=steps.merge_counts(counts, []),
            now=NOW - timedelta(hours=3) + timedelta(seconds=75),
        )
        failed = start_run(
            session, flow_run_id="7a1d9e2c-0b3f-4c5d-8e6f-1a2b3c4d5e6f", now=NOW - timedelta(hours=2)
        )
        finish_run(
            session,
            failed,
            status="failed",
            counts={"run_id": failed},
            error=RUN_ERROR,
            now=NOW - timedelta(hours=2) + timedelta(seconds=40),
        )
        running = start_run(session, now=NOW - timedelta(minutes=5))
        alert, _ = repo.raise_alert(
            session,
            kind="silent_source",
            severity="medium",
            reason="info-pilkada-sampang yielded no new item for 50 h (threshold 48 h)",
            source_id=ids["info-pilkada-sampang"],
            dedupe_key="silent_source:info-pilkada-sampang:2024-11-27",
            now=NOW,
        )
    return {"first": first, "failed": failed, "running": running, "alert": alert}


@pytest.fixture
def runs(web_engine, fresh_resources) -> dict[str, int]:
    return write_runs(web_engine)


@pytest.fixture(autouse=True)
def no_prefect(monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)


def _token(engine: Engine, username: str) -> str:
    with Session(engine) as session, session.begin():
        return accounts.create_api_token(session, accounts.account_by_username(session, username).id, "t")


def test_admins_and_analysts_see_the_page_reviewers_do_not(make_client, runs):
    for user in ("admin_redaksi", "analis_bawaslu"):
        client = make_client(user)
        page = client.get("/sources")
        assert page.status_code == 200, user
        assert "Sumber dan run pemantauan" in page.text and 'href="/sources"' in page.text
        assert 'href="/sources"' in client.get("/claims").text  # the menu link on other pages
    reviewer = make_client("peninjau_a")
    refused = reviewer.get("/sources")
    assert refused.status_code == 403 and "Sumber dan run" not in refused.text
    assert 'href="/sources"' not in reviewer.get("/queue").text
    anonymous = make_client().get("/sources?window=5", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=/sources%3Fwindow%3D5"


def test_the_page_shows_sources_and_runs(make_client, runs):
    html = make_client("analis_bawaslu").get("/sources").text
    for source in region_config().sources:  # every configured source, also those never run
        assert f'id="source-{source.name}"' in html
    assert 'id="source-grup-wa"' in html  # stored by the seed, not in the config
    assert "Format rusak: 1" in html  # kabar-sampang's skip reason, in words
    assert "Gagal diambil: 1" in html
    for state in ("partial", "failed", "running"):  # partial: the completed run had a failing source
        assert f">{messages.label('run_state', state)}</span>" in html, state
    assert "durasi 1 mnt 15 dtk" in html and "durasi 40 dtk" in html  # the finished runs' durations
    assert FLOW_RUN in html
    silent_link = "/alerts?kind=silent_source&amp;status=open&amp;source=info-pilkada-sampang"
    assert silent_link in html and f"#{runs['alert']}," in html
    assert html.count("<svg") >= 2 and "<title>run #" in html
    assert "<script" not in html


def test_hostile_source_and_run_errors_are_escaped(make_client, runs):
    html = make_client("admin_redaksi").get("/sources").text
    assert "<script>alert(" not in html
    assert str(escape(SOURCE_ERROR)) in html
    assert str(escape(RUN_ERROR)) in html


def test_prefect_links_only_with_prefect_api_url(make_client, runs, monkeypatch):
    client = make_client("analis_bawaslu")
    plain = client.get("/sources").text
    assert "/runs/flow-run/" not in plain and "Prefect UI" not in plain
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api/")
    linked = client.get("/sources").text
    assert f'<a href="http://127.0.0.1:4200/runs/flow-run/{FLOW_RUN}"' in linked
    assert '<a href="http://127.0.0.1:4200/runs"' in linked and "Buka Prefect UI" in linked
    assert linked.count("/runs/flow-run/") == 2  # the running run has no flow run id


def test_prefect_ui_url():
    assert prefect_ui({"PREFECT_API_URL": "https://prefect.example/api"}) == "https://prefect.example"
    assert prefect_ui({"PREFECT_API_URL": "http://10.0.0.5:4200/api/"}) == "http://10.0.0.5:4200"
    assert prefect_ui({"PREFECT_API_URL": "http://host/prefect/api"}) == "http://host/prefect"
    for bad in ("", "javascript:alert(1)", "ftp://x/api", "/api"):
        assert prefect_ui({"PREFECT_API_URL": bad}) is None, bad
    assert prefect_ui({}) is None
    assert flow_run_url("http://h", "a/b?c") == "http://h/runs/flow-run/a%2Fb%3Fc"
    assert flow_run_url(None, FLOW_RUN) is None and flow_run_url("http://h", None) is None


@pytest.mark.parametrize(
    "query",
    [
        "limit=abc",
        "limit=0",
        "limit=201",
        "limit=%C2%B2",
        "window=0",
        "window=51",
        "window=-1",
        "limit=9" * 30,
    ],
)
def test_bad_query_parameters_are_a_400(make_client, runs, query):
    response = make_client("analis_bawaslu").get(f"/sources?{query}")
    assert response.status_code == 400, query
    assert "Isian tidak sah" in response.text and query.split("=")[0] in response.text


def test_good_query_parameters_limit_and_page(make_client, runs):
    client = make_client("analis_bawaslu")
    one = client.get("/sources?limit=1&window=1").text
    assert f'id="run-{runs["running"]}"' in one and f'id="run-{runs["first"]}"' not in one
    assert 'href="/sources?limit=1&amp;window=1&amp;page=2"' in one and "Halaman 1 dari 3" in one
    last = client.get("/sources?limit=1&window=1&page=3").text
    assert f'id="run-{runs["first"]}"' in last
    assert client.get("/sources?page=abc").status_code == 200  # a garbled page number is page 1


def test_the_api_gives_the_same_health(app, make_client, runs):
    client = make_client()
    analyst = _token(app.state.ctx.engine, "analis_bawaslu")
    reviewer = _token(app.state.ctx.engine, "peninjau_a")
    assert client.get("/api/v1/sources").status_code == 401
    assert client.get("/api/v1/sources", headers={"Authorization": f"Bearer {reviewer}"}).status_code == 403
    response = client.get("/api/v1/sources?window=2", headers={"Authorization": f"Bearer {analyst}"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["window"] == 2
    by_name = {s["name"]: s for s in body["sources"]}
    assert list(by_name)[: len(region_config().sources)] == [s.name for s in region_config().sources]
    suara = by_name["suara-madura-timur"]
    assert suara["last_error"] == SOURCE_ERROR and suara["error_is_current"] is True
    assert suara["skip_reasons"] == {}  # its failing run is the third newest, outside window=2
    kabar = by_name["kabar-sampang"]
    assert kabar["runs"] == [None, None]  # running, failed: neither recorded per-source counts
    assert kabar["skip_reasons"] == {} and kabar["last_success_at"].startswith("20")
    info = by_name["info-pilkada-sampang"]
    assert info["open_silent_count"] == 1 and info["open_silent_alerts"][0]["id"] == runs["alert"]
    wide = client.get("/api/v1/sources", headers={"Authorization": f"Bearer {analyst}"}).json()
    assert wide["window"] == 10
    wide_by_name = {s["name"]: s for s in wide["sources"]}
    assert wide_by_name["suara-madura-timur"]["skip_reasons"] == {"fetch_error": 1}
    first = wide_by_name["kabar-sampang"]["runs"][2]
    assert (first["run_id"], first["new"], first["skipped"]) == (runs["first"], 3, 1)
    assert wide_by_name["kabar-sampang"]["skip_reasons"] == {"malformed": 1}
    bad = client.get("/api/v1/sources?window=0", headers={"Authorization": f"Bearer {analyst}"})
    assert bad.status_code == 400 and bad.json()["error"].startswith("window:")


def test_the_openapi_schema_documents_the_endpoint():
    path = openapi_schema()["paths"]["/api/v1/sources"]["get"]
    assert [p["name"] for p in path["parameters"]] == ["window"]
    fields = path["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["sources"]
    assert {"last_error", "silent", "runs", "skip_reasons", "open_silent_alerts"} <= set(
        fields["items"]["properties"]
    )


def test_every_state_problem_and_skip_reason_has_a_label():
    for context, codes in (
        ("run_state", RUN_STATES),
        ("run_problem", RUN_PROBLEMS),
        ("skip_reason", [r.value for r in SkipReason]),
    ):
        table = messages.table(context)
        assert [c for c in codes if c not in table] == [], context


# --- the page in headless Chromium at phone width ----------------------------------------------------


@pytest.fixture(scope="module")
def health_server(tmp_path_factory):
    """The app under uvicorn over its own seeded database with the runs written above."""
    from flows import resources

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('health') / 'web.db'}")
    migrate(engine)
    seed(engine)
    write_runs(engine)
    resources.reset()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(
                engine, secret_key=SECRET, config=region_config(), now=lambda: NOW + timedelta(hours=1)
            ),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


def test_the_page_fits_a_phone_in_chromium(browser, health_server):
    from test_web_browser import sign_in

    context = browser.new_context(
        base_url=health_server,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="id-ID",
    )
    context.set_default_timeout(15_000)
    phone = context.new_page()
    dialogs: list[str] = []
    phone.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(phone, "analis_bawaslu")
    phone.get_by_role("link", name="Sumber", exact=True).click()
    phone.get_by_role("heading", name="Sumber dan run pemantauan").wait_for()
    assert phone.url.endswith("/sources")
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, overflow
    assert phone.locator("details.source[open]").count() == 2  # the failing and the silent source
    chart = phone.locator("details.source[open] .source-chart svg").first.bounding_box()
    assert chart is not None and 250 <= chart["width"] <= 390
    assert phone.get_by_text(SOURCE_ERROR).count() >= 1  # shown as text, not run
    assert phone.locator("main script").count() == 0 and dialogs == []
    phone.screenshot(path=str(ARTIFACTS / "20-sources-phone.png"), full_page=True)
    context.close()
