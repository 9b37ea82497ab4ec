"""Benchmark `pantau classify` as scripts use it: throughput and peak memory on growing inputs.

Bounded memory means the peak RSS barely moves when the input grows; the ratio printed last
(peak at the largest size / peak at the smallest) should stay close to 1.0.

    python benchmarks/bench_classify_cli.py [--sizes 10000 40000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATES = [
    "KPU Sampang menggelar rapat pleno rekapitulasi suara di aula kantor kecamatan {i}.",
    "Besok pagi serangan fajar, amplop {i} ribu per kepala asal coblos nomor 2!",
    "Engkok ta' endhak mele calon jareya, pesse ta' kenning ghebey mele {i}",
    "Program Paslon 01 soal jalan desa masih belum jelas, tolong dijelaskan di debat ke-{i}.",
    "VIRALKAN!! surat suara di TPS {i} sudah dicoblos duluan, sebarkan sebelum dihapus",
]

MEASURE = (
    "import resource, runpy, sys; sys.argv = ['pantau'] + sys.argv[1:];"
    "code = 0\n"
    "try:\n    runpy.run_module('pantau', run_name='__main__')\n"
    "except SystemExit as e:\n    code = e.code or 0\n"
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); sys.exit(code)"
)


def write_input(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            text = TEMPLATES[i % len(TEMPLATES)].format(i=i)
            fh.write(json.dumps({"id": i, "text": text}, ensure_ascii=False) + "\n")


def run_once(n: int, workdir: Path) -> tuple[float, float]:
    src, out = workdir / f"in-{n}.jsonl", workdir / f"out-{n}.jsonl"
    write_input(src, n)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, "classify", str(src), "-o", str(out)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"classify failed: {done.stderr.strip()}")
    lines = sum(1 for _ in out.open(encoding="utf-8"))
    assert lines == n, (lines, n)
    peak_mb = int(done.stderr.strip().splitlines()[-1]) / 1024
    return elapsed, peak_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 40_000])
    args = parser.parse_args()
    peaks = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            elapsed, peak = run_once(n, Path(tmp))
            peaks.append(peak)
            print(
                f"{n:>8} lines: {elapsed:6.1f} s wall (incl. start-up), {n / elapsed:8.0f} lines/s, "
                f"peak RSS {peak:7.1f} MB"
            )
    print(
        f"peak memory ratio largest/smallest input: {peaks[-1] / peaks[0]:.2f} "
        f"(input grew {args.sizes[-1] / args.sizes[0]:.0f}x)"
    )


if __name__ == "__main__":
    main()
