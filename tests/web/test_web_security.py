"""Security of the web app: authentication on every route, roles, organisations, CSRF, rate limiting,
session cookies, password hashing, escaping of scraped text."""

from __future__ import annotations

import re

import pytest
from sessioncookies import read_session, sign_session, with_cookie
from sqlalchemy import text, update
from sqlalchemy.orm import Session
from starlette.routing import Mount, Route
from starlette.testclient import TestClient
from webfixtures import PASSWORD, SECRET, XSS_TEXT, csrf_from, login

from pantau.web.app import PUBLIC_PATHS, SESSION_COOKIE
from storage import accounts
from storage.models import CounterLink, Item, ItemMatch


def _concrete(path: str) -> str:
    return re.sub(r"\{(\w+):(int|id)\}", "1", re.sub(r"\{(\w+):str\}", "verdict", path))


def _routes(app) -> list[tuple[str, str]]:
    out = []
    for route in app.routes:
        if isinstance(route, Route):
            for method in sorted(route.methods - {"HEAD"}):
                out.append((method, route.path))
    return out


def test_every_route_has_a_guard(app):
    unguarded = [
        r.path
        for r in app.routes
        if isinstance(r, Route) and r.path not in PUBLIC_PATHS and not hasattr(r.endpoint, "pantau_roles")
    ]
    assert unguarded == []
    assert {r.path for r in app.routes if isinstance(r, Mount)} == {"/static"}


def test_every_route_without_a_session_is_refused(app, make_client):
    client = make_client()
    routes = _routes(app)
    assert len(routes) >= 15
    for method, path in routes:
        if path in PUBLIC_PATHS:
            continue
        response = client.request(method, _concrete(path), follow_redirects=False)
        if method == "GET" and not path.startswith("/api/"):
            assert response.status_code == 303, (method, path)
            assert response.headers["location"].startswith("/login?next=")
        else:
            assert response.status_code == 401, (method, path, response.status_code)
        assert "Peringatan" not in response.text or path == "/login"


def test_login_page_and_stylesheet_are_public(make_client):
    client = make_client()
    assert client.get("/login").status_code == 200
    assert client.get("/static/style.css").status_code == 200


def test_passwords_are_argon2_hashes(web_engine, seeded):
    with Session(web_engine) as session:
        account = accounts.account_by_username(session, "peninjau_a")
    assert account.password_hash.startswith("$argon2id$")
    assert PASSWORD not in account.password_hash


def test_session_cookie_is_httponly_and_samesite(make_client):
    client = make_client()
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": "peninjau_a", "password": PASSWORD, "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "pantau_session=" in cookie


def test_wrong_password_is_refused_and_login_is_rate_limited(make_client):
    client = make_client()
    for _ in range(5):
        page = client.get("/login")
        bad = client.post(
            "/login",
            data={
                "username": "peninjau_a",
                "password": "salah-sekali-123",
                "csrf_token": csrf_from(page.text),
            },
        )
        assert bad.status_code == 401
        assert "Nama pengguna atau kata sandi salah" in bad.text
    page = client.get("/login")
    blocked = client.post(
        "/login", data={"username": "peninjau_a", "password": PASSWORD, "csrf_token": csrf_from(page.text)}
    )
    assert blocked.status_code == 429  # even the right password, while blocked
    assert "Retry-After" in blocked.headers
    login(make_client(), "peninjau_b")  # another account is not affected


def test_login_without_csrf_token_is_rejected(make_client):
    client = make_client()
    client.get("/login")
    response = client.post(
        "/login", data={"username": "peninjau_a", "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403


def test_posts_without_csrf_token_are_rejected(app, make_client, seeded):
    client = make_client("admin_redaksi")
    item = seeded.items["tps_omben"]
    posts = [
        (path, data)
        for path, data in (
            (f"/items/{item}/verdict", {"verdict": "hoax"}),
            (f"/items/{item}/note", {"note": "x"}),
            (f"/items/{item}/dismiss", {}),
            ("/admin/users", {"username": "baru_1", "role": "reviewer", "password": "x" * 12}),
            (f"/admin/users/{seeded.users['peninjau_b']}/active", {"active": "0"}),
            ("/logout", {}),
        )
    ]
    for path, data in posts:
        assert client.post(path, data=data).status_code == 403, path
        assert client.post(path, data=data | {"csrf_token": "forged-token-value"}).status_code == 403, path
    # nothing happened: the item is still in the queue, the user still active, the session still valid
    assert f"/items/{item}" in client.get("/queue").text
    with Session(app.state.ctx.engine) as session:
        assert accounts.account_by_username(session, "peninjau_b").active


def test_cross_site_origin_is_rejected_even_with_token(make_client, seeded):
    client = make_client("peninjau_a")
    token = csrf_from(client.get("/queue").text)
    response = client.post(
        f"/items/{seeded.items['fajar']}/note",
        data={"note": "x", "csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    ok = client.post(
        f"/items/{seeded.items['fajar']}/note",
        data={"note": "ok", "csrf_token": token},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert ok.status_code == 303


@pytest.mark.parametrize(
    ("username", "path", "allowed"),
    [
        ("peninjau_a", "/queue", True),
        ("peninjau_a", "/alerts", False),
        ("peninjau_a", "/alerts.csv", False),
        ("peninjau_a", "/timeline", False),
        ("peninjau_a", "/admin/users", False),
        ("analis_bawaslu", "/alerts", True),
        ("analis_bawaslu", "/districts", True),
        ("analis_bawaslu", "/queue", False),
        ("analis_bawaslu", "/admin/users", False),
        ("admin_redaksi", "/queue", True),
        ("admin_redaksi", "/alerts", True),
        ("admin_redaksi", "/admin/users", True),
    ],
)
def test_pages_by_role(make_client, username, path, allowed):
    response = make_client(username).get(path)
    assert response.status_code == (200 if allowed else 403)
    if not allowed:
        assert "Akses ditolak" in response.text


def test_analyst_cannot_act_on_items(make_client, seeded):
    client = make_client("analis_bawaslu")
    page = client.get(f"/items/{seeded.items['tps_omben']}")
    assert page.status_code == 200 and "Simpan putusan" not in page.text
    response = client.post(
        f"/items/{seeded.items['tps_omben']}/verdict",
        data={"verdict": "hoax", "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 403


def test_reviewer_cannot_act_as_another_organisations_admin(app, make_client, seeded):
    reviewer = make_client("peninjau_a")
    token = csrf_from(reviewer.get("/queue").text)
    bawaslu_analyst = seeded.users["analis_bawaslu"]
    assert (
        reviewer.post(
            f"/admin/users/{bawaslu_analyst}/active", data={"active": "0", "csrf_token": token}
        ).status_code
        == 403
    )
    assert (
        reviewer.post(
            "/admin/users",
            data={"username": "penyusup", "role": "admin", "password": "x" * 12, "csrf_token": token},
        ).status_code
        == 403
    )
    # an admin of the newsroom is not Bawaslu's admin either
    admin = make_client("admin_redaksi")
    token = csrf_from(admin.get("/admin/users").text)
    assert "analis_bawaslu" not in admin.get("/admin/users").text
    assert (
        admin.post(
            f"/admin/users/{bawaslu_analyst}/active", data={"active": "0", "csrf_token": token}
        ).status_code
        == 403
    )
    assert admin.post(f"/admin/users/{bawaslu_analyst}/token", data={"csrf_token": token}).status_code == 403
    with Session(app.state.ctx.engine) as session:
        assert accounts.account_by_id(session, bawaslu_analyst).active


def test_admin_manages_own_organisation(app, make_client, seeded):
    admin = make_client("admin_redaksi")
    token = csrf_from(admin.get("/admin/users").text)
    created = admin.post(
        "/admin/users",
        data={
            "username": "Peninjau_C",
            "role": "reviewer",
            "password": "rahasia-panjang-1",
            "csrf_token": token,
        },
    )
    assert created.status_code == 200 and "peninjau_c" in created.text
    short = admin.post(
        "/admin/users",
        data={"username": "peninjau_d", "role": "reviewer", "password": "pendek", "csrf_token": token},
    )
    assert short.status_code == 400 and "minimal 10 karakter" in short.text
    login(make_client(), "peninjau_c", "rahasia-panjang-1")
    # deactivating a user ends their session at once
    victim = make_client("peninjau_b")
    assert victim.get("/queue").status_code == 200
    assert (
        admin.post(
            f"/admin/users/{seeded.users['peninjau_b']}/active",
            data={"active": "0", "csrf_token": token},
            follow_redirects=False,
        ).status_code
        == 303
    )
    assert victim.get("/queue", follow_redirects=False).status_code == 303


def test_logout_ends_the_session(make_client):
    client = make_client("peninjau_a")
    token = csrf_from(client.get("/queue").text)
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert client.get("/queue", follow_redirects=False).status_code == 303


def test_login_redirect_stays_on_this_site(make_client):
    client = make_client()
    page = client.get("/login?next=//evil.example/x")
    assert 'value="/"' in page.text
    response = client.post(
        "/login",
        data={
            "username": "peninjau_a",
            "password": PASSWORD,
            "next": "https://evil.example/",
            "csrf_token": csrf_from(page.text),
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_script_payloads_render_inert(make_client, seeded):
    client = make_client("admin_redaksi")
    for path in ("/queue", f"/items/{seeded.items['xss']}", "/alerts", "/alerts?q=dibakar"):
        html = client.get(path).text
        assert "<script>" not in html and "<img src=x" not in html, path
        assert 'href="javascript:' not in html, path
    item_page = client.get(f"/items/{seeded.items['xss']}")
    assert "&lt;script&gt;alert(&#34;judul&#34;)&lt;/script&gt;" in item_page.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in item_page.text
    assert "script-src 'none'" in item_page.headers["content-security-policy"]
    assert XSS_TEXT not in item_page.text


def test_security_headers(make_client):
    response = make_client("peninjau_a").get("/queue")
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


def test_unknown_pages_are_404_without_detail(make_client):
    response = make_client().get("/nope")
    assert response.status_code == 404 and "Traceback" not in response.text


def test_session_cookie_cannot_be_forged(app, seeded):
    """A well-formed session (an admin's id and current version, a CSRF token) signed exactly as
    SessionMiddleware signs, but with another secret, is refused; the same session signed with the
    app's secret is accepted, so only the secret decides."""
    forged = {"uid": seeded.users["admin_redaksi"], "sv": 0, "csrf": "c" * 43}
    other_secret = "another-secret-" + "y" * 40
    client = with_cookie(TestClient(app), sign_session(forged, other_secret))
    assert client.get("/admin/users", follow_redirects=False).status_code == 303
    genuine = with_cookie(TestClient(app), sign_session(forged, SECRET))
    assert genuine.get("/admin/users", follow_redirects=False).status_code == 200
    # and the cookies the app sets are signed with the configured secret (not a fixed one)
    signed_in = login(TestClient(app), "peninjau_a")
    assert read_session(signed_in.cookies[SESSION_COOKIE], SECRET)["uid"] == seeded.users["peninjau_a"]
    for c in (client, genuine, signed_in):
        c.close()


JS_URLS = (
    "javascript:alert(1)",
    " JaVaScRiPt:alert(2)",
    "data:text/html,<script>alert(3)</script>",
    "vbscript:msgbox(4)",
)
_HREF = re.compile(r'href="([^"]*)"')


def test_javascript_urls_are_never_links(make_client, seeded, web_engine):
    """Non-http(s) URLs stored in the database (an item's URL, hence also a match's, and counter-link
    URLs) never become an href on the item pages: the ``safe_url`` guard."""
    flagged, target = seeded.items["tps_omben"], seeded.items["xss"]
    with Session(web_engine) as session, session.begin():
        session.execute(update(Item).where(Item.id == target).values(url=JS_URLS[0]))
        session.add(ItemMatch(item_id=flagged, matched_item_id=target, score=0.9, backend="test"))
        session.add_all(
            [
                CounterLink(item_id=flagged, url=url, user_name="peninjau_a", organisation="Redaksi")
                for url in JS_URLS
            ]
        )
    client = make_client("admin_redaksi")
    flagged_page, target_page = (client.get(f"/items/{i}").text for i in (flagged, target))
    assert f'href="/items/{target}"' in flagged_page  # the match is listed
    assert flagged_page.count("peninjau_a (Redaksi)") == len(JS_URLS)  # and every counter-link
    for html in (flagged_page, target_page):
        hrefs = _HREF.findall(html)
        assert hrefs and [h for h in hrefs if not h.startswith(("/", "https://", "http://"))] == []


def test_admin_issues_api_tokens_for_own_analysts_only(make_client, seeded):
    admin = make_client("admin_bawaslu")
    page = admin.get("/admin/users")
    token_form = csrf_from(page.text)
    issued = admin.post(
        f"/admin/users/{seeded.users['analis_bawaslu']}/token",
        data={"csrf_token": token_form, "name": "dasbor"},
    )
    secret = re.search(r'<code class="token">(pnt_[^<]+)</code>', issued.text).group(1)
    api = make_client()
    assert api.get("/api/v1/alerts", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    reviewer_admin = make_client("admin_redaksi")
    token_form = csrf_from(reviewer_admin.get("/admin/users").text)
    refused = reviewer_admin.post(
        f"/admin/users/{seeded.users['peninjau_a']}/token", data={"csrf_token": token_form}
    )
    assert refused.status_code == 403  # reviewers get no API tokens


def test_a_server_error_shows_a_plain_page(app, seeded):
    client = TestClient(app, raise_server_exceptions=False)
    login(client, "analis_bawaslu")
    with Session(app.state.ctx.engine) as session, session.begin():  # break the database under the app
        session.execute(text("ALTER TABLE alerts RENAME TO alerts_gone"))
    response = client.get("/alerts")
    assert response.status_code == 500
    assert "Terjadi kesalahan." in response.text and "Traceback" not in response.text
    assert "alerts_gone" not in response.text and "sqlite" not in response.text.lower()
    client.close()


def test_users_change_their_own_password(make_client):
    client = make_client("peninjau_a")
    other_session = make_client("peninjau_a")
    token = csrf_from(client.get("/account").text)
    wrong = client.post(
        "/account",
        data={
            "current": "salah-sekali-123",
            "new": "sandi-baru-panjang",
            "repeat": "sandi-baru-panjang",
            "csrf_token": token,
        },
    )
    assert wrong.status_code == 400 and "Kata sandi saat ini salah." in wrong.text
    mismatch = client.post(
        "/account",
        data={
            "current": PASSWORD,
            "new": "sandi-baru-panjang",
            "repeat": "sandi-lain-panjang",
            "csrf_token": token,
        },
    )
    assert "tidak sama" in mismatch.text
    done = client.post(
        "/account",
        data={
            "current": PASSWORD,
            "new": "sandi-baru-panjang",
            "repeat": "sandi-baru-panjang",
            "csrf_token": token,
        },
    )
    assert done.status_code == 200 and "Kata sandi diganti." in done.text
    assert client.get("/queue").status_code == 200  # this session stays signed in
    assert other_session.get("/queue", follow_redirects=False).status_code == 303  # the other one is out
    login(make_client(), "peninjau_a", "sandi-baru-panjang")
