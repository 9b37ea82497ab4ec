"""``pantau tipline``: serve the token-authenticated tipline intake endpoint (``POST /tipline``).

Senders are pseudonymised with a secret key: ``PANTAU_AUTHOR_KEY``, else the key file (``--key-file``;
default ``pantau-author.key`` next to a SQLite database, else in the working directory), generated on
the first start with a warning on stderr.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console

from pantau.cli.common import handle_errors

KEY_FILE_NAME = "pantau-author.key"


def default_key_file(database_url: str) -> Path:
    """``pantau-author.key`` next to a SQLite database file, else in the working directory."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).expanduser().resolve().parent / KEY_FILE_NAME
    return Path(KEY_FILE_NAME).resolve()


@handle_errors
def tipline(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8765, "--port", min=1, max=65535),
    config: Path | None = typer.Option(None, "--config", "-c", help="Config file."),
    db: str | None = typer.Option(None, "--db", help="Database URL (overrides the config)."),
    key_file: Path | None = typer.Option(
        None,
        "--key-file",
        help="The secret pseudonymisation key (created if missing; "
        "PANTAU_AUTHOR_KEY overrides). Default: "
        f"{KEY_FILE_NAME} next to a SQLite database.",
    ),
    forwarded_allow_ips: str | None = typer.Option(
        None,
        "--forwarded-allow-ips",
        help="Proxies whose X-Forwarded-For sets the client address (comma-separated; default: none).",
    ),
) -> None:
    """Serve POST /tipline for forum members (tokens in PANTAU_TIPLINE_TOKENS='member:secret,...')."""

    from pantau.settings import load_settings
    from pantau.web.tipline import create_app, parse_tokens
    from sources.pseudonym import secret_key
    from storage.db import make_engine, migrate

    tokens = parse_tokens(os.environ.get("PANTAU_TIPLINE_TOKENS"))
    settings = load_settings(config, **({"database_url": db} if db else {}))
    author_key = secret_key(key_file or default_key_file(settings.database_url))
    engine = make_engine(settings.database_url)
    migrate(engine)
    Console(highlight=False).print(
        f"Tipline for {len(tokens)} member(s) on http://{host}:{port}/tipline -> {settings.database_url}"
    )
    from pantau.web.serving import run_server

    stopped_by = run_server(
        create_app(engine, tokens, author_key=author_key),
        host=host,
        port=port,
        forwarded_allow_ips=forwarded_allow_ips,
    )
    Console(highlight=False).print(f"Tipline stopped{f' by {stopped_by}' if stopped_by else ''}.")
