"""benchmarks/bench_monitor.py --texts: items from real-text files (tiny fixtures written here)."""

from __future__ import annotations

import importlib.util
import json
import random
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from pantau.domain.text import normalise_for_hash

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_monitor", ROOT / "benchmarks" / "bench_monitor.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def data_dir(tmp_path: Path, bench) -> Path:
    folder = tmp_path / "train"
    folder.mkdir()
    for kind, names in bench.REAL_FILES.items():
        for f, name in enumerate(names):
            rows = []
            for i in range(3):
                text = f'{kind} {f} teks {i} <b>tebal</b> & "kutip". Kalimat dua.'
                row = {"id": f"{name}-{i}", "text": text}
                if kind != "post":
                    row["title"] = f"Judul {f}-{i} <i>&</i>"
                if kind == "debunk":
                    row["clarification"] = 1
                rows.append(row)
            rows.append(dict(rows[0], id="copy"))  # an exact copy: kept once
            rows.append({"id": "empty", "text": "  "})  # no text: dropped
            if kind == "debunk":
                rows.append(
                    {"id": "report", "title": "Laporan", "text": "bukan klarifikasi", "clarification": 0}
                )
            (folder / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return folder


def test_pools_keep_each_text_once_and_only_clarifications(bench, data_dir: Path) -> None:
    pools = bench.load_texts(data_dir)
    assert {k: len(v) for k, v in pools.items()} == {
        kind: 3 * len(names) for kind, names in bench.REAL_FILES.items()
    }
    assert all(text != "bukan klarifikasi" for _, text in pools["debunk"])
    assert all(title is None for title, _ in pools["post"])
    assert all(title for title, _ in pools["news"])


def test_real_texts_count_repeats_and_distinct_reuse(bench, data_dir: Path) -> None:
    pools = bench.load_texts(data_dir)
    tally: Counter[str] = Counter()
    entries = bench._real_texts(400, random.Random(7), pools, tally)
    assert len(entries) == 400
    assert entries == bench._real_texts(400, random.Random(7), pools)  # deterministic
    assert tally["exact repeats"] > 0 and tally["near repeats"] > 0 and tally["reused rows"] > 0
    keys = [normalise_for_hash(f"{title or ''} {text}") for _, text, _, title in entries]
    # only the repeats may share a content identity; news items never come from a repeat
    assert len(set(keys)) >= 400 - tally["exact repeats"] - tally["near repeats"]
    news = [k for (kind, *_), k in zip(entries, keys, strict=True) if kind == "news"]
    assert len(news) == len(set(news)) > 4 * len(pools["news"])


def test_written_sources_hold_every_item_and_escape_text(bench, data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    sources, summary = bench.write_sources(300, out, pools=bench.load_texts(data_dir))
    assert len(sources) == 20 and len(list(out.iterdir())) == 20
    assert summary.startswith("mean text length ")
    count, titles, bodies = 0, [], []
    for source in sources:
        path = Path(source["location"])
        if source["kind"] == "social_export":
            count += sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line)
        else:
            items = ET.parse(path).getroot().findall("./channel/item")  # well-formed XML
            count += len(items)
            titles += [item.findtext("title") for item in items]
            bodies += [item.findtext("description") for item in items]
    assert count == 300
    assert any('<b>tebal</b> & "kutip"' in body for body in bodies)
    assert any(title.startswith("Judul ") and "<i>&</i>" in title for title in titles)
