"""Concurrent writers (threads and processes) upserting overlapping batches store each item once."""

from __future__ import annotations

import random
import subprocess
import sys
import threading

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, select

from storage.db import alembic_config, current_revision, session_factory
from storage.models import Item, ItemSighting

WRITERS = 4
ITEMS = 60

# A writer process: on "go", migrates the (possibly empty) database, syncs three sources and upserts
# items 0..n-1 (shuffled by its seed, in batches of 10) as one of them. It says "ready" once imported
# and connected, so that all writers overlap.
WRITER_SCRIPT = """
import random, sys
from pantau.domain.config import SourceConfig
from pantau.domain.records import CollectedItem
from storage.db import make_engine, migrate, session_factory
from storage.repository import sync_sources, upsert_items

url, seed, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
numbers = list(range(n)); random.Random(seed).shuffle(numbers)
items = [CollectedItem(source="s", title=f"Berita {i}", text=f"Isi berita nomor {i} tentang pilkada Sampang.",
                       url=f"https://news.example/berita/{i}" if i % 3 else None) for i in numbers]
engine = make_engine(url)
Session = session_factory(engine)
print("ready", flush=True)
sys.stdin.readline()  # "go"
migrate(engine)
with Session() as session:
    ids = sync_sources(session, [SourceConfig(name=f"s-{k}", kind="rss", location=f"https://{k}.example")
                                 for k in range(3)])
    session.commit()
for start in range(0, len(items), 10):
    with Session() as session:
        upsert_items(session, ids[f"s-{seed % 3}"], None, items[start:start + 10])
        session.commit()
engine.dispose()
"""


def _batches(seed: int, make_item) -> list[list]:
    numbers = list(range(ITEMS))
    random.Random(seed).shuffle(numbers)
    items = [make_item(i, url=f"https://news.example/berita/{i}" if i % 3 else None) for i in numbers]
    return [items[i : i + 10] for i in range(0, len(items), 10)]


def _assert_one_row_per_item(engine, n_sources: int) -> None:
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Item)) == ITEMS
        assert session.scalar(select(func.count(func.distinct(Item.content_hash)))) == ITEMS
        assert session.scalar(select(func.count()).select_from(ItemSighting)) == ITEMS * n_sources


def test_threads_upserting_overlapping_batches(engine, sources, new_item):
    from storage.repository import upsert_items

    source_ids = list(sources.values())
    errors: list[BaseException] = []
    barrier = threading.Barrier(WRITERS)
    Session = session_factory(engine)

    def write(seed: int) -> None:
        try:
            barrier.wait()
            for batch in _batches(seed, new_item):
                with Session() as session:
                    upsert_items(session, source_ids[seed % len(source_ids)], None, batch)
                    session.commit()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(seed,)) for seed in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    _assert_one_row_per_item(engine, n_sources=len(source_ids))


def _run_together(script: str, args: list[list[str]]) -> None:
    """Run one process per argument list, start them together, and fail with their stderr if any fails."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, *a],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for a in args
    ]
    for p in procs:
        assert p.stdout.readline().strip() == "ready", p.communicate(timeout=60)[1]
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    results = [(p.wait(timeout=60), p.communicate()[1]) for p in procs]
    failed = [err for code, err in results if code != 0]
    if failed:  # pytest.fail keeps the whole traceback (an assert message would be truncated)
        pytest.fail("writer process failed:\n" + "\n---\n".join(failed), pytrace=False)


def test_processes_migrating_and_upserting_concurrently(raw_engine, db_url):
    """Three processes start on an empty database: migrate, sync sources, upsert overlapping batches."""
    _run_together(WRITER_SCRIPT, [[db_url, str(seed), str(ITEMS)] for seed in range(3)])
    assert current_revision(raw_engine) == ScriptDirectory.from_config(alembic_config()).get_current_head()
    _assert_one_row_per_item(raw_engine, n_sources=3)
