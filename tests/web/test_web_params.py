"""Hostile query, path and form values on the pages, ``/alerts.csv`` and the API (issue 16, row 2): each
gives a 400 with a message (Indonesian on pages, ``{"error"}`` on the API) or is ignored, never a 500.

The test client runs with ``raise_server_exceptions=False`` so a regression shows as the 500 a browser
would get. ``pantau.web.params`` itself is checked directly at the end.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session
from starlette.testclient import TestClient
from webfixtures import csrf_from, login

from pantau.web import params
from storage import accounts
from storage import claims as store

HUGE_ID = 2**63  # one more than SQLite and PostgreSQL can hold
FILTER_PAGES = ("/alerts", "/alerts.csv", "/timeline", "/districts", "/outcomes")
API = ("/api/v1/alerts", "/api/v1/districts", "/api/v1/timeline")
BAD_FILTERS = (
    "until=9999-12-31",
    "since=0001-01-01",
    "since=1999-12-31",
    "until=2101-01-01",
    "since=2024-11-2%C2%B2",
    "q=a%00b",
    "district=%00",
    "signal=bogus",
)


@pytest.fixture
def admin(app) -> TestClient:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield login(client, "admin_redaksi")  # an admin may open every page


@pytest.fixture
def api(app) -> TestClient:
    with Session(app.state.ctx.engine) as session, session.begin():
        token = accounts.create_api_token(
            session, accounts.account_by_username(session, "admin_bawaslu").id, "params"
        )
    with TestClient(app, raise_server_exceptions=False, headers={"Authorization": f"Bearer {token}"}) as c:
        yield c


@pytest.mark.parametrize("query", BAD_FILTERS)
@pytest.mark.parametrize("path", FILTER_PAGES)
def test_bad_filters_on_pages_give_400_in_indonesian(admin, path, query):
    response = admin.get(f"{path}?{query}")
    assert response.status_code == 400, response.text[:300]
    assert "Filter tidak sah" in response.text and "text/html" in response.headers["content-type"]


@pytest.mark.parametrize("path", FILTER_PAGES)
def test_dates_at_the_bounds_are_fine(admin, path):
    assert admin.get(f"{path}?since=2000-01-01&until=2100-12-31").status_code == 200


@pytest.mark.parametrize("path", ("/alerts", "/queue", "/claims"))
@pytest.mark.parametrize("page", ("%C2%B2", "%D9%A3", "-1", "0", "99999999999999999999999", "1e3", "x"))
def test_unusable_page_numbers_show_the_first_page(admin, path, page):
    assert admin.get(f"{path}?page={page}").status_code == 200


@pytest.mark.parametrize("query", ("stage=%00", "district=a%00"))
@pytest.mark.parametrize("path", ("/queue", "/claims"))
def test_nul_in_text_filters_gives_400(admin, path, query):
    response = admin.get(f"{path}?{query}")
    assert response.status_code == 400 and "tidak sah" in response.text


BAD_PATHS = (
    f"/items/{HUGE_ID}",
    f"/claims/{HUGE_ID}",
    "/items/0",
    "/items/007",
    f"/items/{'9' * 30}",
    f"/claims/{'9' * 5000}",
    f"/admin/users/{'9' * 5000}/active",
    f"/items/{HUGE_ID}/note",
    f"/items/1/escalations/{HUGE_ID}/close",
    f"/claims/{HUGE_ID}/merge",
)


def _short(value: object) -> str:
    return str(value)[:40]


@pytest.mark.parametrize("path", BAD_PATHS, ids=_short)
@pytest.mark.parametrize("method", ("GET", "POST"))
def test_path_ids_out_of_range_match_no_route(app, admin, path, method):
    """An id no database row can have (0, >= 2^63, thousands of digits) is not found, before any handler
    or guard runs (Starlette's ``{id:int}`` took them and crashed or passed them on)."""
    response = admin.request(method, path)
    assert response.status_code in (404, 405) and "tidak" in response.text.lower()
    anonymous = TestClient(app, raise_server_exceptions=False).request(method, path)
    assert anonymous.status_code in (404, 405)


def test_largest_id_is_a_plain_lookup(admin):
    assert admin.get(f"/items/{params.MAX_ID}").status_code == 404  # found by the handler: no such item
    assert "Item tidak ditemukan" in admin.get(f"/items/{params.MAX_ID}").text
    assert admin.get(f"/claims/{params.MAX_ID}").status_code == 404


@pytest.mark.parametrize("value", ("²", "٣", str(HUGE_ID), "9" * 5000), ids=_short)
def test_form_ids_that_are_not_ids_are_refused_with_a_message(admin, seeded, web_engine, value):
    item = seeded.items["fajar"]
    token = csrf_from(admin.get(f"/items/{item}").text)
    for action, field in (
        ("counter", "counter_item_id"),
        ("escalate", "organisation_id"),
        ("assign", "user_id"),
    ):
        response = admin.post(
            f"/items/{item}/{action}", data={"csrf_token": token, field: value}, follow_redirects=False
        )
        assert response.status_code == 303, (action, response.text[:300])  # back, with a message
        assert "error" in admin.get(f"/items/{item}").text
    with Session(web_engine) as session, session.begin():
        claim = store.create_claim(session, "C")
        store.assign_items(session, claim, [item])
    for field in ("other_claim_id", "counter_item_id"):
        action = "merge" if field == "other_claim_id" else "answer"
        response = admin.post(
            f"/claims/{claim}/{action}", data={"csrf_token": token, field: value}, follow_redirects=False
        )
        assert response.status_code == 400 and "nomor" in response.text.lower()


PAGING = (
    "limit=%C2%B2",
    "offset=%C2%B2",
    "limit=-1",
    "offset=1e3",
    "limit=" + "9" * 30,
    "offset=" + "9" * 5000,
    "offset=%EF%BC%91",
)
API_CASES = [(path, q) for path in API for q in BAD_FILTERS] + [("/api/v1/alerts", q) for q in PAGING]


@pytest.mark.parametrize("path, query", API_CASES, ids=_short)
def test_bad_parameters_on_the_api_give_400_json(api, path, query):
    response = api.get(f"{path}?{query}")
    assert response.status_code == 400, response.text[:300]
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"].split(":")[0] in query


def test_api_paging_is_pulled_into_its_range(api):
    body = api.get("/api/v1/alerts?limit=0&offset=99999999999").json()
    assert body["limit"] == 1 and body["offset"] == 10_000_000 and body["alerts"] == []


def test_the_layer_itself():
    assert params.integer("42", "n", default=0, low=0, high=100) == 42
    for bad in ("²", "٣", "４", " -1", "1_000", "0x10", "1e3", "9" * 20):
        with pytest.raises(params.ParamError):
            params.integer(bad, "n", default=0, low=0, high=10**30)
    assert params.day("2024-11-27", "since") == date(2024, 11, 27)
    for bad in ("20241127", "2024-W48-3", "2024-11-27T00:00", "0001-01-01", "9999-12-31"):
        with pytest.raises(params.ParamError):
            params.day(bad, "since")
    assert params.record_id(params.MAX_ID, "id") == params.MAX_ID
    assert params.form_id("#17") == 17 and params.form_id("²") is None and params.form_id("") is None
    assert params.text("  Omben ", "district") == "Omben" and params.text("x" * 121, "q") is None
    with pytest.raises(params.ParamError):
        params.text("a\ud800", "q")
