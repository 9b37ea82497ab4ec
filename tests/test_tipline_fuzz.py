"""Fuzzing the tipline body (issue 16, row 3) on SQLite and PostgreSQL: JSON-ish bytes (well-formed
messages with any text, lone surrogates and NUL escapes, deep nesting, long numbers, broken and random
bytes) never get a 5xx, and every 2xx answer's message is in the database, as sent.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from pantau.web.tipline import MAX_BODY_BYTES, create_app
from sources.pseudonym import Pseudonymiser
from storage.db import make_engine, migrate
from storage.models import Item

TOKEN = "fuzz-token-000000000001"
KEY = "fuzz-author-key-" + "f" * 32

ANY_CHAR = st.one_of(st.characters(), st.characters(categories=("Cs",)), st.sampled_from("\x00\r\n\t "))
TEXTS = st.one_of(st.text(max_size=40), st.text(ANY_CHAR, max_size=40))
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXTS)
JSONISH = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXTS, inner, max_size=4)),
    max_leaves=12,
)
WORDS = st.text(st.characters(categories=("L", "N")), min_size=1, max_size=30)
URLS = st.one_of(st.builds("https://kabar.example/{}".format, WORDS), TEXTS)
MESSAGES = st.fixed_dictionaries(  # mostly the right shape, so that many reach the database
    {"text": st.one_of(WORDS, WORDS, WORDS, TEXTS), "sender": st.one_of(WORDS, WORDS, WORDS, TEXTS)},
    optional={
        "forwarded_from": st.one_of(st.none(), WORDS, TEXTS),
        "url": URLS,
        "attachments": st.one_of(st.lists(st.one_of(WORDS, TEXTS), max_size=3), JSONISH),
    },
)


def _encode(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=True).encode()  # a lone surrogate becomes a \\udxxx escape


def _nest(depth: int, inner: bytes) -> bytes:
    return b"[" * depth + inner + b"]" * depth


MESSAGE_BODIES = st.one_of(
    MESSAGES.map(_encode),
    MESSAGES.map(lambda m: json.dumps(m, ensure_ascii=False).encode("utf-8", "surrogatepass")),
)
BODIES = st.one_of(
    MESSAGE_BODIES,
    MESSAGE_BODIES,
    MESSAGE_BODIES,  # weighted: half of the bodies are message-shaped
    JSONISH.map(_encode),
    st.builds(_nest, st.integers(0, 40_000), MESSAGES.map(_encode)),
    st.builds(
        lambda digits, m: _encode(m)[:-1] + b', "n": ' + b"7" * digits + b"}",
        st.integers(1, 60_000),
        MESSAGES,
    ),
    st.builds(lambda raw, cut: raw[:cut], MESSAGES.map(_encode), st.integers(0, 80)),
    st.binary(max_size=300),
)


@pytest.fixture
def tipline(db_url):
    engine = make_engine(db_url)
    migrate(engine)
    with TestClient(create_app(engine, {TOKEN: "fuzz"}, author_key=KEY), raise_server_exceptions=False) as c:
        yield c, engine
    engine.dispose()


@given(body=BODIES)
@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
def test_any_body_gets_an_answer_below_500_and_accepted_means_stored(tipline, body):
    client, engine = tipline
    response = client.post(
        "/tipline",
        content=body,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    assert response.status_code < 500, (body[:200], response.text[:300])
    if len(body) > MAX_BODY_BYTES:
        assert response.status_code == 413
        return
    if response.status_code >= 300:
        assert response.status_code == 400 and response.json()["reason"]
        return
    sent, answer = json.loads(body), response.json()
    with Session(engine) as session:
        item = session.get(Item, answer["id"])
    assert item is not None and answer["duplicate"] is (response.status_code == 200)
    if response.status_code == 201:  # new: stored as sent (a duplicate is a copy of a stored message)
        assert item.text == sent["text"].replace("\r\n", "\n").strip()
        assert item.author == Pseudonymiser.from_options(KEY)(sent["sender"])
