"""Issue 16 row 4: while another process holds SQLite's write lock, the tipline keeps answering (a wrong
token is refused at once), a valid message gets 503 with Retry-After instead of a 500 after 30 s, and
once the lock is gone the resent message is stored exactly once (uvicorn on a real port)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pantau.web import tipline
from storage.db import make_engine, migrate
from storage.models import Item

TOKEN = "s3cret-token-for-nu-0001"
KEY = "tipline-test-key-" + "k" * 32
MESSAGE = {"text": "Katanya TPS 4 Omben dipindah ke balai desa, sebarkan!", "sender": "+62 812 0000 1111"}
HOLDER = """
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
con.execute("ROLLBACK")
"""


@pytest.fixture
def served(tmp_path, monkeypatch):
    monkeypatch.setattr(tipline, "DB_TIMEOUT_S", 0.5)
    path = tmp_path / "tip.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    sock_port = _free_port()
    app = tipline.create_app(engine, {TOKEN: "pcnu-sampang"}, author_key=KEY)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=sock_port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{sock_port}/tipline", path, engine
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _send(url: str, token: str) -> tuple[int, dict, float]:
    started = time.monotonic()
    response = httpx.post(url, json=MESSAGE, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    return response.status_code, dict(response.headers), time.monotonic() - started


def test_a_locked_database_gives_503_and_nothing_is_lost(served):
    url, path, engine = served
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), "3"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with ThreadPoolExecutor(2) as pool:
            valid = pool.submit(_send, url, TOKEN)
            time.sleep(0.1)
            wrong = pool.submit(_send, url, "wrong-token-0000000000")
            status, headers, _ = valid.result()
            wrong_status, _, _ = wrong.result()
        assert status == 503 and headers["retry-after"] == str(tipline.RETRY_AFTER_S)
        assert wrong_status == 401  # answered while the valid message was waiting for the lock
        with pytest.raises(sqlite3.OperationalError):  # the lock was really held
            sqlite3.connect(path, timeout=0).execute("BEGIN IMMEDIATE")
    finally:
        holder.wait(timeout=30)
    deadline = time.monotonic() + 40
    while True:  # the member resends as told; the abandoned first write may land first (a duplicate)
        status, _, _ = _send(url, TOKEN)
        if status in (200, 201) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert status in (200, 201)
    time.sleep(1)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Item)) == 1
