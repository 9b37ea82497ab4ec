"""CSRF protection for the web app's forms: a per-session synchronizer token plus an Origin check.

Every POST form carries a hidden ``csrf_token`` equal to the one in the signed session cookie; a
cross-site page cannot read it. A request whose ``Origin`` (or, without one, ``Referer``) names another
host is refused as well. The JSON API is token-authenticated and read-only, so it needs neither.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request

SESSION_KEY = "csrf"
FORM_FIELD = "csrf_token"
HEADER = "x-csrf-token"


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


def rotate(request: Request) -> str:
    """A fresh token (after login and logout)."""
    request.session[SESSION_KEY] = secrets.token_urlsafe(32)
    return request.session[SESSION_KEY]


def same_origin(request: Request) -> bool:
    """False when the browser says the request came from a page on another host."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin != "null"
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc == host


def valid(request: Request, submitted: object) -> bool:
    """Whether ``submitted`` (the form field or header value) matches the session's token."""
    expected = request.session.get(SESSION_KEY)
    if not isinstance(expected, str) or not isinstance(submitted, str) or not submitted:
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode()) and same_origin(request)
