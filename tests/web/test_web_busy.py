"""Issue 16 row 4 for the web app: its database work (WebContext.run) runs in a worker thread with a
timeout, so a write while another process holds SQLite's lock is answered 503 with Retry-After, and
reading pages goes on (WAL)."""

from __future__ import annotations

import subprocess
import sys

from starlette.testclient import TestClient
from webfixtures import SECRET, login, region_config, seed

from pantau.web.app import create_app
from storage.db import make_engine, migrate

HOLDER = """
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
con.execute("ROLLBACK")
"""


def test_a_web_action_on_a_locked_database_gets_503_and_pages_still_read(tmp_path):
    path = tmp_path / "web.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    seeded = seed(engine)
    app = create_app(engine, secret_key=SECRET, config=region_config())
    app.state.ctx.db_timeout_s = 0.5
    client = login(TestClient(app), "peninjau_a")
    item = seeded.items["tps_omben"]
    page = client.get(f"/items/{item}")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), "3"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        response = client.post(f"/items/{item}/note", data={"note": "Dicek", "csrf_token": token})
        assert response.status_code == 503 and response.headers["retry-after"]
        assert "sedang sibuk" in response.text
        assert client.get("/queue").status_code == 200  # readers are not blocked
    finally:
        holder.wait(timeout=30)
    engine.dispose()
