"""Named crash points for crash-safety tests: a process can be made to SIGKILL itself at one of them.

Inert unless ``PANTAU_TESTING=1`` is set (the test suite sets it in ``tests/conftest.py``): without it
the variables below are never read, so a stray ``PANTAU_FAILPOINTS`` in production does nothing.

``PANTAU_FAILPOINTS="store.before_commit"`` kills the process the first time it reaches that point;
``"classify.before_commit:3"`` the third time. Several points may be listed, comma-separated. Counts are
per process. ``PANTAU_FAILPOINTS_FILE=/path`` arms the points written in that file once for all
processes: the first process to reach one renames the file away (so exactly one crash happens) and
dies. Outside tests :func:`failpoint` is one dictionary lookup. The points sit where a real crash
hurts most: inside a write transaction before it commits, and between the steps of a run.
"""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter

TESTING_ENV = "PANTAU_TESTING"  # must be "1" for any point to be armed
ENV = "PANTAU_FAILPOINTS"
FILE_ENV = "PANTAU_FAILPOINTS_FILE"
_hits: Counter[str] = Counter()
_lock = threading.Lock()


def failpoint(name: str) -> None:
    """SIGKILL this process if testing is on, ``name`` is armed and its hit count is reached."""
    if os.environ.get(TESTING_ENV) != "1":
        return
    spec = os.environ.get(ENV)
    if spec and _due(name, spec):
        _die()
    path = os.environ.get(FILE_ENV)
    if path and os.path.exists(path):
        try:
            with open(path, encoding="utf-8") as f:
                armed = f.read()
        except OSError:
            return
        if _due(name, armed, count=False):
            try:
                os.rename(path, path + ".fired")  # atomic: one process wins
            except OSError:
                return
            _die()


def _due(name: str, spec: str, *, count: bool = True) -> bool:
    for entry in spec.split(","):
        point, _, nth = entry.strip().partition(":")
        if point != name:
            continue
        if not count:
            return True
        with _lock:
            _hits[name] += 1
            return _hits[name] == int(nth or 1)
    return False


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)
