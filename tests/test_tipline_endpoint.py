"""The tipline endpoint over a real SQLite database: authentication, validation, limits, idempotency."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from pantau.domain.errors import ConfigError
from pantau.web.tipline import MAX_AUTH_FAILURES, MAX_BODY_BYTES, create_app, parse_tokens
from storage.db import make_engine, migrate
from storage.models import Item

TOKENS = {"s3cret-token-for-nu-0001": "pcnu-sampang", "s3cret-token-for-radio-02": "radio-demo"}
MESSAGE = {"text": "Katanya TPS 4 Omben dipindah ke balai desa, sebarkan!", "sender": "+62 812 0000 1111",
           "forwarded_from": "Grup Warga Omben"}


@pytest.fixture()
def setup(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'tip.db'}")
    migrate(engine)
    clock = [0.0]
    app = create_app(engine, TOKENS, clock=lambda: clock[0],
                     now=lambda: datetime(2024, 11, 26, 1, 0, tzinfo=UTC))
    return TestClient(app), engine, clock


def _post(client, body, token="s3cret-token-for-nu-0001", content_type="application/json"):
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post("/tipline", content=data, headers=headers)


def test_stores_once_with_member_and_pseudonymised_sender(setup):
    client, engine, _ = setup
    first = _post(client, MESSAGE)
    assert first.status_code == 201 and first.json()["duplicate"] is False
    again = _post(client, MESSAGE, token="s3cret-token-for-radio-02")
    assert again.status_code == 200 and again.json() == {"id": first.json()["id"], "duplicate": True}
    with Session(engine) as s:
        items = s.scalars(select(Item)).all()
    assert len(items) == 1
    item = items[0]
    assert item.raw["submitted_by"] == "pcnu-sampang" and item.raw["forwarded_from"] == "Grup Warga Omben"
    assert item.author.startswith("anon:") and "812" not in item.author


@pytest.mark.parametrize("token", [None, "wrong-token-0000000000", "s3cret-token-for-nu-000"])
def test_rejects_missing_or_wrong_tokens(setup, token):
    client, _, _ = setup
    response = _post(client, MESSAGE, token=token)
    assert response.status_code == 401 and "Bearer" in response.headers["www-authenticate"]


def test_blocks_an_address_after_repeated_failures_then_recovers(setup):
    client, _, clock = setup
    for _ in range(MAX_AUTH_FAILURES):
        assert _post(client, MESSAGE, token="guess-guess-guess-1").status_code == 401
    assert _post(client, MESSAGE).status_code == 429  # even with the right token, for a while
    clock[0] += 601
    assert _post(client, MESSAGE).status_code == 201


@pytest.mark.parametrize("body, reason", [
    (b"{not json", "malformed"),
    ({"text": "halo"}, "missing_field"),
    ({"text": "", "sender": "x"}, "empty_text"),
    ({"text": "halo", "sender": "x", "url": "javascript:alert(1)"}, "malformed"),
    ({"text": "halo", "sender": "x", "admin": True}, "malformed"),
    (["a", "list"], "malformed"),
])
def test_unusable_payloads_get_400_with_a_reason(setup, body, reason):
    client, engine, _ = setup
    response = _post(client, body)
    assert response.status_code == 400 and response.json()["reason"] == reason
    with Session(engine) as s:
        assert s.scalars(select(Item)).all() == []


def test_size_and_content_type_limits(setup):
    client, _, _ = setup
    huge = {"text": "x" * (MAX_BODY_BYTES + 10), "sender": "a"}
    assert _post(client, huge).status_code == 413
    assert _post(client, "text=halo", content_type="application/x-www-form-urlencoded").status_code == 415
    assert client.get("/tipline").status_code == 405


def test_token_spec_parsing():
    assert parse_tokens("nu:abcdefghijklmnop, radio:qrstuvwxyz012345") == {
        "abcdefghijklmnop": "nu", "qrstuvwxyz012345": "radio"}
    for bad in (None, "", "nu:short", "no-colon-here-at-all"):
        with pytest.raises(ConfigError):
            parse_tokens(bad)
