"""A real Prefect test harness (a temporary API and database) for the flow tests only."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture()
def fresh_resources():
    from flows import resources

    resources.reset()
    yield
    resources.reset()
