"""Run one `monitor` flow in a separate process (crash tests kill it): ``python -m
tests.flows.child_monitor PARAMS.json``; the file holds the flow's keyword arguments."""

from __future__ import annotations

import json
import sys

if __name__ == "__main__":
    from flows.monitor import monitor

    with open(sys.argv[1], encoding="utf-8") as f:
        params = json.load(f)
    counts = monitor(**params)
    print(json.dumps({"run_id": counts["run_id"], "new": counts["new"]}))
