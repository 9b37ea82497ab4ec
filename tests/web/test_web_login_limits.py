"""Issue 16 rows 5 and 6: the sign-in limiter's memory stays bounded under random usernames, and a
flood of failures from one shared address (everyone behind one proxy) or against one username does not
lock out a user on a browser that signed in before (its device cookie)."""

from __future__ import annotations

import uuid

from webfixtures import PASSWORD, csrf_from, login

from pantau.web.auth import DEVICE_COOKIE, MAX_FAILURES_PER_CLIENT, MAX_FAILURES_PER_USER


def _attempt(client, username: str, password: str) -> int:
    page = client.get("/login")
    data = {"username": username, "password": password, "csrf_token": csrf_from(page.text)}
    return client.post("/login", data=data, follow_redirects=False).status_code


def test_a_shared_address_blocked_by_strangers_still_lets_known_browsers_in(app, make_client):
    known = login(make_client(), "peninjau_a")  # this browser signed in before: it holds a device cookie
    assert known.cookies.get(DEVICE_COOKIE)
    known.post("/logout", data={"csrf_token": csrf_from(known.get("/queue").text)})
    attacker = make_client()  # TestClient: every client has the same address, like users behind one proxy
    for n in range(MAX_FAILURES_PER_CLIENT):
        assert _attempt(attacker, f"tebakan{n}", "salah-sekali-123") == 401
    assert _attempt(attacker, "peninjau_b", PASSWORD) == 429  # a browser never seen before: blocked
    assert _attempt(known, "peninjau_a", PASSWORD) == 303  # the known browser signs in


def test_failures_against_one_username_do_not_lock_its_known_browser(app, make_client):
    known = login(make_client(), "peninjau_a")
    known.post("/logout", data={"csrf_token": csrf_from(known.get("/queue").text)})
    stranger = make_client()
    for _ in range(MAX_FAILURES_PER_USER):
        assert _attempt(stranger, "peninjau_a", "salah-sekali-123") == 401
    assert _attempt(stranger, "peninjau_a", PASSWORD) == 429
    assert _attempt(known, "peninjau_a", PASSWORD) == 303


def test_a_forged_device_cookie_lifts_nothing(app, make_client):
    stranger = make_client()
    for _ in range(MAX_FAILURES_PER_USER):
        assert _attempt(stranger, "peninjau_a", "salah-sekali-123") == 401
    stranger.cookies.set(DEVICE_COOKIE, "eyJ1IjoicGVuaW5qYXVfYSIsImQiOiJ4In0.fake.signature")
    assert _attempt(stranger, "peninjau_a", PASSWORD) == 429


def test_random_usernames_keep_memory_bounded(app, make_client):
    limiter = app.state.limiter
    for _ in range(200):
        limiter.fail(f"u-{uuid.uuid4().hex}", "10.0.0.1")
    limiter.users.max_keys = 100  # a small cap to show it holds
    for _ in range(5_000):
        limiter.fail(f"u-{uuid.uuid4().hex}", "10.0.0.1")
    assert len(limiter.users) <= 100 and len(limiter.clients) == 1


def test_a_nul_in_the_username_is_a_plain_failure(make_client):
    client = make_client()
    assert _attempt(client, "peninjau\x00_a", PASSWORD) == 401
    assert _attempt(client, "peninjau_a", "kata\x00sandi-uji-123") == 401
