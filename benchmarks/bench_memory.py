"""Peak memory (RSS) of the collectors on hostile input, each case in a fresh subprocess.

Cases: ``baseline`` (the interpreter with ``sources`` imported), ``gzip-bomb`` (a local HTTP server
sends ``--bomb-mb`` MB of zeros gzipped, about 1000:1; the fetcher's cap is ``--max-bytes``), and
``export-stream`` (a generated JSONL export of ``--export-mb`` MB read through
``sources.social_export.iter_export``, every item discarded as it comes). ``export-collect`` (the
same file through ``collect_source``, which keeps every item in its CollectResult) is printed for
information: it grows with the items kept and has no bound. ``export-run`` stores a ``--run-mb`` MB
export into SQLite through ``flows.steps.stream_store``, the monitoring flow's path for streaming
kinds (``STREAM_BATCH`` items per transaction), against its own baseline (storage imported, the
database migrated).

The bounds (docs/sources.md): a fetch peaks at most ``3 x max_bytes + 32 MiB`` over the baseline;
streaming an export of any size at most ``64 MiB`` over the baseline (default ``max_line_bytes``).
Peaks are the child's ``VmHWM`` (Linux), else ``ru_maxrss``. Prints the numbers and one MET / NOT MET
line per bounded case; the exit status is 1 when a bound is not met.

    python benchmarks/bench_memory.py [--export-mb 200] [--bomb-mb 1000] [--max-bytes 10000000]
        [--run-mb 50] [--skip-collect]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIB = 1 << 20
FETCH_SLACK = 32 * MIB
STREAM_BOUND = 64 * MIB

CHILD = r"""
import resource, sys
sys.path.insert(0, {root!r})
case, arg, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
import sources
from pantau.domain.config import HttpConfig, SourceConfig
count = 0
if case == "gzip-bomb":
    from pantau.domain.errors import FetchError
    with sources.HttpFetcher(HttpConfig(max_bytes=limit), respect_robots=False,
                             min_interval_seconds=0) as fetcher:
        try:
            count = len(fetcher.fetch(arg).content)
        except FetchError as exc:
            assert exc.reason == "too_large", exc
elif case == "export-stream":
    from pathlib import Path
    from sources.base import Location
    from sources.social_export import ExportOptions, iter_export
    options = ExportOptions.parse({{}}, Location(path=Path(arg)), environ={{}})
    with open(arg, "rb") as stream:
        for record in iter_export(stream, source="bench", options=options):
            count += 1
elif case == "export-fetch":
    seen = [0]
    def on_item(item):
        seen[0] += 1
    sources.fetch_streaming("social_export", arg, on_item)
    count = seen[0]
elif case in ("run-baseline", "export-run"):
    from flows import steps
    from storage.db import make_engine, migrate
    from storage.repository import sync_sources
    from sqlalchemy.orm import Session
    url = "sqlite:///" + arg + ".db"
    engine = make_engine(url)
    migrate(engine)
    source = {{"name": "bench", "kind": "social_export", "location": arg}}
    with Session(engine) as session, session.begin():
        source_id = sync_sources(session, [SourceConfig.model_validate(source)])["bench"]
    if case == "export-run":
        count = steps.stream_store(source, {{}}, url, source_id, None)["new"]
elif case == "export-collect":
    config = SourceConfig(name="bench", kind="social_export", location=arg)
    with sources.HttpFetcher(HttpConfig()) as fetcher:
        count = len(sources.collect_source(config, fetcher).items)
try:  # VmHWM: this process's own peak (ru_maxrss keeps the parent's peak across fork + exec)
    with open("/proc/self/status") as status:
        peak = next(int(l.split()[1]) * 1024 for l in status if l.startswith("VmHWM:"))
except (OSError, StopIteration):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
print(peak, count)
"""


def peak_rss(case: str, arg: str = "", limit: int = 0) -> tuple[int, int]:
    """(peak RSS in bytes, records/bytes seen) of one case in a fresh interpreter."""
    code = CHILD.format(root=str(ROOT))
    out = subprocess.run(
        [sys.executable, "-c", code, case, arg, str(limit)], check=True, capture_output=True, text=True
    ).stdout.split()
    return int(out[0]), int(out[1])


def write_export(path: Path, megabytes: int) -> int:
    """A JSONL export of about ``megabytes`` MB of tweet-length posts; returns the line count."""
    target, size, n = megabytes * 1_000_000, 0, 0
    words = (
        "pemilu kampanye Sampang TPS suara calon bupati warga desa berita hoaks relawan "
        "Bawaslu KPU debat pilkada Madura"
    ).split()
    with path.open("w", encoding="utf-8") as handle:
        while size < target:
            text = " ".join(words[(n + i * 7) % len(words)] for i in range(40)) + f" #{n}"
            line = (
                json.dumps(
                    {
                        "id": str(n),
                        "text": text,
                        "author": f"akun{n % 5000}",
                        "created_at": "2024-11-20T08:15:00+07:00",
                        "url": f"https://social.example/p/{n}",
                        "platform": "x",
                        "metrics": {"likes": n % 97, "shares": n % 13},
                    }
                )
                + "\n"
            )
            handle.write(line)
            size += len(line)
            n += 1
    return n


def gzip_zeros(megabytes: int) -> bytes:
    """``megabytes`` MiB of zeros, gzipped a MiB at a time (the zeros are never all in memory)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(MIB)
    return b"".join([*(packer.compress(zeros) for _ in range(megabytes)), packer.flush()])


def serve_bomb(megabytes: int) -> tuple[ThreadingHTTPServer, str]:
    body = gzip_zeros(megabytes)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server API)
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/feed.xml"


def verdict(name: str, peak: int, base: int, bound: int) -> str:
    over = peak - base
    ok = "MET" if over <= bound else "NOT MET"
    return (
        f"{ok}: {name} peak {peak / MIB:.0f} MiB = baseline + {over / MIB:.0f} MiB "
        f"(bound: baseline + {bound / MIB:.0f} MiB)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--export-mb", type=int, default=200)
    parser.add_argument("--bomb-mb", type=int, default=1000)
    parser.add_argument("--max-bytes", type=int, default=10_000_000)
    parser.add_argument("--run-mb", type=int, default=50, help="export stored through the flow's path")
    parser.add_argument("--skip-collect", action="store_true")
    args = parser.parse_args()

    base, _ = peak_rss("baseline")
    print(f"baseline (python + sources imported): {base / MIB:.0f} MiB")
    lines = []
    server, url = serve_bomb(args.bomb_mb)
    try:
        peak, _ = peak_rss("gzip-bomb", url, args.max_bytes)
    finally:
        server.shutdown()
        server.server_close()
    print(f"gzip bomb {args.bomb_mb} MB, cap {args.max_bytes / MIB:.1f} MiB: peak {peak / MIB:.0f} MiB")
    lines.append(verdict("gzip-bomb", peak, base, 3 * args.max_bytes + FETCH_SLACK))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.jsonl"
        count = write_export(path, args.export_mb)
        peak, seen = peak_rss("export-stream", str(path))
        print(
            f"export {args.export_mb} MB ({count} lines) streamed: {seen} records, peak {peak / MIB:.0f} MiB"
        )
        lines.append(verdict("export-stream", peak, base, STREAM_BOUND))
        peak, _ = peak_rss("export-fetch", str(path))
        print(
            f"export {args.export_mb} MB through `pantau fetch` (sources.fetch_streaming): "
            f"peak {peak / MIB:.0f} MiB"
        )
        lines.append(verdict("export-fetch", peak, base, STREAM_BOUND))
        run_path = Path(tmp) / "run-export.jsonl"
        run_count = write_export(run_path, args.run_mb)
        run_base, _ = peak_rss("run-baseline", str(run_path))
        peak, stored = peak_rss("export-run", str(run_path))
        print(
            f"export {args.run_mb} MB ({run_count} lines) stored by the flow's stream_store into SQLite: "
            f"{stored} new items, peak {peak / MIB:.0f} MiB (its baseline, storage imported and the "
            f"database migrated: {run_base / MIB:.0f} MiB)"
        )
        lines.append(verdict("export-run", peak, run_base, STREAM_BOUND))
        if not args.skip_collect:
            peak, kept = peak_rss("export-collect", str(path))
            print(
                f"export {args.export_mb} MB collected whole (not bounded, for information): "
                f"{kept} items, peak {peak / MIB:.0f} MiB"
            )
    for line in lines:
        print(line)
    return 0 if all(line.startswith("MET") for line in lines) else 1


if __name__ == "__main__":
    sys.exit(main())
