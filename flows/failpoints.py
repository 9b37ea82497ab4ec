"""Named crash points for crash-safety tests: a process can be made to SIGKILL itself at one of them.

``PANTAU_FAILPOINTS="store.before_commit"`` kills the process the first time it reaches that point;
``"classify.before_commit:3"`` the third time. Several points may be listed, comma-separated. Unset
(always, outside tests), :func:`failpoint` is one dictionary lookup. The points sit where a real crash
hurts most: inside a write transaction before it commits, and between the steps of a run.
"""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter

ENV = "PANTAU_FAILPOINTS"
_hits: Counter[str] = Counter()
_lock = threading.Lock()


def failpoint(name: str) -> None:
    """SIGKILL this process if ``name`` is armed in ``$PANTAU_FAILPOINTS`` and its hit count is reached."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    for entry in spec.split(","):
        point, _, nth = entry.strip().partition(":")
        if point != name:
            continue
        with _lock:
            _hits[name] += 1
            hit = _hits[name]
        if hit == int(nth or 1):
            os.kill(os.getpid(), signal.SIGKILL)
