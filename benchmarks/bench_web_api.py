"""Load check of the web app: the alert API query and the main pages on a database of N alerts.

Builds a SQLite database with ``--alerts`` items and one alert each (synthetic, spread over the 14
Sampang kecamatan, the election stages, the signals, severities and statuses), starts the real
``pantau web`` in a subprocess on a loopback port, then runs a bounded loop of API requests
(``--requests``, from ``--concurrency`` client threads) over a mix of filters and prints requests per
second and latency percentiles; then times each HTML page once signed in.

Usage: ``python benchmarks/bench_web_api.py [--alerts 100000] [--requests 400] [--concurrency 4]
[--db PATH]`` (an existing ``--db`` file is reused as it is).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert
from sqlalchemy.orm import Session

from pantau.web.auth import hash_password
from storage import accounts
from storage.db import make_engine, migrate
from storage.models import Alert, Item, Source

DISTRICTS = [
    "Banyuates",
    "Camplong",
    "Jrengik",
    "Karang Penang",
    "Kedungdung",
    "Ketapang",
    "Omben",
    "Pangarengan",
    "Robatal",
    "Sampang",
    "Sokobanah",
    "Sreseh",
    "Tambelangan",
    "Torjun",
]
STAGES = ["campaign", "quiet_period", "voting_day", "counting_recapitulation", "disputes"]
SIGNALS = ["hoax", "hate_speech", "sara", "abusive", "violence_threat", "vote_buying"]
SEVERITIES = ["low", "medium", "medium", "high", "critical"]
STATUSES = ["open", "open", "open", "acknowledged", "resolved", "dismissed"]
WORDS = (
    "kotak suara tps pemilih paslon kampanye amplop serangan fajar warga desa kecamatan kpu bawaslu "
    "polres hoaks kabar beredar dibakar dipindah surat suara saksi rekapitulasi"
).split()
QUERIES = [
    "",
    "signal=hoax",
    "district=Omben&stage=voting_day",
    "status=open&since=2024-11-20&until=2024-11-30",
    "source=bench-2&signal=vote_buying",
    "q=amplop&district=Torjun",
    "actor=Polres%20Sampang&status=open",
]
PAGES = [
    "/queue",
    "/queue?district=Omben",
    "/alerts",
    "/alerts?signal=hoax&district=Omben",
    "/alerts?q=amplop",
    "/timeline",
    "/districts",
]
PASSWORD = "bench-password-123"


def build(path: Path, n: int, seed: int = 0) -> None:
    """A migrated database with ``n`` items, one alert each, and an admin 'bench'."""
    rng = random.Random(seed)
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    start = datetime(2024, 9, 25, tzinfo=UTC)
    with Session(engine) as session, session.begin():
        session.execute(
            insert(Source),
            [
                {
                    "name": f"bench-{i}",
                    "kind": "rss",
                    "trust": 0.5,
                    "enabled": True,
                    "location": f"https://b{i}.example",
                    "created_at": start,
                }
                for i in range(8)
            ],
        )
        for lo in range(0, n, 5000):
            items, alerts = [], []
            for i in range(lo, min(n, lo + 5000)):
                when = start + timedelta(minutes=i * 90 * 24 * 60 // max(n, 1))
                district, stage, signal = rng.choice(DISTRICTS), rng.choice(STAGES), rng.choice(SIGNALS)
                text = " ".join(rng.choice(WORDS) for _ in range(40))
                items.append(
                    {
                        "id": i + 1,
                        "source_id": rng.randint(1, 8),
                        "url": f"https://b.example/{i}",
                        "title": f"Kabar {i} {district}",
                        "text": text,
                        "published_at": when,
                        "collected_at": when,
                        "lang": "ind",
                        "content_hash": f"{i:064x}",
                        "stage": stage,
                        "districts": [district],
                        "actors": ["Polres Sampang"] if i % 7 == 0 else [],
                        "raw": {},
                    }
                )
                alerts.append(
                    {
                        "kind": "flagged_item",
                        "signal": signal,
                        "item_id": i + 1,
                        "severity": rng.choice(SEVERITIES),
                        "stage": stage,
                        "district": district,
                        "status": rng.choice(STATUSES),
                        "reason": f"{signal} 0.9: {text[:60]}",
                        "details": {},
                        "dedupe_key": f"flagged_item:{i + 1}:{signal}",
                        "created_at": when,
                        "updated_at": when,
                    }
                )
            session.execute(insert(Item), items)
            session.execute(insert(Alert), alerts)
        org = accounts.ensure_organisation(session, "Bench")
        accounts.create_user(session, "bench", hash_password(PASSWORD), "admin", org)
    engine.dispose()


def token_for(path: Path) -> str:
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine) as session, session.begin():
        user = accounts.account_by_username(session, "bench")
        secret = accounts.create_api_token(session, user.id, "bench")
    engine.dispose()
    return secret


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(path: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "PANTAU_WEB_SECRET": "b" * 40}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pantau", "web", "--db", f"sqlite:///{path}", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    for _ in range(300):
        try:
            httpx.get(f"http://127.0.0.1:{port}/login", timeout=1)
            return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("pantau web did not start: " + proc.stderr.read().decode())


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def api_load(base: str, token: str, requests: int, concurrency: int) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    jobs = [QUERIES[i % len(QUERIES)] for i in range(requests)]
    latencies: dict[str, list[float]] = {q: [] for q in QUERIES}

    def worker(chunk: list[str]) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            for query in chunk:
                t0 = time.perf_counter()
                response = client.get(f"/api/v1/alerts?{query}&limit=100")
                latencies[query].append(time.perf_counter() - t0)
                response.raise_for_status()

    chunks = [jobs[i::concurrency] for i in range(concurrency)]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(worker, chunks))
    elapsed = time.perf_counter() - t0
    every = [x for v in latencies.values() for x in v]
    print(
        f"API /api/v1/alerts: {requests} requests, {concurrency} clients: {requests / elapsed:.1f} req/s, "
        f"p50 {pct(every, 50) * 1000:.0f} ms, p95 {pct(every, 95) * 1000:.0f} ms"
    )
    for query, values in latencies.items():
        print(
            f"  {query or '(no filter)':48s} p50 {pct(values, 50) * 1000:6.0f} ms  "
            f"p95 {pct(values, 95) * 1000:6.0f} ms"
        )


def pages(base: str) -> None:
    with httpx.Client(base_url=base, timeout=120) as client:
        login = client.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
        client.post("/login", data={"username": "bench", "password": PASSWORD, "csrf_token": csrf})
        for path in PAGES + ["/alerts.csv?signal=hoax"]:
            t0 = time.perf_counter()
            response = client.get(path)
            response.raise_for_status()
            ms = (time.perf_counter() - t0) * 1000
            print(f"page {path:40s} {ms:7.0f} ms  {len(response.content):>10,} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    folder = tempfile.TemporaryDirectory()
    path = args.db or Path(folder.name) / "bench.db"
    if not path.exists():
        t0 = time.perf_counter()
        build(path, args.alerts)
        print(f"built {args.alerts:,} items and alerts in {time.perf_counter() - t0:.1f} s ({path})")
    port = free_port()
    proc = serve(path, port)
    try:
        base = f"http://127.0.0.1:{port}"
        api_load(base, token_for(path), args.requests, args.concurrency)
        pages(base)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        folder.cleanup()


if __name__ == "__main__":
    main()
