"""The ``pantau`` command: registers the commands of the sibling modules on one Typer app."""

from __future__ import annotations

import typer

from pantau import __version__
from pantau.cli import (
    admin,
    alerts,
    backfill,
    classify,
    evaluate,
    fetch,
    labels,
    links,
    match,
    notify,
    report,
    run,
    serve,
    tipline,
    users,
    web,
)

app = typer.Typer(
    name="pantau",
    help="Pantau: monitor an election's information space for hoaxes and tension.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.command("run")(run.run)
app.command("serve")(serve.serve)
app.command("classify")(classify.classify)
app.command("match")(match.match)
app.command("eval")(evaluate.evaluate)
app.command("alerts")(alerts.alerts)
app.command("fetch")(fetch.fetch)
app.command("init")(admin.init)
app.command("train")(admin.train)
app.command("tipline")(tipline.tipline)
app.command("web")(web.web)
app.add_typer(users.app, name="user")
app.add_typer(labels.app, name="labels")
app.command("report")(report.report)
app.command("link")(links.link)
app.command("notify")(notify.notify)
app.command("backfill")(backfill.backfill)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pantau {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Pantau: monitor an election's information space for hoaxes and tension."""
