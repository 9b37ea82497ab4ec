"""Schemathesis over the JSON API's own schema (issue 16, row 2): valid and invalid values for every query
parameter of every operation, authenticated with a real analyst token, never a 5xx; then Hypothesis
directly over the same parameters with hostile values schemathesis rarely draws (dates at year 1 and
9999, huge and signed numbers, Unicode digits such as ``²``, NUL and other control characters).

The schema is loaded from the app (``/api/v1/openapi.json``, token needed) per test through a fixture;
examples are bounded (MAX_EXAMPLES per operation and generation mode) and derandomised so CI stays
fast and repeatable. ``tests/web/test_web_params.py`` holds the hand-picked hostile values.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from pantau.web.api import openapi_schema
from storage import accounts

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis (the 'dev' extra) is not installed")

MAX_EXAMPLES = 30


@pytest.fixture
def api_token(app: Starlette) -> str:
    with Session(app.state.ctx.engine) as session, session.begin():
        user = accounts.account_by_username(session, "analis_bawaslu")
        return accounts.create_api_token(session, user.id, "schemathesis")


@pytest.fixture
def api_schema(app: Starlette, api_token: str):
    loaded = schemathesis.openapi.from_asgi(
        "/api/v1/openapi.json", app, headers={"Authorization": f"Bearer {api_token}"}
    )
    loaded.config.generation.update(
        max_examples=MAX_EXAMPLES, deterministic=True, database="none", with_security_parameters=False
    )
    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_the_api_never_answers_with_a_server_error(case, api_token):
    response = case.call(headers={"Authorization": f"Bearer {api_token}"})
    assert response.status_code < 500, (case.as_curl_command(), response.text[:300])
    # the token is valid (no 401/403/429); 405 answers the methods the schema does not list; 404 an id
    # in the path that names nothing (or is no id at all)
    allowed = (200, 400, 404, 405) if "{" in case.operation.path else (200, 400, 405)
    assert response.status_code in allowed, response.text[:300]
    if response.status_code != 200:
        assert response.json()["error"]


OPERATIONS = {  # the query parameters of each operation; a path parameter is given an existing id
    re.sub(r"\{[a-z_]+\}", "1", path): query
    for path, op in openapi_schema()["paths"].items()
    if (query := {p["name"]: p["schema"] for p in op["get"].get("parameters", []) if p["in"] == "query"})
}
NUMBERISH = st.one_of(
    st.sampled_from(("²", "٣", "１", "-1", "1e3", "0x10", "9" * 25, "9" * 5000)),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(st.characters(categories=("Nd", "No")), min_size=1, max_size=4),
)
EDGE_DATES = ("0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01", "2000-01-01", "2100-12-31")


def hostile(schema: dict) -> st.SearchStrategy[str]:
    """Values for one parameter: its own kind at and past its bounds, then any text (NUL included)."""
    if schema.get("format") == "date":
        own = st.one_of(st.sampled_from(EDGE_DATES), st.dates().map(date.isoformat), NUMBERISH)
    elif schema.get("type") == "integer":
        own = NUMBERISH
    else:
        own = st.sampled_from(schema.get("enum", ["Omben"]))
    return st.one_of(own, st.text(max_size=20))


@given(data=st.data())
@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_hostile_values_for_every_api_parameter(app, api_token, data):
    path = data.draw(st.sampled_from(sorted(OPERATIONS)))
    names = data.draw(
        st.lists(st.sampled_from(sorted(OPERATIONS[path])), min_size=1, max_size=3, unique=True)
    )
    query = {name: data.draw(hostile(OPERATIONS[path][name]), label=name) for name in names}
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get(f"{path}?{urlencode(query)}", headers={"Authorization": f"Bearer {api_token}"})
    assert response.status_code in (200, 400), (query, response.text[:300])
    if response.status_code == 400:
        assert response.json()["error"].split(":")[0] in query
