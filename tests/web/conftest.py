"""Web app fixtures: a migrated SQLite database seeded through the real repository functions (see
``webfixtures.seed``), accounts in three organisations, a Starlette TestClient per test, and
(session-wide) a live uvicorn server on a free loopback port for the browser tests.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.testclient import TestClient
from webfixtures import NOW, SECRET, LiveServer, Seeded, free_port, login, region_config, seed

from pantau.web.app import create_app
from storage.db import make_engine, migrate


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Seeded]:
    """One migrated, seeded database file, copied for each test (migrating and hashing take a second)."""
    path = tmp_path_factory.mktemp("template") / "web.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    seeded = seed(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path, seeded


@pytest.fixture
def web_engine(tmp_path: Path, seeded_template: tuple[Path, Seeded]) -> Iterator[Engine]:
    """A private copy of the seeded database."""
    shutil.copyfile(seeded_template[0], tmp_path / "web.db")
    engine = make_engine(f"sqlite:///{tmp_path / 'web.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def seeded(web_engine: Engine, seeded_template: tuple[Path, Seeded]) -> Seeded:
    return seeded_template[1]


@pytest.fixture
def app(web_engine: Engine, seeded: Seeded) -> Starlette:
    return create_app(
        web_engine, secret_key=SECRET, config=region_config(), now=lambda: NOW + timedelta(hours=1)
    )


@pytest.fixture
def make_client(app: Starlette) -> Iterator[Callable[[str | None], TestClient]]:
    clients: list[TestClient] = []

    def factory(username: str | None = None) -> TestClient:
        client = TestClient(app)
        clients.append(client)
        return login(client, username) if username else client

    yield factory
    for client in clients:
        client.close()


CHROMIUM = os.environ.get("PANTAU_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """Headless Chromium for every browser test module (one Playwright instance per session: a second
    sync Playwright cannot start while one runs). Screenshots go to tests/artifacts/."""
    pytest.importorskip("playwright", reason="playwright (the 'dev' extra) is not installed")
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium (or set PANTAU_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    artifacts = Path(__file__).resolve().parents[1] / "artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / ".gitignore").write_text("*\n", encoding="utf-8")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app under uvicorn on a free loopback port, over its own seeded SQLite database."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('live') / 'web.db'}")
    migrate(engine)
    seeded = seed(engine)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(engine, secret_key=SECRET, config=region_config()),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield LiveServer(url=f"http://127.0.0.1:{port}", engine=engine, seeded=seeded)
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()
