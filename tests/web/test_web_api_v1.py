"""The JSON API's records and keyset pages (issue 18): ``/api/v1/items/{id}``, ``/api/v1/items``,
``/api/v1/claims``, ``/api/v1/outcomes``, and ``cursor`` paging of alerts, items and claims (test client,
the seeded SQLite database of ``webfixtures``).

A cursor walk must see every alert that existed when it started exactly once while new alerts arrive
between pages; tampered, forged, foreign or garbage cursors are a 400; the lists apply the same filters
as the pages (the CSV export of the alert views, the claims page).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy.orm import Session
from starlette.testclient import TestClient
from webfixtures import NOW

from pantau.web import cursor
from pantau.web.api import PAGING_KEYS
from storage import accounts, api_queries
from storage import claims as claim_store
from storage.alerts import raise_alert
from storage.models import SEVERITIES

SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}


def _headers(app, username: str) -> dict[str, str]:
    with Session(app.state.ctx.engine) as session, session.begin():
        user = accounts.account_by_username(session, username)
        return {"Authorization": f"Bearer {accounts.create_api_token(session, user.id, 't')}"}


@pytest.fixture
def api(app) -> TestClient:
    client = TestClient(app, headers=_headers(app, "analis_bawaslu"))
    yield client
    client.close()


def _more_alerts(engine, seeded, count: int, *, start: int, hours: float) -> list[int]:
    """``count`` alerts on the seeded items, every severity, three of one severity at each creation
    time (so a page can end inside a tie)."""
    items = list(seeded.items.values())
    ids = []
    with Session(engine) as session, session.begin():
        for n in range(start, start + count):
            ids.append(
                raise_alert(
                    session,
                    kind="flagged_item",
                    severity=SEVERITIES[n // 6 % len(SEVERITIES)],
                    signal=("hoax", "sara", "vote_buying")[n % 3],
                    item_id=items[n % len(items)],
                    district=("Omben", "Torjun")[n % 2],
                    stage="campaign",
                    reason=f"extra {n}",
                    dedupe_key=f"extra:{n}",
                    now=NOW + timedelta(hours=hours + n // 3),  # three alerts per creation time
                )[0]
            )
    return ids


def _walk(client: TestClient, path: str, name: str, between=None) -> tuple[list[dict], int]:
    """Every row of a keyset list, following ``next``; ``between(page)`` runs after each page."""
    rows, pages, url = [], 0, path
    while url:
        assert pages < 100, "the walk does not end"
        response = client.get(url)
        assert response.status_code == 200, response.text
        body = response.json()
        rows += body[name]
        pages += 1
        url = body["next"]
        if url:
            assert body["next_cursor"] and url.endswith(body["next_cursor"])
            assert response.headers["link"] == f'<{url}>; rel="next"'
        if between:
            between(pages)
    return rows, pages


def _export_ids(app, query: str) -> set[int]:
    """The alert ids the analysts' CSV export (the pages' filters) lists for ``query``."""
    from webfixtures import login

    with TestClient(app) as client:
        login(client, "analis_bawaslu")
        text = client.get(f"/alerts.csv?{query}").content.decode("utf-8-sig")
    return {int(row["id"]) for row in csv.DictReader(io.StringIO(text))}


def test_cursor_walk_sees_each_alert_once_while_alerts_arrive(app, api, seeded):
    engine = app.state.ctx.engine
    _more_alerts(engine, seeded, 22, start=0, hours=-40)
    before = _export_ids(app, "")
    arriving = iter(range(100, 200))

    def insert_newer(_page: int) -> None:  # newer than anything read so far, of every severity
        _more_alerts(engine, seeded, 2, start=next(arriving) * 2, hours=10)

    rows, pages = _walk(api, "/api/v1/alerts?limit=4", "alerts", between=insert_newer)
    ids = [r["id"] for r in rows]
    assert pages == -(-len(before) // 4) and len(ids) == len(set(ids)) and set(ids) == before
    # most severe first, then newest, ties by id (every created_at is UTC isoformat: they sort as text)
    assert rows == sorted(
        rows, key=lambda r: (SEVERITY_RANK[r["severity"]], r["created_at"], r["id"]), reverse=True
    )
    # the same order as the deprecated offset paging (the alerts page's own query)
    legacy = api.get("/api/v1/alerts?offset=0&limit=1000").json()
    assert legacy["total"] == len(_export_ids(app, "")) and legacy["next_cursor"] is None
    assert [a["id"] for a in legacy["alerts"] if a["id"] in before] == ids


def test_first_page_total_and_last_page(app, api, seeded, monkeypatch):
    _more_alerts(app.state.ctx.engine, seeded, 6, start=0, hours=-40)
    first = api.get("/api/v1/alerts?limit=3").json()
    assert first["total"] == 11 and first["total_exact"] is True and len(first["alerts"]) == 3
    second = api.get(first["next"]).json()
    assert second["total"] is None and second["total_exact"] is False
    whole = api.get("/api/v1/alerts?limit=1000").json()
    assert whole["total"] == 11 and whole["next"] is None and whole["next_cursor"] is None
    monkeypatch.setattr(api_queries, "TOTAL_CAP", 10)  # the count stops at the cap
    capped = api.get("/api/v1/alerts?limit=3").json()
    assert capped["total"] == 10 and capped["total_exact"] is False
    assert api.get("/api/v1/alerts?limit=3&signal=sara").json()["total_exact"] is True


@pytest.mark.parametrize(
    "query",
    [
        "signal=hoax",
        "district=Omben",
        "stage=campaign&signal=sara",
        "status=open&since=2024-11-26&until=2024-11-27",
        "source=grup-wa",
        "actor=Polres%20Sampang",
        "kind=flagged_item&district=Torjun",
    ],
)
def test_alert_filters_are_the_pages_filters(app, api, seeded, query):
    _more_alerts(app.state.ctx.engine, seeded, 9, start=0, hours=-40)
    rows, _ = _walk(api, f"/api/v1/alerts?{query}&limit=2", "alerts")
    expected = _export_ids(app, query)
    assert expected and sorted(r["id"] for r in rows) == sorted(expected)


def test_bad_cursors_are_a_400(app, api, seeded):
    _more_alerts(app.state.ctx.engine, seeded, 6, start=0, hours=-40)
    token = api.get("/api/v1/alerts?signal=hoax&limit=2").json()["next_cursor"]
    assert api.get(f"/api/v1/alerts?signal=hoax&limit=2&cursor={token}").status_code == 200
    middle = len(token) // 2
    tampered = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    digest = cursor.filters_digest({"signal": "hoax", "limit": "2"}, PAGING_KEYS)
    forged = URLSafeSerializer("not-the-secret-" + "y" * 40, salt="pantau-api-cursor").dumps(
        {"k": "alerts", "f": digest, "p": ["critical", NOW.isoformat(), 1, 10**6]}
    )
    items_token = api.get("/api/v1/items?limit=1").json()["next_cursor"]
    for query in (
        f"signal=hoax&cursor={tampered}",
        f"signal=hoax&cursor={token}.",
        "signal=hoax&cursor=garbage",
        f"signal=hoax&cursor={forged}",
        f"signal=hoax&cursor={items_token}",  # another list's
        f"signal=sara&cursor={token}",  # other filters
        f"signal=hoax&cursor={'x' * 600}",
        f"signal=hoax&cursor={token}&offset=5",
    ):
        response = api.get(f"/api/v1/alerts?{query}")
        assert response.status_code == 400, (query, response.text)
        assert response.json()["error"].startswith("cursor:")
    assert api.get(f"/api/v1/claims?cursor={token}").status_code == 400


def test_limits_are_bounded(app, api, seeded):
    _more_alerts(app.state.ctx.engine, seeded, 3, start=0, hours=-40)
    assert len(api.get("/api/v1/alerts?limit=0").json()["alerts"]) == 1
    assert api.get("/api/v1/alerts?limit=99999").json()["limit"] == 1000
    assert api.get("/api/v1/items?limit=99999").json()["limit"] == 1000
    assert api.get("/api/v1/claims?limit=99999").json()["limit"] == 500
    for path in ("alerts", "items", "claims"):
        response = api.get(f"/api/v1/{path}?limit=-1")
        assert response.status_code == 400 and response.json()["error"].startswith("limit:")


def test_item_detail(app, api, seeded):
    item_id = seeded.items["tps_omben"]
    with Session(app.state.ctx.engine) as session, session.begin():
        claim_id = claim_store.claim_for_item(session, item_id, user="peninjau_a", organisation="Redaksi")
    body = api.get(f"/api/v1/items/{item_id}").json()
    assert body["id"] == item_id and body["lang"] == "ind" and body["stage"] == "voting_day"
    assert body["districts"] == ["Omben"] and body["source"]["name"] == "kabar-demo"
    assert body["sightings"] == 2 and body["claim_id"] == claim_id == body["claim"]["id"]
    assert body["scores"]["scores"]["hoax"] == pytest.approx(0.93) and body["scores"]["flags"] == ["hoax"]
    assert body["scores"]["reasons"]["hoax"] == ["rule hoax_framing: pesan berantai", "pindah"]
    assert [(a["signal"], a["severity"]) for a in body["alerts"]] == [("hoax", "high")]
    assert [r["action"] for r in body["reviews"]] == ["claim_start"]  # the trail the item page shows
    quiet = api.get(f"/api/v1/items/{seeded.items['klarifikasi']}").json()
    assert quiet["alerts"] == [] and quiet["claim_id"] is None
    missing = api.get("/api/v1/items/999999")
    assert missing.status_code == 404 and missing.json() == {"error": "no item 999999"}
    for path in ("/api/v1/items/abc", "/api/v1/items/0", "/api/v1/items/" + "9" * 30):
        response = api.get(path)
        assert response.status_code == 404 and response.json()["error"]


def test_items_list_walk_and_filters(app, api, seeded):
    rows, pages = _walk(api, "/api/v1/items?limit=2", "items")
    assert sorted(r["id"] for r in rows) == sorted(seeded.items.values()) and pages == 3
    times = [(r["collected_at"], r["id"]) for r in rows]
    assert times == sorted(times, reverse=True)
    first = {r["id"]: r for r in rows}[seeded.items["xss"]]
    assert first["snippet"].startswith("<script>") and first["source"] == "grup-wa"  # JSON: data, not HTML
    ids = {
        query: {r["id"] for r in api.get(f"/api/v1/items?{query}").json()["items"]}
        for query in ("stage=campaign", "district=Omben", "signal=hoax", "source=grup-wa")
    }
    assert ids["stage=campaign"] == {seeded.items[k] for k in ("ancaman", "xss", "sara")}
    assert ids["district=Omben"] == {seeded.items["tps_omben"]}
    assert ids["signal=hoax"] == {seeded.items["tps_omben"], seeded.items["xss"]}
    assert ids["source=grup-wa"] == {seeded.items[k] for k in ("fajar", "ancaman", "xss", "sara")}
    assert api.get("/api/v1/items?signal=rumour").status_code == 400


@pytest.fixture
def two_claims(web_engine, seeded) -> dict[str, int]:
    """Claim A (the Omben hoax, answered by the KPU clarification), claim B (two items, unanswered)."""
    ids = seeded.items
    with Session(web_engine) as session, session.begin():
        a = claim_store.create_claim(session, "A")
        b = claim_store.create_claim(session, "B")
        claim_store.assign_items(session, a, [ids["tps_omben"]])
        claim_store.assign_items(session, b, [ids["xss"], ids["fajar"]])
        claim_store.link_counter_narrative(
            session,
            claim_id=a,
            item_id=ids["klarifikasi"],
            actor="KPU Sampang",
            actor_category="kpu",
            published_at=None,
            confidence=0.8,
            attribution="mentioned",
        )
        claim_store.refresh_claim_spread(session, [a, b])
    return {"A": a, "B": b}


def test_claims_match_the_claims_page(app, api, two_claims, make_client):
    page = make_client("analis_bawaslu")
    for query in (
        "",
        "answered=unanswered",
        "answered=answered",
        "stage=campaign",
        "district=Omben",
        "age=24h",
    ):
        listed = [int(i) for i in re.findall(r'<a href="/claims/(\d+)">#', page.get(f"/claims?{query}").text)]
        rows, _ = _walk(api, f"/api/v1/claims?{query}&limit=1", "claims")
        assert [r["id"] for r in rows] == listed, query
    body = api.get("/api/v1/claims").json()
    assert body["total"] == 2 and body["next"] is None
    a = {c["id"]: c for c in body["claims"]}[two_claims["A"]]
    assert a["answered"] and a["first_answer_actor"] == "KPU Sampang"
    [counter] = a["counter_narratives"]
    assert counter["actor"] == "KPU Sampang" and counter["hours_after_first_seen"] == pytest.approx(
        a["hours_to_first_answer"], abs=0.01
    )
    assert api.get("/api/v1/claims?answered=maybe").status_code == 400


def test_outcomes(app, api, two_claims):
    body = api.get("/api/v1/outcomes").json()
    assert body["total"]["claims"] == 2 and body["total"]["answered"] == 1
    assert body["total"]["answered_share"] == 0.5
    assert {a["actor"]: a["claims_answered"] for a in body["actors"]} == {"KPU Sampang": 1}
    assert {c["id"] for c in body["claims"]} == set(two_claims.values())
    voting = api.get("/api/v1/outcomes?stage=voting_day").json()
    assert voting["total"]["claims"] == 1 and [s["name"] for s in voting["stages"]] == ["voting_day"]
    assert api.get("/api/v1/outcomes?since=kemarin").status_code == 400


@pytest.mark.parametrize("path", ["/api/v1/items", "/api/v1/items/1", "/api/v1/claims", "/api/v1/outcomes"])
def test_new_endpoints_need_an_analyst_token(app, path):
    with TestClient(app) as client:
        assert client.get(path).status_code == 401
        assert client.get(path, headers={"Authorization": "Bearer pnt_wrong"}).status_code == 401
        assert client.get(path, headers=_headers(app, "peninjau_a")).status_code == 403
        assert client.get(path, headers=_headers(app, "admin_redaksi")).status_code == 200


def test_schema_lists_the_new_endpoints(api):
    paths = api.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/items", "/api/v1/items/{item_id}", "/api/v1/claims", "/api/v1/outcomes"} <= set(paths)
    alerts = {p["name"]: p for p in paths["/api/v1/alerts"]["get"]["parameters"]}
    assert alerts["offset"]["deprecated"] is True and "cursor" in alerts
