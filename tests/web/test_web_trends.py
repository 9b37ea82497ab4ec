"""The trends page, its CSV and API (issue 18): SVG charts with the stage calendar marked, local days,
names from the database escaped in the SVG, analysts only, bad parameters a 400; and the timeline's
bars on one common scale."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from pantau.web.charts import MAX_BARS, stacked_bars
from storage import accounts
from storage import repository as repo

EVIL = "<script>alert(1)</script> & Co"


def _token(app, username: str = "analis_bawaslu") -> dict[str, str]:
    with Session(app.state.ctx.engine) as session, session.begin():
        user = accounts.account_by_username(session, username)
        return {"Authorization": f"Bearer {accounts.create_api_token(session, user.id, 't')}"}


def _add_alert(app, district: str, when: datetime, n: int = 1, stage: str | None = None) -> None:
    with Session(app.state.ctx.engine) as session, session.begin():
        repo.raise_alert(
            session,
            kind="flagged_item",
            severity="high",
            signal="hoax",
            reason="test",
            district=district,
            stage=stage,
            dedupe_key=f"trend-test-{n}",
            now=when,
        )


def test_the_page_draws_both_series_with_the_stages(make_client):
    page = make_client("analis_bawaslu").get("/trends")
    assert page.status_code == 200
    svgs = re.findall(r"<svg[^>]*>", page.text)
    assert len(svgs) == 2 and all('width="100%"' in s and "viewBox=" in s for s in svgs)
    assert " style=" not in page.text.split("<main>")[1]  # the CSP would drop style attributes
    # the seed's alerts lie between 25 and 27 Nov (WIB): the quiet period and voting day are marked
    assert "Masa tenang" in page.text and "Pemungutan suara" in page.text
    assert "Peringatan per hari, menurut sinyal" in page.text
    assert 'href="/trends.csv?granularity=day&amp;by=signal"' in page.text


def test_only_analysts_and_admins(make_client):
    assert make_client("peninjau_a").get("/trends").status_code == 403
    assert make_client("peninjau_a").get("/trends.csv").status_code == 403
    anonymous = make_client().get("/trends", follow_redirects=False)
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["location"]
    assert make_client("admin_redaksi").get("/trends?granularity=hour&by=stage").status_code == 200


def test_bad_parameters_are_a_400(make_client, app):
    client = make_client("analis_bawaslu")
    for query in ("granularity=week", "by=actor", "since=2024-13-01", "signal=rumour", "district=%00"):
        assert client.get(f"/trends?{query}").status_code == 400, query
        assert client.get(f"/trends.csv?{query}").status_code == 400, query
        answer = make_client().get(f"/api/v1/trends?{query}", headers=_token(app))
        assert answer.status_code == 400 and answer.json()["error"], query


def test_names_from_the_database_cannot_inject_markup(make_client, app):
    _add_alert(app, EVIL, datetime(2024, 11, 26, 3, tzinfo=UTC))
    page = make_client("analis_bawaslu").get("/trends?by=district")
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text
    chart = page.text[page.text.index('id="chart-alerts"') :]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in chart.split("</svg>")[0]


def test_api_days_are_local_days(make_client, app):
    # 23:30 UTC on 27 Nov is 06:30 WIB on the 28th
    _add_alert(app, "Omben", datetime(2024, 11, 27, 23, 30, tzinfo=UTC))
    answer = make_client().get("/api/v1/trends?granularity=day&by=district", headers=_token(app))
    assert answer.status_code == 200
    data = answer.json()
    assert data["buckets"] == [f"2024-11-{d}T00:00:00+07:00" for d in (25, 26, 27, 28)]
    alerts = {row["key"]: row["counts"] for row in data["series"]["alerts"]}
    assert alerts["Omben"] == [0, 0, 1, 1]
    assert alerts["Robatal"] == [1, 0, 0, 0] and alerts["Torjun"] == [0, 1, 0, 0]
    assert [s["label"] for s in data["stages"]][:2] == [
        "Pendaftaran paslon",
        "Verifikasi dan penetapan paslon",
    ]
    assert make_client().get("/api/v1/trends").status_code == 401
    assert make_client().get("/api/v1/trends", headers=_token(app, "peninjau_a")).status_code == 403
    schema = make_client().get("/api/v1/openapi.json", headers=_token(app)).json()
    assert {p["name"] for p in schema["paths"]["/api/v1/trends"]["get"]["parameters"]} >= {
        "granularity",
        "by",
    }


def test_csv_is_safe_utf8_with_bom_and_zero_filled(make_client, app):
    _add_alert(app, '=HYPERLINK("http://x")', datetime(2024, 11, 26, 3, tzinfo=UTC))
    answer = make_client("analis_bawaslu").get("/trends.csv?by=district&signal=hoax")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert answer.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows and set(rows[0]) == {"bucket_start", "granularity", "metric", "by", "key", "label", "count"}
    omben = [r["count"] for r in rows if r["key"] == "Omben" and r["metric"] == "alerts"]
    assert omben == ["0", "0", "1"]  # 25, 26, 27 Nov: the empty days are there, as zeros
    assert all(not r["key"].startswith("=") for r in rows)
    assert any(r["key"].startswith("'=HYPERLINK") for r in rows)


def test_timeline_bars_share_one_scale(make_client, app):
    _add_alert(app, "Omben", datetime(2024, 11, 26, 20, tzinfo=UTC), stage="voting_day")  # a second hoax
    page = make_client("analis_bawaslu").get("/timeline")
    assert page.status_code == 200
    cells = re.findall(
        r"<td>(\d+)<br><svg class=\"bar\"[^>]*width=\"(\d+)\".*?class=\"fill\" width=\"([\d.]+)\"", page.text
    )
    assert len(cells) >= 4
    assert {track for _, track, _ in cells} == {"96"}  # every column's track has the same width
    peak = max(int(n) for n, _, _ in cells)
    assert peak == 2
    for n, _, fill in cells:
        assert abs(float(fill) - 100 * int(n) / peak) < 0.1, (n, fill)


def test_long_series_are_summed_into_few_bars_and_many_groups_into_the_rest():
    start = datetime(2024, 11, 1)
    buckets = [start + timedelta(hours=i) for i in range(300)]
    series = [(f"Kecamatan {n}", [n % 3] * 300) for n in range(9)]
    svg = stacked_bars(title="Uji", buckets=buckets, series=series, granularity="hour")
    assert "Uji (digabung per 3 jam)" in svg and "Lainnya" in svg
    bars = re.findall(r'<g id="chart-patch_\d+">', svg)
    assert len(bars) <= MAX_BARS * 8 + 10


def test_a_cached_series_serves_until_the_data_changes(make_client, app, monkeypatch):
    from storage import trends as stored_trends

    calls = []
    real = stored_trends.trend_series
    monkeypatch.setattr(stored_trends, "trend_series", lambda *a, **k: calls.append(1) or real(*a, **k))
    headers = _token(app)
    url = "/api/v1/trends?granularity=day&by=district&district=Camplong"
    first = make_client().get(url, headers=headers).json()
    assert make_client().get(url, headers=headers).json() == first and len(calls) == 1
    _add_alert(app, "Camplong", datetime(2024, 11, 26, 3, tzinfo=UTC), n=77)  # a new alert: new version
    third = make_client().get(url, headers=headers).json()
    assert len(calls) == 2 and third != first
