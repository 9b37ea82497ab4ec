"""Smoke test of benchmarks/bench_memory.py at a tiny size: it runs, prints its peaks and MET lines."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_memory.py"


def test_bench_memory_runs_small_and_meets_its_bounds():
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--export-mb",
            "1",
            "--run-mb",
            "1",
            "--bomb-mb",
            "20",
            "--max-bytes",
            "1000000",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    verdicts = [line for line in done.stdout.splitlines() if "MET" in line]
    names = [line.split(":")[1].split()[0] for line in verdicts]
    assert names == ["gzip-bomb", "export-stream", "export-fetch", "export-run"]
    assert all(line.startswith("MET:") for line in verdicts)
