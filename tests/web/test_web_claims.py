"""The claims pages in the web app (test client, real SQLite): the list and its filters, a claim's page,
a reviewer's actions on it (link review, debunk by item or URL, merge, split), roles, CSRF, escaping."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session
from webfixtures import XSS_TITLE, csrf_from

from storage import claims as store
from storage.models import Claim, CounterNarrative, Item, Review


@pytest.fixture
def claims(web_engine, seeded) -> dict[str, int]:
    """Claim A (the Omben TPS hoax, answered by the KPU clarification) and claim B (the injection item
    and the vote-buying post, unanswered)."""
    ids = seeded.items
    with Session(web_engine) as session, session.begin():
        a = store.create_claim(session, "A")
        b = store.create_claim(session, "B")
        store.assign_items(session, a, [ids["tps_omben"]])
        store.assign_items(session, b, [ids["xss"], ids["fajar"]])
        store.link_counter_narrative(
            session,
            claim_id=a,
            item_id=ids["klarifikasi"],
            actor="KPU Sampang",
            actor_category="kpu",
            published_at=None,
            confidence=0.8,
            attribution="mentioned",
        )
        store.refresh_claim_spread(session, [a, b])
    return {"A": a, "B": b}


def _listed(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<a href="/claims/(\d+)">#', html)]


def _post(client, claim_id: int, action: str, **data):
    token = csrf_from(client.get(f"/claims/{claim_id}").text)
    return client.post(
        f"/claims/{claim_id}/{action}", data=data | {"csrf_token": token}, follow_redirects=False
    )


def _claim_of(engine, item_id: int) -> int | None:
    with Session(engine) as session:
        return session.get(Item, item_id).claim_id


def test_list_and_filters(make_client, claims):
    client = make_client("analis_bawaslu")  # analysts may read the claims
    html = client.get("/claims").text
    assert _listed(html) == [claims["A"], claims["B"]]  # most recently first seen first: A 13 h ago, B 48 h
    assert "Belum dijawab" in html and "KPU Sampang" in html and "disebut dalam teks" in html
    assert _listed(client.get("/claims?answered=unanswered").text) == [claims["B"]]
    assert _listed(client.get("/claims?answered=answered").text) == [claims["A"]]
    assert _listed(client.get("/claims?stage=campaign").text) == [claims["B"]]
    assert _listed(client.get("/claims?district=Omben").text) == [claims["A"]]
    assert _listed(client.get("/claims?age=24h").text) == [claims["A"]]
    assert _listed(client.get("/claims?age=7d").text) == [claims["A"], claims["B"]]
    assert _listed(client.get("/claims?age=older").text) == []
    assert client.get("/claims?answered=maybe").status_code == 400
    assert client.get("/claims?age=1y").status_code == 400


def test_hostile_claim_text_is_escaped(make_client, claims):
    client = make_client("peninjau_a")
    for html in (client.get("/claims").text, client.get(f"/claims/{claims['B']}").text):
        assert "<script>alert" not in html and "<b>dibakar</b>" not in html
        assert str(escape(XSS_TITLE[:30])) in html  # shown, as text


def test_claim_page_shows_items_chart_and_links(make_client, seeded, claims):
    html = make_client("analis_bawaslu").get(f"/claims/{claims['A']}").text
    assert f'href="/items/{seeded.items["tps_omben"]}"' in html
    assert f'href="/items/{seeded.items["klarifikasi"]}"' in html
    assert "<svg" in html and "<rect" in html and "stroke-dasharray" in html  # bars and the answer marker
    assert "KPU Sampang" in html and "disebut dalam teks" in html and "belum ditinjau" in html
    assert "Gabungkan" not in html and "Lampirkan" not in html  # analysts get no forms


def test_analyst_cannot_act(make_client, web_engine, claims):
    client = make_client("analis_bawaslu")
    token = csrf_from(client.get("/claims").text)
    response = client.post(
        f"/claims/{claims['A']}/merge", data={"other_claim_id": str(claims["B"]), "csrf_token": token}
    )
    assert response.status_code == 403
    with Session(web_engine) as session:
        assert session.get(Claim, claims["B"]).merged_into_id is None


def test_actions_need_the_csrf_token(make_client, web_engine, claims):
    client = make_client("peninjau_a")
    response = client.post(f"/claims/{claims['A']}/merge", data={"other_claim_id": str(claims["B"])})
    assert response.status_code == 403
    response = client.post(
        f"/claims/{claims['A']}/merge", data={"other_claim_id": str(claims["B"]), "csrf_token": "x" * 43}
    )
    assert response.status_code == 403
    with Session(web_engine) as session:
        assert session.get(Claim, claims["B"]).merged_into_id is None


def test_merge_redirects_and_hides_the_merged_claim(make_client, web_engine, seeded, claims):
    client = make_client("peninjau_a")
    a, b = claims["A"], claims["B"]
    refused = _post(client, a, "merge", other_claim_id=str(a))
    assert refused.status_code == 400 and "dirinya sendiri" in refused.text
    assert _post(client, a, "merge", other_claim_id="abc").status_code == 400
    assert _post(client, a, "merge", other_claim_id="99999").status_code == 400
    done = _post(client, a, "merge", other_claim_id=f"#{b}")
    assert done.status_code == 303 and done.headers["location"] == f"/claims/{a}"
    assert "digabung ke klaim ini" in client.get(f"/claims/{a}").text
    assert _claim_of(web_engine, seeded.items["fajar"]) == a
    moved = client.get(f"/claims/{b}", follow_redirects=False)
    assert moved.status_code == 302 and moved.headers["location"] == f"/claims/{a}"
    assert _listed(client.get("/claims").text) == [a]
    assert _post(client, b, "answer", url="https://kabar.example/cek").status_code == 400  # merged: refused
    with Session(web_engine) as session:
        actions = session.scalars(select(Review.action).where(Review.item_id == seeded.items["xss"]))
        assert list(actions) == ["claim_merge"]


def test_split_moves_the_chosen_items(make_client, web_engine, seeded, claims):
    client = make_client("peninjau_b")
    b, fajar, xss = claims["B"], seeded.items["fajar"], seeded.items["xss"]
    assert _post(client, b, "split").status_code == 400
    token = csrf_from(client.get(f"/claims/{b}").text)
    everything = client.post(
        f"/claims/{b}/split", data={"item_id": [str(fajar), str(xss)], "csrf_token": token}
    )
    assert everything.status_code == 400 and "semua item" in everything.text
    stranger = _post(client, b, "split", item_id=str(seeded.items["tps_omben"]))
    assert stranger.status_code == 400 and "bukan anggota" in stranger.text
    done = _post(client, b, "split", item_id=str(fajar))
    assert done.status_code == 303
    new = int(done.headers["location"].rsplit("/", 1)[1])
    assert new != b and _claim_of(web_engine, fajar) == new and _claim_of(web_engine, xss) == b
    with Session(web_engine) as session:
        assert session.get(Claim, new).origin == "split"


def test_attach_debunks_and_review_links(make_client, web_engine, seeded, claims):
    client = make_client("peninjau_a")
    a, b = claims["A"], claims["B"]
    assert _post(client, b, "answer").status_code == 400
    bad = _post(client, b, "answer", url="javascript:alert(1)")
    assert bad.status_code == 400 and "http(s)" in bad.text
    own = _post(client, b, "answer", counter_item_id=str(seeded.items["fajar"]))
    assert own.status_code == 400 and "anggota klaim ini" in own.text
    assert _post(client, b, "answer", url="https://kabar.example/cek-fakta/fajar").status_code == 303
    assert _post(client, b, "answer", counter_item_id=str(seeded.items["klarifikasi"])).status_code == 303
    html = client.get(f"/claims/{b}").text
    assert "dicatat oleh Redaksi Kabar Sampang" in html and "dikonfirmasi oleh Redaksi Kabar Sampang" in html
    assert 'href="https://kabar.example/cek-fakta/fajar"' in html
    assert _listed(client.get("/claims?answered=unanswered").text) == []

    with Session(web_engine) as session:
        auto = store.link_of(session, a, seeded.items["klarifikasi"])
        url_link = session.scalars(select(CounterNarrative).where(CounterNarrative.url.is_not(None))).one()
    # the URL link belongs to claim B, not A
    assert _post(client, a, "link", link_id=str(url_link.id), decision="reject").status_code == 400
    assert _post(client, a, "link", link_id=str(auto.id), decision="maybe").status_code == 400
    assert _post(client, a, "link", link_id=str(auto.id), decision="confirm").status_code == 303
    with Session(web_engine) as session:
        confirmed = session.get(CounterNarrative, auto.id)
        assert confirmed.confirmed and confirmed.confirmed_by == "Redaksi Kabar Sampang"
    assert "dikonfirmasi oleh Redaksi Kabar Sampang" in client.get(f"/claims/{a}").text
    assert _post(client, a, "link", link_id=str(auto.id), decision="reject").status_code == 303
    assert "ditolak" in client.get(f"/claims/{a}").text
    assert _listed(client.get("/claims?answered=unanswered").text) == [a]
    assert _post(client, b, "link", link_id=str(url_link.id), decision="reject").status_code == 303
    with Session(web_engine) as session:
        assert session.get(CounterNarrative, url_link.id).rejected


def test_item_page_links_to_its_claim(make_client, seeded, claims):
    client = make_client("analis_bawaslu")
    html = client.get(f"/items/{seeded.items['tps_omben']}").text
    assert f'<a href="/claims/{claims["A"]}">Klaim #{claims["A"]}</a>' in html
    other = client.get(f"/items/{seeded.items['ancaman']}").text  # in no claim
    assert "/claims/" not in other.replace('href="/claims"', "")


def test_unknown_claims_and_actions(make_client, claims):
    client = make_client("peninjau_a")
    assert client.get("/claims/99999").status_code == 404
    assert _post(client, claims["A"], "explode").status_code == 404
    token = csrf_from(client.get("/claims").text)
    response = client.post("/claims/99999/merge", data={"other_claim_id": "1", "csrf_token": token})
    assert response.status_code == 404


def test_timeline_buckets():
    from datetime import UTC, datetime, timedelta

    from pantau.web.claims import MAX_BARS, timeline

    t0 = datetime(2024, 11, 26, 17, 30, tzinfo=UTC)  # 00:30 WIB on 27 Nov
    hourly = timeline(
        [t0, t0 + timedelta(minutes=10), t0 + timedelta(hours=2)],
        "Asia/Jakarta",
        answer_at=t0 + timedelta(hours=1),
    )
    assert [b.count for b in hourly.bars] == [2, 0, 1] and hourly.bucket == "jam"
    assert hourly.first_label == "27-11 00:00" and hourly.last_label == "27-11 02:00"
    assert hourly.bars[0].height > hourly.bars[2].height > 0 == hourly.bars[1].height
    assert hourly.bars[0].x < hourly.answer_x < hourly.bars[2].x
    daily = timeline([t0, t0 + timedelta(days=30)], "Asia/Jakarta", answer_at=t0 - timedelta(days=3))
    assert daily.bucket == "hari" and len(daily.bars) == 31 <= MAX_BARS
    assert daily.answer_x == daily.left  # an answer before the first sighting sits at the start
    assert timeline([], "Asia/Jakarta") is None
