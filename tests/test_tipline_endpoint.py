"""The tipline endpoint over real SQLite and PostgreSQL databases: authentication, validation, hostile
JSON bodies (issue 16, row 3), limits, idempotency; the secret pseudonymisation key and ``forwarded_from``
(row 9), and ``pantau tipline``'s key file.
"""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from pantau.cli.tipline import default_key_file
from pantau.domain.errors import ConfigError
from pantau.web.tipline import MAX_AUTH_FAILURES, MAX_BODY_BYTES, create_app, parse_tokens
from sources.pseudonym import AUTHOR_KEY_ENV, DEVELOPMENT_KEY, Pseudonymiser, secret_key
from storage.db import make_engine, migrate
from storage.models import Item

KEY = "tipline-test-key-" + "0123456789abcdef" * 2
TOKENS = {"s3cret-token-for-nu-0001": "pcnu-sampang", "s3cret-token-for-radio-02": "radio-demo"}
MESSAGE = {
    "text": "Katanya TPS 4 Omben dipindah ke balai desa, sebarkan!",
    "sender": "+62 812 0000 1111",
    "forwarded_from": "Grup Warga Omben",
}


@pytest.fixture()
def setup(db_url):
    engine = make_engine(db_url)
    migrate(engine)
    clock = [0.0]
    app = create_app(
        engine,
        TOKENS,
        author_key=KEY,
        clock=lambda: clock[0],
        now=lambda: datetime(2024, 11, 26, 1, 0, tzinfo=UTC),
    )
    yield TestClient(app, raise_server_exceptions=False), engine, clock
    engine.dispose()


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
    pseudonymise = Pseudonymiser.from_options(KEY)
    assert item.raw["submitted_by"] == "pcnu-sampang" and "author_key" not in item.raw
    assert item.author == pseudonymise("+62 812 0000 1111")  # with the given key, not the development key
    assert item.author != Pseudonymiser.from_options(DEVELOPMENT_KEY)("+62 812 0000 1111")
    assert item.raw["forwarded_from"] == pseudonymise("Grup Warga Omben")  # not in clear
    assert "Omben" not in json.dumps(item.raw)


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


@pytest.mark.parametrize(
    "body, reason",
    [
        (b"{not json", "malformed"),
        ({"text": "halo"}, "missing_field"),
        ({"text": "", "sender": "x"}, "empty_text"),
        ({"text": "halo", "sender": "x", "url": "javascript:alert(1)"}, "malformed"),
        ({"text": "halo", "sender": "x", "admin": True}, "malformed"),
        (["a", "list"], "malformed"),
    ],
)
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
        "abcdefghijklmnop": "nu",
        "qrstuvwxyz012345": "radio",
    }
    for bad in (None, "", "nu:short", "no-colon-here-at-all"):
        with pytest.raises(ConfigError):
            parse_tokens(bad)


HOSTILE_BODIES = {
    "lone surrogate escape": (b'{"text": "halo \\ud800", "sender": "a"}', "malformed"),
    "lone surrogate in a key": (b'{"\\udfff": 1, "text": "halo", "sender": "a"}', "malformed"),
    "NUL escape": (b'{"text": "halo\\u0000", "sender": "a"}', "malformed"),
    "NUL in the sender": (b'{"text": "halo", "sender": "a\\u0000b"}', "malformed"),
    "30,000-deep nesting": (b"[" * 30_000 + b"]" * 30_000, "too_large"),
    "deep nesting in a field": (
        b'{"text": "halo", "sender": "a", "attachments": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        "too_large",
    ),
    "60,000-digit number": (b'{"text": "halo", "sender": "a", "n": ' + b"9" * 60_000 + b"}", "too_large"),
    "5,000-digit number": (b"[" + b"1" * 5000 + b"]", "too_large"),
    "long float": (b"[1." + b"5" * 5000 + b"]", "too_large"),
    "NaN": (b'{"text": NaN, "sender": "a"}', "malformed"),
    "Infinity": (b"[-Infinity]", "malformed"),
    "raw surrogate bytes": (b'{"text": "\xed\xa0\x80", "sender": "a"}', "bad_encoding"),
    "latin-1 bytes": (b'{"text": "caf\xe9", "sender": "a"}', "bad_encoding"),
    "unterminated strings": (b'"\\"' * 20_000, "malformed"),
    "huge url": (
        json.dumps({"text": "halo", "sender": "a", "url": "https://x.example/" + "a" * 50_000}).encode(),
        "too_large",
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_BODIES))
def test_hostile_json_bodies_get_400_not_500(setup, name):
    client, engine, _ = setup
    body, reason = HOSTILE_BODIES[name]
    assert len(body) <= MAX_BODY_BYTES
    response = _post(client, body)
    assert response.status_code == 400, response.text[:300]
    assert response.json()["reason"] == reason
    with Session(engine) as s:
        assert s.scalars(select(Item)).all() == []
    assert _post(client, MESSAGE).status_code == 201  # the server is fine afterwards


def test_nesting_within_the_limit_is_fine(setup):
    client, _, _ = setup
    body = {**MESSAGE, "attachments": [{"type": "image", "name": "[[{{ ]] }}"}]}
    assert _post(client, body).status_code == 201


# --- the secret key (row 9) -----------------------------------------------------------------------


@pytest.mark.parametrize("key", [DEVELOPMENT_KEY, "", "too-short-key"])
def test_the_app_refuses_the_development_key_and_short_keys(tmp_path, key):
    engine = make_engine(f"sqlite:///{tmp_path / 'tip.db'}")
    migrate(engine)
    with pytest.raises(ConfigError):
        create_app(engine, TOKENS, author_key=key)


def test_first_start_creates_a_private_key_file_and_warns(tmp_path):
    path, warnings = tmp_path / "pantau-author.key", []
    key = secret_key(path, environ={}, warn=warnings.append)
    assert len(key) >= 32 and key != DEVELOPMENT_KEY and path.read_text().strip() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(warnings) == 1 and str(path) in warnings[0] and AUTHOR_KEY_ENV in warnings[0]
    assert secret_key(path, environ={}, warn=warnings.append) == key and len(warnings) == 1  # kept, quiet
    assert secret_key(tmp_path / "other.key", environ={}, warn=warnings.append) != key  # random


def test_the_environment_overrides_the_file_and_bad_keys_are_refused(tmp_path):
    path = tmp_path / "k.key"
    assert secret_key(path, environ={AUTHOR_KEY_ENV: KEY}) == KEY and not path.exists()
    for bad in (DEVELOPMENT_KEY, "short"):
        with pytest.raises(ConfigError):
            secret_key(path, environ={AUTHOR_KEY_ENV: bad})
        path.write_text(bad + "\n")
        with pytest.raises(ConfigError):
            secret_key(path, environ={})
    path.write_text(KEY)
    os.chmod(path, 0o644)
    warnings: list[str] = []
    assert secret_key(path, environ={}, warn=warnings.append) == KEY and "chmod 600" in warnings[0]


def test_the_key_file_lies_next_to_a_sqlite_database(tmp_path):
    found = default_key_file(f"sqlite:///{tmp_path / 'data' / 'pantau.db'}")
    assert found == tmp_path / "data" / "pantau-author.key"
    assert default_key_file("postgresql+psycopg://u@h/db").name == "pantau-author.key"


def test_pantau_tipline_generates_the_key_and_warns_on_stderr(tmp_path, monkeypatch):
    """The command itself, up to serving: the key file is made before uvicorn would start."""
    from typer.testing import CliRunner

    from pantau.cli.main import app
    from pantau.web import serving

    served = {}
    monkeypatch.setattr(serving, "run_server", lambda asgi, **kw: served.update(app=asgi))
    monkeypatch.delenv(AUTHOR_KEY_ENV, raising=False)
    monkeypatch.setenv("PANTAU_TIPLINE_TOKENS", "nu:" + "s" * 20)
    db = tmp_path / "pantau.db"
    result = CliRunner().invoke(app, ["tipline", "--db", f"sqlite:///{db}"])
    assert result.exit_code == 0, result.output
    key_file = tmp_path / "pantau-author.key"
    assert key_file.is_file() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "WARNING" in result.stderr and str(key_file) in result.stderr and "app" in served
    monkeypatch.setenv(AUTHOR_KEY_ENV, DEVELOPMENT_KEY)
    refused = CliRunner().invoke(app, ["tipline", "--db", f"sqlite:///{db}"])
    assert refused.exit_code != 0 and "development key" in refused.output + refused.stderr
