"""Saved searches in the web app: saving from the alerts page, the /saved page (own and the
organisation's), the badge of unseen matches and opening (which marks them seen), rename, pause,
delete, CSRF and who may touch whose search, and escaping of names and matched text."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from webfixtures import NOW, XSS_TITLE, csrf_from

from storage import saved_searches as ss
from storage.alerts import raise_alert
from storage.models import SavedSearch

SCRIPT_NAME = '<script>alert("nama")</script> Hoaks <b>Omben</b>'


def _save(client, name: str = "Hoaks Sampang", **filters: str):
    page = client.get("/alerts")
    data = {"csrf_token": csrf_from(page.text), "name": name, "view": "alerts", **filters}
    return client.post("/saved", data=data, follow_redirects=False)


def _saved_id(web_engine, name: str) -> int:
    with Session(web_engine) as session:
        return session.scalar(select(SavedSearch.id).where(SavedSearch.name == name))


def _new_alert(web_engine, seeded, key: str = "xss", signal: str = "hoax", district: str = "Sampang") -> int:
    """A new alert on a seeded item, then the monitoring step's scan of every saved search."""
    with Session(web_engine) as session:
        alert_id, created = raise_alert(
            session,
            kind="flagged_item",
            severity="high",
            signal=signal,
            item_id=seeded.items[key],
            district=district,
            reason=f"{signal} 0.95: baru",
            dedupe_key=f"test:{key}:{signal}:{district}",
            now=NOW,
        )
        assert created
        for saved_id in ss.active_ids(session):
            ss.scan(session, saved_id, "Asia/Jakarta", now=NOW)
        session.commit()
    return alert_id


def _badge(html: str) -> int | None:
    found = re.search(
        r'class="saved-count"[^>]*>Tersimpan(?: <span class="badge saved">(\d+)</span>)?</a>', html
    )
    if found is None:
        return None
    return int(found.group(1) or 0)


def test_an_analyst_saves_the_filter_of_the_alerts_page(make_client, web_engine):
    client = make_client("analis_bawaslu")
    page = client.get("/alerts?signal=hoax&district=Sampang")
    assert "Simpan pencarian ini" in page.text
    assert 'name="signal" value="hoax"' in page.text and 'name="district" value="Sampang"' in page.text
    response = _save(client, signal="hoax", district="Sampang", q="")
    assert response.status_code == 303 and response.headers["location"] == "/saved"
    listing = client.get("/saved").text
    assert "Hoaks Sampang" in listing and "Pencarian disimpan." in listing
    with Session(web_engine) as session:
        saved = session.scalars(select(SavedSearch)).one()
        assert saved.filters == {"signal": "hoax", "district": "Sampang"} and saved.notify
        assert saved.watermark == ss.top_alert_id(session)  # what is on the page now is not new
    assert _badge(listing) == 0


def test_new_matches_raise_the_badge_and_opening_marks_them_seen(make_client, web_engine, seeded):
    client = make_client("analis_bawaslu")
    _save(client, signal="hoax", district="Sampang")
    saved_id = _saved_id(web_engine, "Hoaks Sampang")
    _new_alert(web_engine, seeded, district="Omben")  # not this search's district
    assert _badge(client.get("/saved").text) == 0
    _new_alert(web_engine, seeded)
    listing = client.get("/saved").text
    assert _badge(listing) == 1 and "1 baru" in listing
    assert "&lt;script&gt;alert(&#34;judul&#34;)&lt;/script&gt;" in listing  # the matched item's title
    assert XSS_TITLE not in listing
    colleague = make_client("admin_bawaslu")
    assert _badge(colleague.get("/saved").text) == 0  # the owner's matches, not the organisation's
    page = colleague.get("/saved").text
    opened = colleague.post(
        f"/saved/{saved_id}/open", data={"csrf_token": csrf_from(page)}, follow_redirects=False
    )
    assert opened.status_code == 303
    assert _badge(client.get("/alerts").text) == 1  # a colleague opening it marks nothing

    opened = client.post(
        f"/saved/{saved_id}/open", data={"csrf_token": csrf_from(listing)}, follow_redirects=False
    )
    target = urlsplit(opened.headers["location"])
    assert target.path == "/alerts" and parse_qs(target.query) == {
        "signal": ["hoax"],
        "district": ["Sampang"],
    }
    assert _badge(client.get(opened.headers["location"]).text) == 0


def test_rename_pause_resume_and_delete(make_client, web_engine):
    client = make_client("analis_bawaslu")
    _save(client, signal="vote_buying")
    saved_id = _saved_id(web_engine, "Hoaks Sampang")
    token = csrf_from(client.get("/saved").text)
    assert (
        client.post(f"/saved/{saved_id}/rename", data={"csrf_token": token, "name": SCRIPT_NAME}).status_code
        == 200
    )
    listing = client.get("/saved").text
    assert SCRIPT_NAME not in listing and "&lt;script&gt;alert(&#34;nama&#34;)&lt;/script&gt;" in listing
    client.post(f"/saved/{saved_id}/notify", data={"csrf_token": token, "notify": "0"})
    assert "pemberitahuan dijeda" in client.get("/saved").text
    with Session(web_engine) as session:
        assert session.get(SavedSearch, saved_id).notify is False
    client.post(f"/saved/{saved_id}/notify", data={"csrf_token": token, "notify": "1"})
    with Session(web_engine) as session:
        assert session.get(SavedSearch, saved_id).notify is True
    assert client.post(f"/saved/{saved_id}/delete", data={"csrf_token": token}).status_code == 200
    assert "Anda belum menyimpan pencarian." in client.get("/saved").text
    with Session(web_engine) as session:
        assert session.get(SavedSearch, saved_id) is None


@pytest.mark.parametrize("action", ["rename", "notify", "delete", "open"])
def test_every_action_needs_the_csrf_token(make_client, web_engine, action):
    client = make_client("analis_bawaslu")
    _save(client, signal="hoax")
    saved_id = _saved_id(web_engine, "Hoaks Sampang")
    response = client.post(
        f"/saved/{saved_id}/{action}", data={"name": "x", "notify": "0"}, follow_redirects=False
    )
    assert response.status_code == 403
    token = csrf_from(client.get("/saved").text)
    foreign = client.post(
        f"/saved/{saved_id}/{action}",
        data={"csrf_token": token, "name": "x", "notify": "0"},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert foreign.status_code == 403
    with Session(web_engine) as session:
        saved = session.get(SavedSearch, saved_id)
        assert (saved.name, saved.notify) == ("Hoaks Sampang", True)
    assert client.post("/saved", data={"name": "tanpa token"}, follow_redirects=False).status_code == 403


def test_nobody_else_touches_a_users_saved_search(make_client, web_engine):
    owner = make_client("analis_bawaslu")
    _save(owner, SCRIPT_NAME, signal="hoax")
    saved_id = _saved_id(web_engine, " ".join(SCRIPT_NAME.split()))
    colleague = make_client("admin_bawaslu")  # same organisation: read-only
    page = colleague.get("/saved").text
    assert "Dari anggota Bawaslu Sampang lainnya" in page and "analis_bawaslu" in page
    assert SCRIPT_NAME not in page and "&lt;script&gt;" in page
    assert f'action="/saved/{saved_id}/delete"' not in page
    token = csrf_from(page)
    for action in ("rename", "notify", "delete"):
        response = colleague.post(
            f"/saved/{saved_id}/{action}", data={"csrf_token": token, "name": "x", "notify": "0"}
        )
        assert response.status_code == 403, action
    stranger = make_client("admin_redaksi")  # another organisation: not even visible
    page = stranger.get("/saved").text
    assert "analis_bawaslu" not in page
    token = csrf_from(page)
    assert stranger.post(f"/saved/{saved_id}/open", data={"csrf_token": token}).status_code == 404
    assert stranger.post(f"/saved/{saved_id}/delete", data={"csrf_token": token}).status_code == 403
    assert stranger.post("/saved/999999/delete", data={"csrf_token": token}).status_code == 404
    reviewer = make_client("peninjau_a")  # of another organisation, too
    page = reviewer.get("/saved").text
    assert "analis_bawaslu" not in page and _badge(reviewer.get("/queue").text) == 0
    token = csrf_from(page)
    assert reviewer.post(f"/saved/{saved_id}/open", data={"csrf_token": token}).status_code == 404
    with Session(web_engine) as session:
        saved = session.get(SavedSearch, saved_id)
        assert saved is not None and saved.notify and saved.name.startswith("<script>")


def test_bad_filters_and_names_are_refused(make_client, web_engine):
    client = make_client("analis_bawaslu")
    assert _save(client, signal="bogus").status_code == 400
    assert _save(client, "x" * 200, signal="hoax").status_code == 400
    assert _save(client, "", since="2024-13-40").status_code == 400
    assert _save(client, "", signal="hoax").status_code == 303  # an empty name: one made of the filters
    with Session(web_engine) as session:
        assert list(session.scalars(select(SavedSearch.name))) == ["hoax"]


def test_a_reviewer_saves_an_item_search_but_not_an_alerts_view(make_client, web_engine):
    reviewer = make_client("peninjau_a")  # reviewers search items; the alerts view is not theirs
    token = csrf_from(reviewer.get("/saved").text)
    refused = reviewer.post(
        "/saved", data={"csrf_token": token, "name": "a", "view": "alerts", "signal": "hoax"}
    )
    assert refused.status_code == 403
    no_words = reviewer.post("/saved", data={"csrf_token": token, "name": "b", "view": "search", "q": " "})
    assert no_words.status_code == 400
    saved = reviewer.post(
        "/saved", data={"csrf_token": token, "name": "Kotak suara", "view": "search", "q": "kotak suara"}
    )
    assert saved.status_code == 200 and "Pencarian item" in saved.text
    saved_id = _saved_id(web_engine, "Kotak suara")
    with Session(web_engine) as session:
        assert session.get(SavedSearch, saved_id).watermark == ss.top_id(session, "search")
    opened = reviewer.post(f"/saved/{saved_id}/open", data={"csrf_token": token}, follow_redirects=False)
    assert opened.headers["location"] == "/search?q=kotak+suara"
    colleague = make_client("peninjau_b")
    assert "Kotak suara" in colleague.get("/saved").text
    analyst_elsewhere = make_client("analis_bawaslu")
    assert "Kotak suara" not in analyst_elsewhere.get("/saved").text
