"""A process-local progress channel from tasks to whoever started the run (the CLI's display).

Tasks call :func:`report`; with no reporter installed it does nothing. Only plain data passes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Reporter = Callable[[str, dict[str, Any]], None]

_reporter: Reporter | None = None


def set_reporter(reporter: Reporter | None) -> None:
    global _reporter
    _reporter = reporter


def report(event: str, **data: Any) -> None:
    if _reporter is not None:
        _reporter(event, data)
