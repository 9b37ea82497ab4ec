"""Helpers shared by the commands: the error edge (typed errors -> one-line messages) and Prefect's
environment (telemetry off, quiet logs), set before Prefect is first imported."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console

from pantau.domain.errors import ConfigError, PantauError, UnknownKindError, UnusableInputError

if TYPE_CHECKING:
    from pantau.domain.config import PantauConfig

F = TypeVar("F", bound=Callable[..., Any])

err_console = Console(stderr=True, highlight=False)

# Exit statuses (README, "Exit codes"): 0 ok; 1 the command ran but something failed (for `pantau run`:
# a source or a step of the run); 2 bad usage, config or input; 130 interrupted.
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_UNUSABLE = 2


def fail(message: str, code: int = EXIT_FAILURE) -> None:
    """Print a one-line error to stderr and exit."""
    err_console.print(f"pantau: error: {message}", markup=False, soft_wrap=True)
    raise typer.Exit(code)


def handle_errors(func: F) -> F:
    """Turn Pantau's typed errors into one-line messages and exit codes (2: bad input/config)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ConfigError, UnusableInputError, UnknownKindError) as exc:
            fail(str(exc), EXIT_UNUSABLE)
        except PantauError as exc:
            fail(str(exc), EXIT_FAILURE)
        except BrokenPipeError:  # e.g. `pantau classify x | head`
            sys.stderr.close()
            raise typer.Exit(0) from None
        except KeyboardInterrupt:
            fail("interrupted", 130)

    return wrapper  # type: ignore[return-value]


def region_of(config: Path | None) -> PantauConfig:
    """The region part of ``config``, else of the bundled Sampang example: for the commands that read
    a config only when given one (``classify``, ``match``), so ``./pantau.yaml`` never changes them."""
    from pantau.settings import DEFAULT_CONFIG_NAME, bundled_examples_dir, load_settings

    return load_settings(config or bundled_examples_dir() / DEFAULT_CONFIG_NAME).region_config


# Prefect's loggers of flow runs and task runs: their "Task run ... failed" / "Finished in state"
# lines repeat what the command reports itself (e.g. the failed sources in the summary table).
PREFECT_RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")


def prefect_logger_level_env(logger: str) -> str:
    """The environment variable that sets ``logger``'s level in Prefect's logging config."""
    return "PREFECT_LOGGING_LOGGERS_" + logger.upper().replace(".", "_") + "_LEVEL"


def prepare_prefect_env(verbose: bool = False, *, quiet: bool = False, hide_run_logs: bool = False) -> None:
    """Offline-friendly Prefect settings, unless the user set them: no telemetry, quiet console.

    Must run before Prefect is first imported (Prefect reads these when it is imported; subprocesses
    such as Dask workers inherit them). ``verbose``: Prefect's logs at INFO. Otherwise WARNING (``quiet``:
    ERROR), and with ``hide_run_logs`` (``pantau run``, ``pantau backfill``) the flow-run and task-run
    loggers stay silent (CRITICAL; the command reports failures itself) unless ``PREFECT_LOGGING_LEVEL``
    was set by the user. Those loggers also feed the Prefect API's run logs, hence opt-in."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_UI_ENABLED", "false")
    if verbose:
        if os.environ.get("PREFECT_LOGGING_LEVEL", "").upper() != "DEBUG":
            os.environ["PREFECT_LOGGING_LEVEL"] = "INFO"
        for logger in PREFECT_RUN_LOGGERS:
            os.environ[prefect_logger_level_env(logger)] = "NOTSET"  # follow "prefect", as Prefect's default
    elif "PREFECT_LOGGING_LEVEL" not in os.environ:
        os.environ["PREFECT_LOGGING_LEVEL"] = "ERROR" if quiet else "WARNING"
        if hide_run_logs:
            for logger in PREFECT_RUN_LOGGERS:
                os.environ.setdefault(prefect_logger_level_env(logger), "CRITICAL")
    os.environ.setdefault("PREFECT_LOGGING_LOG_PRINTS", "false")
    # Prefect's temporary local server can take more than its default 20 s to start on a busy
    # 2-core machine; waiting longer beats failing the run.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")


@contextmanager
def progress_bars(
    console: Console, make_reporter: Callable[[Any], Callable[[str, dict], None]]
) -> Iterator[Any]:
    """Rich progress bars fed by a flow's progress events (flows.progress) while the block runs."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from flows.progress import set_reporter

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        set_reporter(make_reporter(progress))
        try:
            yield progress
        finally:
            set_reporter(None)
