"""``pantau web``: serve the review and analysis web app (uvicorn) on the configured database."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import typer
from rich.console import Console

from pantau.cli.common import handle_errors
from pantau.domain.errors import ConfigError

console = Console(highlight=False)
DEMO_ORGANISATION = "Demo Pantau"


@handle_errors
def web(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
    config: Path | None = typer.Option(None, "--config", "-c", help="Config file."),
    db: str | None = typer.Option(None, "--db", help="Database URL (overrides the config)."),
    demo_admin: bool = typer.Option(
        False,
        "--demo-admin",
        help="If there are no accounts yet, create an admin 'admin' with a random password (printed once).",
    ),
    https: bool = typer.Option(False, "--https-cookies", help="Mark session cookies Secure (behind HTTPS)."),
    forwarded_allow_ips: str | None = typer.Option(
        None,
        "--forwarded-allow-ips",
        help="Proxies whose X-Forwarded-For sets the client address (comma-separated; default: none).",
    ),
) -> None:
    """Serve the web app for reviewers and analysts (session secret in PANTAU_WEB_SECRET)."""
    from sqlalchemy.orm import Session

    from flows.resources import engine_for
    from pantau.settings import load_settings
    from pantau.web.app import create_app
    from pantau.web.auth import hash_password
    from pantau.web.serving import run_server
    from storage import accounts

    secret = os.environ.get("PANTAU_WEB_SECRET", "")
    if secret and len(secret) < 32:
        raise ConfigError("needs at least 32 characters", field="PANTAU_WEB_SECRET")
    if not secret:
        secret = secrets.token_urlsafe(48)
        console.print("PANTAU_WEB_SECRET is not set: sessions end when the server stops.")
    settings = load_settings(config, **({"database_url": db} if db else {}))
    engine = engine_for(settings.database_url)
    if demo_admin:
        with Session(engine) as session, session.begin():
            if accounts.count_users(session) == 0:
                password = secrets.token_urlsafe(12)
                org = accounts.ensure_organisation(session, DEMO_ORGANISATION, "demo")
                accounts.create_user(session, "admin", hash_password(password), "admin", org)
                console.print(f"Created demo admin: user 'admin', password {password}", markup=False)
            else:
                console.print("Accounts exist already; no demo admin created.")
    app = create_app(engine, secret_key=secret, config=settings.region_config, https_only=https)
    console.print(f"Pantau web on http://{host}:{port}/ -> {settings.database_url}", markup=False)
    stopped_by = run_server(app, host=host, port=port, forwarded_allow_ips=forwarded_allow_ips)
    console.print(f"Pantau web stopped{f' by {stopped_by}' if stopped_by else ''}.")
