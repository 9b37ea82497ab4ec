"""Session cookies as Starlette's ``SessionMiddleware`` writes them (base64 JSON signed by an itsdangerous
``TimestampSigner`` with the app's secret): build one with any secret, read one the app set."""

from __future__ import annotations

import json
from base64 import b64decode, b64encode

from itsdangerous import TimestampSigner
from starlette.testclient import TestClient

from pantau.web.app import SESSION_COOKIE

COOKIE_DOMAIN = "testserver.local"  # where httpx files the TestClient's cookies (http://testserver)


def sign_session(data: dict, secret: str) -> str:
    """The cookie value SessionMiddleware with ``secret`` would set for the session ``data``."""
    return TimestampSigner(secret).sign(b64encode(json.dumps(data).encode("utf-8"))).decode("utf-8")


def read_session(value: str, secret: str) -> dict:
    """The session in a cookie value signed with ``secret`` (raises BadSignature otherwise)."""
    return json.loads(b64decode(TimestampSigner(secret).unsign(value.encode("utf-8"))))


def session_of(client: TestClient, secret: str) -> dict:
    """The session the client's current cookie holds."""
    return read_session(client.cookies[SESSION_COOKIE], secret)


def with_cookie(client: TestClient, value: str) -> TestClient:
    """Replace the client's session cookie by ``value`` (a copied or forged cookie)."""
    client.cookies.delete(SESSION_COOKIE)
    client.cookies.set(SESSION_COOKIE, value, domain=COOKIE_DOMAIN)
    return client
