"""Server-side session revocation (issue 16 row 7) and a fresh session at sign-in (row 12): the cookie
carries the user's session version; sign-out, deactivation, reactivation, a password change and a role
change raise it, so a copied cookie stops working. Sign-in drops whatever the cookie held before."""

from __future__ import annotations

from sessioncookies import read_session, session_of, sign_session, with_cookie
from sqlalchemy.orm import Session
from starlette.testclient import TestClient
from typer.testing import CliRunner
from webfixtures import PASSWORD, SECRET, csrf_from, login

from pantau.cli.main import app as cli
from pantau.web.app import SESSION_COOKIE
from storage import accounts


def _copy(client: TestClient, app) -> TestClient:
    """A second browser holding a copy of ``client``'s session cookie (a stolen or replayed cookie)."""
    copy = TestClient(app)
    return with_cookie(copy, client.cookies[SESSION_COOKIE])


def _signed_in(client: TestClient) -> bool:
    return client.get("/queue", follow_redirects=False).status_code == 200


def test_copied_cookie_stops_working_after_logout(app, make_client):
    client = make_client("peninjau_a")
    copy = _copy(client, app)
    assert _signed_in(copy)  # a copy works while the session lives
    token = csrf_from(client.get("/queue").text)
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert not _signed_in(copy)
    assert not _signed_in(with_cookie(TestClient(app), copy.cookies[SESSION_COOKIE]))
    copy.close()


def test_reactivating_a_user_does_not_revive_old_cookies(app, make_client, seeded):
    victim = make_client("peninjau_b")
    copy = _copy(victim, app)
    admin = make_client("admin_redaksi")
    token = csrf_from(admin.get("/admin/users").text)
    target = f"/admin/users/{seeded.users['peninjau_b']}/active"
    for active in ("0", "1"):
        done = admin.post(target, data={"active": active, "csrf_token": token}, follow_redirects=False)
        assert done.status_code == 303
        assert not _signed_in(copy)
    assert not _signed_in(copy) and not _signed_in(victim)  # reactivated, but the old cookies stay dead
    assert _signed_in(login(make_client(), "peninjau_b"))  # a fresh sign-in works
    copy.close()


def test_password_change_ends_every_other_copy(app, make_client):
    client = make_client("peninjau_a")
    before = _copy(client, app)
    token = csrf_from(client.get("/account").text)
    done = client.post(
        "/account",
        data={
            "current": PASSWORD,
            "new": "sandi-baru-panjang",
            "repeat": "sandi-baru-panjang",
            "csrf_token": token,
        },
    )
    assert done.status_code == 200
    assert _signed_in(client)  # this browser is re-issued a cookie under the new version
    assert not _signed_in(before)  # a copy of its cookie from before the change is out
    before.close()


def test_role_change_ends_the_sessions(app, make_client, web_engine):
    reviewer = make_client("peninjau_a")
    assert _signed_in(reviewer)
    changed = CliRunner().invoke(cli, ["user", "role", "peninjau_a", "analyst", "--db", str(web_engine.url)])
    assert changed.exit_code == 0, changed.output
    assert not _signed_in(reviewer)
    analyst = login(make_client(), "peninjau_a")
    assert analyst.get("/alerts").status_code == 200 and analyst.get("/queue").status_code == 403
    refused = CliRunner().invoke(cli, ["user", "role", "peninjau_a", "boss", "--db", str(web_engine.url)])
    assert refused.exit_code == 2


def test_cli_signout_ends_every_session(make_client, web_engine):
    first, second = make_client("peninjau_a"), make_client("peninjau_a")
    other_user = make_client("peninjau_b")
    ended = CliRunner().invoke(cli, ["user", "signout", "peninjau_a", "--db", str(web_engine.url)])
    assert ended.exit_code == 0, ended.output
    assert not _signed_in(first) and not _signed_in(second)
    assert _signed_in(other_user)


def test_cookie_of_an_older_version_is_refused(app, web_engine, seeded):
    uid = seeded.users["peninjau_a"]
    current = TestClient(app)
    assert _signed_in(with_cookie(current, sign_session({"uid": uid, "sv": 0}, SECRET)))
    with Session(web_engine) as session, session.begin():
        assert accounts.end_sessions(session, uid) == 1
    assert not _signed_in(with_cookie(TestClient(app), sign_session({"uid": uid, "sv": 0}, SECRET)))
    # a cookie of the old format (no version) is refused as well: everyone signs in again once
    assert not _signed_in(with_cookie(TestClient(app), sign_session({"uid": uid}, SECRET)))
    assert _signed_in(with_cookie(TestClient(app), sign_session({"uid": uid, "sv": 1}, SECRET)))
    current.close()


def test_sign_in_starts_a_fresh_session(app, seeded):
    """Session fixation: a cookie planted before sign-in (a CSRF token the attacker knows, any other
    value) must not survive it; the sign-in response sets a new session with a new CSRF token."""
    planted_token = "planted-csrf-token-known-to-the-attacker-0123456789"
    planted = sign_session(
        {"csrf": planted_token, "planted": "nilai-lama", "uid": seeded.users["admin_redaksi"]}, SECRET
    )
    client = with_cookie(TestClient(app), planted)
    page = client.get("/login")
    assert csrf_from(page.text) == planted_token  # the planted session is in use before sign-in
    response = client.post(
        "/login",
        data={"username": "peninjau_a", "password": PASSWORD, "next": "/queue", "csrf_token": planted_token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    cookie = client.cookies[SESSION_COOKIE]
    assert cookie != planted
    fresh = read_session(cookie, SECRET)
    assert "planted" not in fresh
    assert fresh["uid"] == seeded.users["peninjau_a"]
    assert isinstance(fresh.get("csrf"), str) and len(fresh["csrf"]) >= 32 and fresh["csrf"] != planted_token
    item = seeded.items["fajar"]
    refused = client.post(f"/items/{item}/note", data={"note": "x", "csrf_token": planted_token})
    assert refused.status_code == 403  # the attacker's token is worthless after sign-in
    assert csrf_from(client.get("/queue").text) == session_of(client, SECRET)["csrf"]
    client.close()
