"""``pantau user add|list|token|role|signout``: web app accounts (role + organisation), API tokens, and
ending a user's web sessions (a role change ends them too)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console

from pantau.cli.common import handle_errors
from pantau.domain.errors import UnusableInputError

app = typer.Typer(help="Web app accounts: add users, list them, issue API tokens.", no_args_is_help=True)
console = Console(highlight=False)

ROLES_HELP = "admin, reviewer or analyst."


def _engine(config: Path | None, db: str | None):  # noqa: ANN202 - an Engine, imported lazily
    from flows.resources import engine_for
    from pantau.settings import load_settings

    settings = load_settings(config, **({"database_url": db} if db else {}))
    return engine_for(settings.database_url)


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@app.command("add")
@handle_errors
def add(
    username: str = typer.Argument(..., help="3-40 of a-z 0-9 . _ - (stored lower-case)."),
    organisation: str = typer.Option(
        ..., "--org", help="Organisation name, e.g. 'Bawaslu Sampang' (created if new)."
    ),
    role: str = typer.Option(..., "--role", help=ROLES_HELP),
    org_kind: str | None = typer.Option(
        None, "--org-kind", help="e.g. newsroom, polres, kodim, kpu, bawaslu, nu (for a new organisation)."
    ),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin."),
    config: Path | None = typer.Option(None, "--config", "-c", help="Config file."),
    db: str | None = typer.Option(None, "--db", help="Database URL (overrides the config)."),
) -> None:
    """Create a web app account in an organisation (asks for the password: 10+ characters, not a common
    password, a run like 1234567890 or one character repeated)."""
    from sqlalchemy.orm import Session

    from pantau.web.auth import hash_password
    from pantau.web.passwords import WeakPasswordError
    from storage import accounts
    from storage.errors import InvalidValueError

    if role not in ("admin", "reviewer", "analyst"):
        raise UnusableInputError(f"--role {role!r}: use {ROLES_HELP}")
    try:
        name = accounts.normalise_username(username)
        password_hash = hash_password(_read_password(password_stdin), name)
    except (InvalidValueError, WeakPasswordError) as exc:
        raise UnusableInputError(str(exc)) from None
    with Session(_engine(config, db)) as session, session.begin():
        org_id = accounts.ensure_organisation(session, organisation, org_kind)
        accounts.create_user(session, name, password_hash, role, org_id)
    console.print(f"Created {role} {name} in {organisation}.", markup=False)


@app.command("list")
@handle_errors
def list_users(
    config: Path | None = typer.Option(None, "--config", "-c", help="Config file."),
    db: str | None = typer.Option(None, "--db", help="Database URL (overrides the config)."),
) -> None:
    """List the accounts: username, role, organisation, active."""
    from sqlalchemy.orm import Session

    from storage import accounts

    with Session(_engine(config, db)) as session:
        for a in accounts.accounts_of(session):
            typer.echo(f"{a.username}\t{a.role}\t{a.organisation}\t{'active' if a.active else 'inactive'}")


@app.command("token")
@handle_errors
def token(
    username: str = typer.Argument(..., help="The user the token acts as (an analyst or admin)."),
    name: str = typer.Option("api", "--name", help="A label for the token."),
    config: Path | None = typer.Option(None, "--config", "-c", help="Config file."),
    db: str | None = typer.Option(None, "--db", help="Database URL (overrides the config)."),
) -> None:
    """Issue a JSON API token for a user and print it once (send it as 'Authorization: Bearer ...')."""
    from sqlalchemy.orm import Session

    from storage import accounts

    with Session(_engine(config, db)) as session, session.begin():
        account = accounts.account_by_username(session, username)
        if account is None or not account.active:
            raise UnusableInputError(f"no active user {username!r}")
        secret = accounts.create_api_token(session, account.id, name)
    typer.echo(secret)


def _user_account(session, username: str):  # noqa: ANN001, ANN202 - imported lazily
    from storage import accounts

    account = accounts.account_by_username(session, username)
    if account is None:
        raise UnusableInputError(f"no user {username!r}")
    return account


@app.command("role")
@handle_errors
def role(
    username: str = typer.Argument(..., help="The user whose role changes."),
    new_role: str = typer.Argument(..., metavar="ROLE", help=ROLES_HELP),
    config: Path | None = typer.Option(None, "--config", "-c", help="Config file."),
    db: str | None = typer.Option(None, "--db", help="Database URL (overrides the config)."),
) -> None:
    """Change a user's role; their web sessions end (they sign in again under the new role)."""
    from sqlalchemy.orm import Session

    from storage import accounts

    if new_role not in ("admin", "reviewer", "analyst"):
        raise UnusableInputError(f"role {new_role!r}: use {ROLES_HELP}")
    with Session(_engine(config, db)) as session, session.begin():
        accounts.set_role(session, _user_account(session, username).id, new_role)
    console.print(f"{username} is now {new_role}; their sessions were ended.", markup=False)


@app.command("signout")
@handle_errors
def signout(
    username: str = typer.Argument(..., help="The user whose web sessions end (e.g. a stolen cookie)."),
    config: Path | None = typer.Option(None, "--config", "-c", help="Config file."),
    db: str | None = typer.Option(None, "--db", help="Database URL (overrides the config)."),
) -> None:
    """End every web session of a user (every copy of every cookie issued so far)."""
    from sqlalchemy.orm import Session

    from storage import accounts

    with Session(_engine(config, db)) as session, session.begin():
        accounts.end_sessions(session, _user_account(session, username).id)
    console.print(f"Every session of {username} was ended.", markup=False)
