"""``pantau user add|list|token`` and ``pantau web`` (started for real, with and without a demo admin)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy.orm import Session
from typer.testing import CliRunner
from webfixtures import free_port

from pantau.cli.main import app as cli
from pantau.web.auth import verify_password
from storage import accounts
from storage.db import make_engine


def _db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_user_add_list_and_token(tmp_path):
    runner = CliRunner()
    db = _db(tmp_path)
    added = runner.invoke(
        cli,
        [
            "user",
            "add",
            "Analis.Satu",
            "--org",
            "Bawaslu Sampang",
            "--role",
            "analyst",
            "--org-kind",
            "bawaslu",
            "--password-stdin",
            "--db",
            db,
        ],
        input="sandi-yang-panjang\n",
    )
    assert added.exit_code == 0, added.output
    assert "Created analyst analis.satu in Bawaslu Sampang" in added.output
    with Session(make_engine(db)) as session:
        account = accounts.account_by_username(session, "analis.satu")
    assert account.role == "analyst" and account.organisation == "Bawaslu Sampang"
    assert verify_password(account.password_hash, "sandi-yang-panjang")

    again = runner.invoke(
        cli,
        ["user", "add", "analis.satu", "--org", "KPU", "--role", "analyst", "--password-stdin", "--db", db],
        input="sandi-yang-panjang\n",
    )
    assert again.exit_code == 1 and "exists already" in again.output
    weak = runner.invoke(
        cli,
        ["user", "add", "dua", "--org", "KPU", "--role", "reviewer", "--password-stdin", "--db", db],
        input="pendek\n",
    )
    assert weak.exit_code == 2 and "at least 10 characters" in weak.output
    role = runner.invoke(cli, ["user", "add", "tiga", "--org", "KPU", "--role", "boss", "--db", db])
    assert role.exit_code == 2 and "--role" in role.output

    listed = runner.invoke(cli, ["user", "list", "--db", db])
    assert listed.output.splitlines() == ["analis.satu\tanalyst\tBawaslu Sampang\tactive"]
    token = runner.invoke(cli, ["user", "token", "analis.satu", "--db", db])
    assert token.exit_code == 0 and re.fullmatch(r"pnt_[\w-]{40,}", token.output.strip())
    with Session(make_engine(db)) as session:
        assert accounts.account_for_token(session, token.output.strip()).username == "analis.satu"
    missing = runner.invoke(cli, ["user", "token", "siapa", "--db", db])
    assert missing.exit_code == 2


def _serve(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pantau", "web", "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"pantau web exited: {proc.stdout.read()}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/login", timeout=1)
            return proc, port
        except httpx.TransportError:
            time.sleep(0.3)
    proc.kill()
    raise AssertionError("pantau web did not start")


def test_pantau_web_creates_a_demo_admin_only_when_asked_and_only_once(tmp_path):
    db = _db(tmp_path)
    env = {**os.environ, "PANTAU_WEB_SECRET": "s" * 40}
    proc, port = _serve(["--db", db, "--demo-admin"], env)
    try:
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/queue", follow_redirects=False).status_code == 303
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0]
    password = re.search(r"user 'admin', password (\S+)", output).group(1)
    with Session(make_engine(db)) as session:
        admin = accounts.account_by_username(session, "admin")
        assert admin.role == "admin" and verify_password(admin.password_hash, password)

    proc, _ = _serve(["--db", db, "--demo-admin"], env)
    proc.terminate()
    assert "no demo admin created" in proc.communicate(timeout=30)[0]

    bare = _db(tmp_path / "bare")
    proc, _ = _serve(["--db", bare], {**env, "PANTAU_WEB_SECRET": ""})
    proc.terminate()
    assert "sessions end when the server stops" in proc.communicate(timeout=30)[0]
    with Session(make_engine(bare)) as session:
        assert accounts.count_users(session) == 0
