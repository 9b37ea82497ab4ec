"""The analysts' pages (filters, search, CSV export, timeline, districts) and the JSON API."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy.orm import Session
from starlette.testclient import TestClient
from webfixtures import NOW

from pantau.web.analyst import csv_cell
from storage import accounts


def _alert_items(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'href="/items/(\d+)"', html)}


def test_alert_filters(make_client, seeded):
    client = make_client("analis_bawaslu")
    ids = seeded.items
    assert _alert_items(client.get("/alerts").text) == {
        ids[k] for k in ("tps_omben", "fajar", "ancaman", "xss", "sara")
    }
    cases = {
        "signal=hoax": {ids["tps_omben"], ids["xss"]},
        "district=Kedungdung": {ids["fajar"]},
        "stage=campaign&signal=sara": {ids["sara"]},
        "source=kabar-demo": {ids["tps_omben"]},
        "actor=Polres+Sampang": {ids["ancaman"]},
        "q=AMPLOP": {ids["fajar"]},
        "q=100%25": {ids["fajar"]},  # % is no wildcard: it separates words, "100" is the word sought
        "q=10%25": set(),  # whole words: "10" is not "100"
        "status=resolved": set(),
        "since=2024-11-27": {ids["tps_omben"]},  # local (WIB) dates: 26 Nov 18:00 UTC is 27 Nov
        "until=2024-11-25": {ids["xss"], ids["sara"]},
        "since=2024-11-26&until=2024-11-26": {ids["fajar"], ids["ancaman"]},
    }
    for query, expected in cases.items():
        assert _alert_items(client.get(f"/alerts?{query}").text) == expected, query


def test_bad_filters_get_a_message(make_client):
    client = make_client("analis_bawaslu")
    response = client.get("/alerts?since=kemarin")
    assert response.status_code == 400 and "Filter tidak sah" in response.text
    assert client.get("/alerts?signal=bogus").status_code == 400


def test_csv_export_of_a_filtered_view(make_client, seeded):
    client = make_client("analis_bawaslu")
    page = client.get("/alerts?signal=hoax")
    assert 'href="/alerts.csv?signal=hoax"' in page.text
    response = client.get("/alerts.csv?signal=hoax")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {int(r["item_id"]) for r in rows} == {seeded.items["tps_omben"], seeded.items["xss"]}
    assert {r["signal"] for r in rows} == {"hoax"}
    xss = next(r for r in rows if int(r["item_id"]) == seeded.items["xss"])
    assert xss["item_title"].startswith("<script>")  # CSV keeps the data as it is (a file, not a page)


def test_csv_cells_cannot_become_formulas():
    assert csv_cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert csv_cell("+62 812") == "'+62 812"
    assert csv_cell(["Omben", "Torjun"]) == "Omben, Torjun"
    assert csv_cell(None) == ""


def test_timeline_and_districts(make_client):
    client = make_client("analis_bawaslu")
    timeline = client.get("/timeline").text
    stages = re.findall(r'<th scope="row">([^<]+)</th>', timeline)
    assert stages.index("Kampanye") < stages.index("Masa tenang") < stages.index("Pemungutan suara")
    row = re.search(r'<th scope="row">Kampanye</th><td>(\d+)</td>', timeline)
    assert row and int(row.group(1)) == 3  # items collected in the campaign
    districts = client.get("/districts").text
    names = re.findall(r'<th scope="row"><a href="/alerts\?district=[^"]+">([^<]+)</a>', districts)
    assert names[:3] == ["Kedungdung", "Omben", "Torjun"]  # high-severity first, by name
    assert "Tanpa peringatan:" in districts and "Banyuates" in districts
    assert client.get("/districts?signal=sara").text.count('<th scope="row">') == 1


def _token(engine, username: str) -> str:
    with Session(engine) as session, session.begin():
        return accounts.create_api_token(session, accounts.account_by_username(session, username).id, "t")


def test_api_needs_a_valid_token_of_an_analyst(app, seeded):
    client = TestClient(app)
    engine = app.state.ctx.engine
    assert client.get("/api/v1/alerts").status_code == 401
    assert client.get("/api/v1/alerts", headers={"Authorization": "Bearer pnt_wrong"}).status_code == 401
    reviewer = _token(engine, "peninjau_a")
    assert client.get("/api/v1/alerts", headers={"Authorization": f"Bearer {reviewer}"}).status_code == 403
    analyst = _token(engine, "analis_bawaslu")
    response = client.get(
        "/api/v1/alerts?signal=hoax&limit=1", headers={"Authorization": f"Bearer {analyst}"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 2 and body["limit"] == 1 and len(body["alerts"]) == 1
    assert body["alerts"][0]["item_id"] == seeded.items["tps_omben"]  # high before medium
    with Session(engine) as session, session.begin():
        accounts.revoke_api_tokens(session, accounts.account_by_username(session, "analis_bawaslu").id)
    assert client.get("/api/v1/alerts", headers={"Authorization": f"Bearer {analyst}"}).status_code == 401
    client.close()


def test_api_filters_districts_timeline_and_schema(app, seeded):
    client = TestClient(app)
    headers = {"Authorization": f"Bearer {_token(app.state.ctx.engine, 'admin_bawaslu')}"}
    alerts = client.get("/api/v1/alerts?district=Torjun&actor=Polres%20Sampang", headers=headers).json()
    assert [a["item_id"] for a in alerts["alerts"]] == [seeded.items["ancaman"]]
    assert alerts["alerts"][0]["created_at"].startswith("2024-11-2")
    bad = client.get("/api/v1/alerts?until=besok", headers=headers)
    assert bad.status_code == 400 and "until" in bad.json()["error"]
    assert client.get("/api/v1/alerts?limit=abc", headers=headers).status_code == 400
    districts = client.get("/api/v1/districts", headers=headers).json()["districts"]
    assert {d["district"] for d in districts} == {"Omben", "Kedungdung", "Torjun", "Sampang", "Robatal"}
    timeline = client.get("/api/v1/timeline", headers=headers).json()
    assert timeline["stages"].index("campaign") < timeline["stages"].index("voting_day")
    assert {"stage": "voting_day", "signal": "hoax", "count": 1} in timeline["alerts"]
    schema = client.get("/api/v1/openapi.json", headers=headers).json()
    assert schema["openapi"].startswith("3.") and set(schema["paths"]) >= {
        "/api/v1/alerts",
        "/api/v1/districts",
        "/api/v1/timeline",
    }
    names = {p["name"] for p in schema["paths"]["/api/v1/alerts"]["get"]["parameters"]}
    assert names >= {
        "signal",
        "stage",
        "district",
        "source",
        "actor",
        "status",
        "since",
        "until",
        "q",
        "limit",
    }
    client.close()


def test_api_rate_limits_bad_tokens(app):
    client = TestClient(app)
    for _ in range(20):
        assert client.get("/api/v1/alerts", headers={"Authorization": "Bearer pnt_guess"}).status_code == 401
    assert client.get("/api/v1/alerts").status_code == 429
    client.close()


def test_outcomes_page_counts_claims_answered_by_reviewers(app, make_client, seeded):
    from webfixtures import csrf_from

    from storage.claims import assign_items, create_claim

    with Session(app.state.ctx.engine) as session, session.begin():
        claim = create_claim(session, "TPS 5 Omben dipindah", now=NOW)
        assign_items(session, claim, [seeded.items["tps_omben"]])
    analyst = make_client("analis_bawaslu")
    before = analyst.get("/outcomes").text
    assert re.search(r"Semua tahapan</th><td>1</td><td>0</td>", before)

    reviewer = make_client("peninjau_a")
    item = seeded.items["tps_omben"]
    token = csrf_from(reviewer.get(f"/items/{item}").text)
    reviewer.post(
        f"/items/{item}/counter",
        data={"counter_item_id": str(seeded.items["klarifikasi"]), "csrf_token": token},
    )
    after = analyst.get("/outcomes").text
    assert re.search(r"Semua tahapan</th><td>1</td><td>1</td>\s*<td>100%</td>", after)
    # the category in words, then the basis the answer is credited on (the reviewer's organisation linked it)
    row = re.search(
        r"<td>Redaksi Kabar Sampang</td><td>Media dan pemeriksa fakta</td>\s*"
        r'<td class="basis">([^<]*)</td><td class="n">1</td>\s*<td class="n">1</td>',
        after,
    )
    assert row, after[after.find("Peran tiap aktor") :][:1500]
    assert row.group(1) == "dikonfirmasi oleh Redaksi Kabar Sampang"
    first = 'Redaksi Kabar Sampang <span class="basis">(dikonfirmasi oleh Redaksi Kabar Sampang)</span>'
    assert first in after
    assert make_client("peninjau_b").get("/outcomes").status_code == 403
