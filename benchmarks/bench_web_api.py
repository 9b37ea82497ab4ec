"""Load check of the web app: the JSON API and every HTML page on a database of N alerts, each beside
its speed target (a printed table, not a timed test).

Builds a SQLite database with ``--alerts`` items and one alert each (synthetic, spread over the 14
Sampang kecamatan, the election stages, the signals, severities and statuses), one claim per
``CLAIM_EVERY`` items (four members each, a counter-narrative for every third claim), starts the real
``pantau web`` in a subprocess on a loopback port, then:

* runs a bounded loop of ``/api/v1/alerts`` requests (``--requests``) over a mix of filters at each
  ``--concurrency`` (default ``1,4`` client threads) and prints requests per second and p50/p95;
* times the other endpoints (items, one item, claims, outcomes, the cursor's later pages against the
  deprecated ``offset``, the text search ``q=`` and ``/api/v1/search`` when it exists) and every HTML
  page signed in (``--repeat`` times each, after one warm-up request); a page or endpoint the app does
  not have (404) is listed as skipped.

Targets (issue 18): the alerts API p95 <= 200 ms with 4 clients at 100,000 alerts, the search p95 <= 200
ms, every page p95 <= 300 ms.

Usage: ``python benchmarks/bench_web_api.py [--alerts 100000] [--requests 400] [--concurrency 1,4]
[--repeat 15] [--api-only] [--db PATH]`` (an existing ``--db`` file is reused as it is).
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
from storage.models import Alert, Claim, CounterNarrative, Item, Source

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
    "/alerts?page=20",
    "/timeline",
    "/districts",
    "/claims",
    "/claims?answered=unanswered",
    "/outcomes",
    "/sources",
    "/trends",
    "/map",
    "/search?q=amplop",
    "/saved",
    "/items/1",
    "/claims/1",
]
PASSWORD = "bench-password-123"
CLAIM_EVERY = 50  # one claim per this many items
API_TARGET_MS, SEARCH_TARGET_MS, PAGE_TARGET_MS = 200, 200, 300


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
        claims(session, n, start)
        org = accounts.ensure_organisation(session, "Bench")
        accounts.create_user(session, "bench", hash_password(PASSWORD), "admin", org)
    engine.dispose()


def claims(session: Session, n: int, start: datetime) -> None:
    """One claim per CLAIM_EVERY items (the item and the next three are its members), every third one
    answered by a counter-narrative item six hours after its first sighting."""
    rows, answers = [], []
    for k, first in enumerate(range(1, n - 3, CLAIM_EVERY)):
        when = start + timedelta(minutes=(first - 1) * 90 * 24 * 60 // max(n, 1))
        rows.append(
            {
                "id": k + 1,
                "canonical_text": f"Klaim {k}",
                "first_seen_at": when,
                "last_seen_at": when,
                "item_count": 4,
                "source_count": 2,
                "districts": [DISTRICTS[k % len(DISTRICTS)]],
                "status": "answered" if k % 3 == 0 else "unverified",
                "origin": "auto",
                "created_at": when,
                "updated_at": when,
            }
        )
        if k % 3 == 0:
            answers.append(
                {
                    "claim_id": k + 1,
                    "item_id": first + 4,
                    "actor": "KPU Sampang",
                    "actor_category": "kpu",
                    "published_at": when + timedelta(hours=6),
                    "link_method": "auto",
                    "attribution": "mentioned",
                    "confirmed": False,
                    "rejected": False,
                    "created_at": when,
                }
            )
    session.execute(insert(Claim), rows)
    for k, row in enumerate(rows):
        first = 1 + k * CLAIM_EVERY
        session.execute(
            Item.__table__.update().where(Item.id.between(first, first + 3)).values(claim_id=row["id"])
        )
    if answers:
        session.execute(insert(CounterNarrative), answers)


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


def ms(values: list[float], p: float) -> float:
    return pct(values, p) * 1000


class Table:
    """The printed results: one row per check, p50/p95 beside the target."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str, str]] = []

    def add(self, name: str, values: list[float] | None, target_ms: float | None, note: str = "") -> None:
        if not values:
            self.rows.append((name, "-", "-", "-", note or "skipped"))
            return
        p95 = ms(values, 95)
        verdict = "" if target_ms is None else ("ok" if p95 <= target_ms else "OVER")
        target = "-" if target_ms is None else f"<= {target_ms:.0f}"
        self.rows.append((name, f"{ms(values, 50):.0f}", f"{p95:.0f}", target, f"{verdict} {note}".strip()))

    def print(self) -> None:
        width = max(len(r[0]) for r in self.rows)
        print(f"\n{'check':{width}s}  {'p50 ms':>7s}  {'p95 ms':>7s}  {'target p95':>10s}  verdict")
        for name, p50, p95, target, verdict in self.rows:
            print(f"{name:{width}s}  {p50:>7s}  {p95:>7s}  {target:>10s}  {verdict}")


def api_load(base: str, token: str, requests: int, concurrency: int, table: Table) -> None:
    """The alerts API over the QUERIES mix from ``concurrency`` client threads."""
    headers = {"Authorization": f"Bearer {token}"}
    jobs = [QUERIES[i % len(QUERIES)] for i in range(requests)]
    latencies: dict[str, list[float]] = {q: [] for q in QUERIES}

    def worker(chunk: list[str]) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            client.get("/api/v1/alerts?limit=1").raise_for_status()  # connection and token warm
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
    table.add(
        f"API /api/v1/alerts mix, {concurrency} client(s)",
        every,
        API_TARGET_MS,
        f"{requests / elapsed:.1f} req/s",
    )
    for query, values in latencies.items():
        target = SEARCH_TARGET_MS if "q=" in query else API_TARGET_MS
        table.add(f"  alerts {query or '(no filter)'} [{concurrency}]", values, target)


def timed(client: httpx.Client, path: str, repeat: int) -> list[float] | None:
    """``repeat`` timings of GET ``path`` after one warm-up request; None when the app has no such route."""
    first = client.get(path)
    if first.status_code == 404:
        return None
    first.raise_for_status()
    values = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        client.get(path).raise_for_status()
        values.append(time.perf_counter() - t0)
    return values


def first_view(client: httpx.Client, path: str) -> list[float] | None:
    """One timing of GET ``path`` with no warm-up: what a first view costs where the app caches
    (``/trends`` keeps recent series and charts while the data is unchanged)."""
    t0 = time.perf_counter()
    answer = client.get(path)
    if answer.status_code == 404:
        return None
    answer.raise_for_status()
    return [time.perf_counter() - t0]


def cursor_after(client: httpx.Client, path: str, pages: int) -> str:
    """The ``next`` link after walking ``pages`` pages of a keyset list."""
    url = path
    for _ in range(pages):
        url = client.get(url).json()["next"]
    return url


def endpoints(base: str, token: str, repeat: int, table: Table) -> None:
    """The other API endpoints, one client."""
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        deep = cursor_after(client, "/api/v1/alerts?limit=100", 50)
        checks = [
            ("/api/v1/alerts?limit=100 (first page)", "/api/v1/alerts?limit=100", API_TARGET_MS),
            ("/api/v1/alerts cursor, page 51", deep, API_TARGET_MS),
            ("/api/v1/alerts offset=5000 (deprecated)", "/api/v1/alerts?limit=100&offset=5000", None),
            ("/api/v1/alerts?q=amplop", "/api/v1/alerts?q=amplop&limit=100", SEARCH_TARGET_MS),
            ("/api/v1/alerts?q=kotak suara", "/api/v1/alerts?q=kotak%20suara&limit=100", SEARCH_TARGET_MS),
            ("/api/v1/search?q=amplop", "/api/v1/search?q=amplop", SEARCH_TARGET_MS),
            ("/api/v1/items?limit=100", "/api/v1/items?limit=100", API_TARGET_MS),
            ("/api/v1/items?district=Omben", "/api/v1/items?district=Omben&limit=100", API_TARGET_MS),
            (
                "/api/v1/items cursor, page 51",
                cursor_after(client, "/api/v1/items?limit=100", 50),
                API_TARGET_MS,
            ),
            ("/api/v1/items/{id}", "/api/v1/items/4242", API_TARGET_MS),
            ("/api/v1/claims", "/api/v1/claims", API_TARGET_MS),
            ("/api/v1/claims?answered=answered", "/api/v1/claims?answered=answered", API_TARGET_MS),
            ("/api/v1/outcomes", "/api/v1/outcomes", API_TARGET_MS),
            ("/api/v1/districts", "/api/v1/districts", API_TARGET_MS),
            ("/api/v1/timeline", "/api/v1/timeline", API_TARGET_MS),
            ("/api/v1/sources", "/api/v1/sources", API_TARGET_MS),
            ("/api/v1/trends", "/api/v1/trends", API_TARGET_MS),
        ]
        table.add(
            "/api/v1/trends?by=stage (first view, not cached)",
            first_view(client, "/api/v1/trends?by=stage"),
            API_TARGET_MS,
        )
        for name, path, target in checks:
            table.add(name, timed(client, path, repeat), target)


def pages(base: str, repeat: int, table: Table) -> None:
    with httpx.Client(base_url=base, timeout=120) as client:
        login = client.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
        client.post("/login", data={"username": "bench", "password": PASSWORD, "csrf_token": csrf})
        table.add(
            "page /trends?by=district (first view, not cached)",
            first_view(client, "/trends?by=district"),
            PAGE_TARGET_MS,
        )
        for path in PAGES:
            table.add(f"page {path}", timed(client, path, repeat), PAGE_TARGET_MS)
        table.add("page /alerts.csv?signal=hoax (export)", timed(client, "/alerts.csv?signal=hoax", 2), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", default="1,4", help="client threads, comma-separated runs")
    parser.add_argument("--repeat", type=int, default=15, help="timings per endpoint and page")
    parser.add_argument("--api-only", action="store_true", help="only the /api/v1/alerts mix")
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
        token = token_for(path)
        table = Table()
        for concurrency in [int(c) for c in str(args.concurrency).split(",") if c.strip()]:
            api_load(base, token, args.requests, concurrency, table)
        if not args.api_only:
            endpoints(base, token, args.repeat, table)
            pages(base, args.repeat, table)
        table.print()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        folder.cleanup()


if __name__ == "__main__":
    main()
