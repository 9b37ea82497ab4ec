"""``pantau tipline``: serve the token-authenticated tipline intake endpoint (``POST /tipline``)."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console

from pantau.cli.common import handle_errors


@handle_errors
def tipline(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8765, "--port", min=1, max=65535),
    config: Path | None = typer.Option(None, "--config", "-c", help="Config file."),
    db: str | None = typer.Option(None, "--db", help="Database URL (overrides the config)."),
) -> None:
    """Serve POST /tipline for forum members (tokens in PANTAU_TIPLINE_TOKENS='member:secret,...')."""
    import uvicorn

    from pantau.settings import load_settings
    from pantau.web.tipline import create_app, parse_tokens
    from storage.db import make_engine, migrate

    tokens = parse_tokens(os.environ.get("PANTAU_TIPLINE_TOKENS"))
    settings = load_settings(config, **({"database_url": db} if db else {}))
    engine = make_engine(settings.database_url)
    migrate(engine)
    Console(highlight=False).print(
        f"Tipline for {len(tokens)} member(s) on http://{host}:{port}/tipline -> {settings.database_url}")
    uvicorn.run(create_app(engine, tokens), host=host, port=port, log_level="warning")
