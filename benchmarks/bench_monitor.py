"""End-to-end speed of one ``monitor`` run: local files -> collect + store -> classify -> matching.

Writes N synthetic items (Indonesian / Madurese-style local news and social posts from templates:
about 7 % hoax- or tension-like, Sampang kecamatan names, exact and near duplicates across sources,
dates across the election stages) into 20 local files (16 JSONL social exports, 3 RSS news feeds and
one fact-check feed), builds a config with those sources plus the districts, actors and stages of
examples/sampang.yaml, and times:

* the ``monitor`` flow under a temporary Prefect API (``prefect_test_harness``) on a fresh SQLite file
  and on a fresh PostgreSQL database (``pantau_bench_<random>``, created and dropped here);
* the same steps called directly in the same order without Prefect (the overhead ratio's baseline);
* with ``--dask``, the flow on a ``DaskTaskRunner`` (2 worker processes) against the thread runner.

Prints items/s per phase and for the whole run, the ratio to the 1,000,000 items/hour target
(278 items/s), CPU seconds of this process (and of its children: the Prefect server, Dask workers)
and peak RSS. Phases come from the progress events of flows/progress.py; on Dask the classify
batches report from worker processes, so there ``class/s`` is empty and ``match/s`` covers
classification and matching together. Child RSS is sampled at the start and end of each run only.

    python benchmarks/bench_monitor.py                      # 10k and 100k on SQLite, 10k on PostgreSQL
    python benchmarks/bench_monitor.py --items 10000 --backend both --dask
    python benchmarks/bench_monitor.py --quick              # 2,000 items, SQLite, no flow overhead run
    python benchmarks/bench_monitor.py --quick --texts ../shared/data/train   # real texts, not templates

With ``--texts DATA_DIR`` the item texts come from the training JSONL files in DATA_DIR instead of the
templates (see REAL_FILES): social posts from the hate-speech, sentiment and Twitter sets, news items
(with their titles) from the news, headline and hoax-claim sets, fact-check entries from the TurnBackHoax
clarifications. Everything else stays as in template mode: the same 20 files, kinds in the same shares
(hoax- or tension-likeness is then whatever the real rows carry), the same 5 % exact and 3 % near
repeats, dates and config. Each pool is de-duplicated (normalised title + text) and drawn in a seeded
shuffled order; when N needs more rows than a pool holds, the pool is reshuffled and each reused row gets
one filled-in EXTRA sentence appended (the way template items differ by their fillers), so it is a near
duplicate of its first use but never an exact one. The texts are written only into the temporary
folder. The header says which item source was used, and a line per size gives the mean text length,
which differs a lot between the two (real news articles run to thousands of characters).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_PER_S = 1_000_000 / 3600
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"

PLACES = [
    "Omben",
    "Camplong",
    "Ketapang",
    "Sokobanah",
    "Robatal",
    "Torjun",
    "Jrengik",
    "Sreseh",
    "Banyuates",
    "Kedungdung",
    "Pangarengan",
    "Tambelangan",
    "Karang Penang",
    "Kota Sampang",
]
ACTORS = [
    "KPU Sampang",
    "Bawaslu Sampang",
    "Polres Sampang",
    "Kodim 0828",
    "PCNU Sampang",
    "Pemkab Sampang",
    "Panwascam",
    "PPK",
    "KPPS",
    "Babinsa",
]
TOPICS = [
    "distribusi logistik pemilu",
    "rapat pleno rekapitulasi",
    "sosialisasi pemilih pemula",
    "simulasi pemungutan suara",
    "pengamanan TPS",
    "debat publik paslon",
    "pelipatan surat suara",
    "pemutakhiran data pemilih",
    "kampanye dialogis",
    "apel siaga pilkada",
]
NEWS = [
    "{a} menggelar {t} di Kecamatan {p} pada {d}. Sebanyak {n} petugas ikut serta dan kegiatan berjalan "
    "lancar, kata ketua panitia kepada wartawan.",
    "Warga {p} antusias mengikuti {t}. {a} mengimbau masyarakat datang ke TPS {n} dengan membawa KTP "
    "dan undangan memilih.",
    "{a} memastikan {t} di {p} sesuai jadwal. Hingga {d} tercatat {n} TPS siap digunakan.",
    "Pj Bupati meninjau {t} di {p}. Ia meminta {a} menjaga netralitas dan kondusivitas menjelang "
    "pemungutan suara.",
]
POSTS = [
    "Alhamdulillah {t} di {p} lancar, matorsakalangkong {a} 🙏",
    "Tadi pagi ada {t} di balai desa {p}, rame oreng. TPS {n} sudah siap",
    "Jangan lupa nyoblos ya lur, TPS {n} {p} buka jam 7. Ajak keluarga",
    "Info dari {a}: {t} di {p} diundur besok, cek pengumuman resmi",
    "Ngopi dulu sambil nunggu {t} di {p}, semoga pilkada aman damai",
    "Sapa se andi' undangan memilih tape ta' olle? Tanya ke KPPS TPS {n} {p}",
]
HOAXES = [
    "INFO PENTING!!! TPS {n} di {p} dibakar massa tadi malam, polisi kewalahan, jangan keluar rumah. "
    "Sebarkan sebelum dihapus!",
    "Surat suara di gudang {p} sudah dicoblos untuk paslon nomor 0{k}, jumlahnya {n} ribu lembar. Viralkan!",
    "Awas! Warga {p} yang datang ke TPS tanpa KTP asli akan ditangkap polisi. Sebarkan ke grup keluarga",
    "Paslon 0{k} mundur dari pilkada, surat pengunduran diri sudah di KPU, pemilih {p} dibayar 100 ribu",
    "Kelompok dari {p} siap carok kalau paslon 0{k} kalah, bawa celurit ke TPS {n}",
]
DEBUNKS = [
    "[HOAKS] TPS {n} di {p} dibakar massa. Polres Sampang memastikan TPS {n} di {p} aman dan tidak ada "
    "pembakaran; kabar itu tidak benar.",
    "[KLARIFIKASI] Surat suara sudah dicoblos di {p}? Faktanya surat suara tersegel dan dijaga aparat, "
    "kabar itu hoaks.",
    "[HOAKS] Warga tanpa KTP asli ditangkap di {p}. Polres menegaskan tidak ada penangkapan, pemilih "
    "cukup membawa undangan.",
]
EXTRA = [
    "Camat {p} hadir bersama Forkopimcam.",
    "Cuaca cerah sejak pagi.",
    "Acara ditutup doa bersama.",
    "Sebanyak {n} relawan membantu.",
    "Warga diminta menjaga kebersihan.",
    "Kegiatan dimulai pukul {n}.00.",
    "Antrean sempat mengular di depan balai desa.",
    "Ketua RT setempat ikut memantau.",
    "Panitia menyiapkan {n} kursi untuk lansia.",
    "Dokumentasi diunggah ke akun resmi {a}.",
    "Sore harinya hujan deras mengguyur {p}.",
    "Pedagang kopi ikut kebagian rezeki.",
    "Rapat evaluasi digelar malam harinya.",
    "Semoga tetap rukun, bhâreng-bhâreng jaga Madura.",
]
STAGE_DAYS = [datetime(2024, 9, 1, 8, tzinfo=UTC) + timedelta(days=d) for d in range(0, 130, 3)]
# --texts: the training files (names as in classifiers/datasets.py FILES) behind each kind of item
REAL_FILES = {
    "post": (
        "ibrohim2019_hatespeech_train.jsonl",
        "netifier_train.jsonl",
        "pilpres2019_sentiment.jsonl",
        "negatives_emot_twitter_2018.jsonl",
        "negatives_smsa_indonlu.jsonl",
    ),
    "news": (
        "negatives_detik2025.jsonl",
        "negatives_insei_econ_news.jsonl",
        "negatives_narasipal_headlines.jsonl",
        "turnbackhoax_claims_2015_2020_train.jsonl",
    ),
    "debunk": ("turnbackhoax_reports_vs_clarifications_train.jsonl",),  # rows with clarification == 1
}
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# (kind, text, time, title): title None means the RSS title is the text's first sentence
Entry = tuple[str, str, datetime, str | None]


# --- synthetic data -----------------------------------------------------------------------------


def _fill(template: str, rng: random.Random, when: datetime) -> str:
    return template.format(
        a=rng.choice(ACTORS),
        t=rng.choice(TOPICS),
        p=rng.choice(PLACES),
        n=rng.randint(1, 40),
        k=rng.randint(1, 2),
        d=when.strftime("%d/%m/%Y"),
    )


def _repeat(
    out: list[Entry], roll: float, rng: random.Random, when: datetime, tally: Counter[str]
) -> Entry | None:
    """An exact (roll < 0.05) or near (roll < 0.08) repeat of an earlier item, else None. A repeat
    crosses into the social exports (no title) unless it repeats a fact-check entry."""
    if not out or roll >= 0.08:
        return None
    kind, text, _, title = rng.choice(out)
    kind, title = (kind, title) if kind == "debunk" else ("post", None)
    if roll < 0.05:  # an exact repeat of an earlier text (crosses sources)
        tally["exact repeats"] += 1
        return kind, text, when, title
    tally["near repeats"] += 1  # a near duplicate: the same text, slightly edited
    return kind, text.replace(".", "!", 1) + " #Sampang", when, title


def _entries(
    n: int, rng: random.Random, tally: Counter[str], fresh: Callable[[float, datetime], Entry]
) -> list[Entry]:
    """``n`` items with random dates across the stages: an exact or near repeat of an earlier one
    (:func:`_repeat`), else ``fresh(roll, when)``; the roll (uniform in [0, 1)) picks the item's kind."""
    out: list[Entry] = []
    for _ in range(n):
        when = rng.choice(STAGE_DAYS) + timedelta(minutes=rng.randint(0, 1440))
        roll = rng.random()
        repeat = _repeat(out, roll, rng, when, tally)
        out.append(repeat if repeat is not None else fresh(roll, when))
    return out


def _texts(n: int, rng: random.Random, tally: Counter[str] | None = None) -> list[Entry]:
    """(kind, text, time, None) for ``n`` template items: news, posts, ~7 % hoax-like, ~0.5 % debunks,
    duplicates."""

    def fresh(roll: float, when: datetime) -> Entry:
        if roll < 0.15:
            kind, template = "post", rng.choice(HOAXES)
        elif roll < 0.155:
            kind, template = "debunk", rng.choice(DEBUNKS)
        elif roll < 0.45:
            kind, template = "news", rng.choice(NEWS)
        else:
            kind, template = "post", rng.choice(POSTS)
        text = _fill(template, rng, when)
        if kind in ("news", "post") and template not in HOAXES:
            text = " ".join([text, *(_fill(e, rng, when) for e in rng.sample(EXTRA, rng.randint(1, 3)))])
        return kind, text, when, None

    return _entries(n, rng, Counter() if tally is None else tally, fresh)


def load_texts(data_dir: Path) -> dict[str, list[tuple[str | None, str]]]:
    """(title, text) rows per item kind from the training files in ``data_dir`` (see REAL_FILES):
    rows without text dropped, fact-check rows only where ``clarification`` is 1, and each text kept
    once (normalised title + text, the storage layer's content identity) across all pools."""
    from pantau.domain.text import normalise_for_hash

    missing = [name for names in REAL_FILES.values() for name in names if not (data_dir / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{data_dir}: missing {', '.join(missing)}")
    seen: set[str] = set()
    pools: dict[str, list[tuple[str | None, str]]] = {}
    for kind, names in REAL_FILES.items():
        pool = pools[kind] = []
        for name in names:
            with (data_dir / name).open(encoding="utf-8") as fh:
                for line in fh:
                    if not line.strip():
                        continue
                    row = json.loads(line)
                    text = str(row.get("text") or "").strip()
                    if not text or (kind == "debunk" and row.get("clarification") != 1):
                        continue
                    title = str(row.get("title") or "").strip() or None
                    key = normalise_for_hash(f"{title or ''} {text}")
                    if key and key not in seen:
                        seen.add(key)
                        pool.append((title, text))
        if not pool:
            raise ValueError(f"{data_dir}: no {kind} texts in {', '.join(names)}")
    return pools


class _Cycle:
    """Rows of one pool in a seeded shuffled order, reshuffled after each pass; yields (row, pass)."""

    def __init__(self, rows: list[tuple[str | None, str]], rng: random.Random):
        self.rows, self.rng, self.order, self.passes = rows, rng, [], -1

    def next(self) -> tuple[tuple[str | None, str], int]:
        if not self.order:
            self.order = list(range(len(self.rows)))
            self.rng.shuffle(self.order)
            self.order.reverse()  # pop() from the end = the shuffled order from the start
            self.passes += 1
        return self.rows[self.order.pop()], self.passes


def _real_texts(
    n: int,
    rng: random.Random,
    pools: dict[str, list[tuple[str | None, str]]],
    tally: Counter[str] | None = None,
) -> list[Entry]:
    """(kind, text, time, title) for ``n`` items drawn from real texts: the template mode's kinds,
    shares, repeats and dates, with a reused row made distinct by one filled-in EXTRA sentence."""
    from pantau.domain.text import normalise_for_hash

    tally = Counter() if tally is None else tally
    cycles = {kind: _Cycle(rows, rng) for kind, rows in pools.items()}
    seen = {normalise_for_hash(f"{title or ''} {text}") for rows in pools.values() for title, text in rows}

    def fresh(roll: float, when: datetime) -> Entry:
        # the template bands: [0.08, 0.15) hoax-like posts and [0.45, 1) posts, then debunks and news
        kind = "debunk" if 0.15 <= roll < 0.155 else "news" if 0.155 <= roll < 0.45 else "post"
        (title, text), passes = cycles[kind].next()
        if passes:  # a reused row: one more filler sentence until its content identity is new
            tally["reused rows"] += 1
            while True:
                text = f"{text} {_fill(rng.choice(EXTRA), rng, when)}"
                key = normalise_for_hash(f"{title or ''} {text}")
                if key not in seen:
                    seen.add(key)
                    break
        return kind, text, when, title

    return _entries(n, rng, tally, fresh)


def describe(entries: list[Entry], tally: Counter[str]) -> str:
    """Mean text length (the text field, without titles) overall and per kind, and the repeats."""
    by_kind: dict[str, list[int]] = {}
    for kind, text, _, _ in entries:
        by_kind.setdefault(kind, []).append(len(text))
    total = sum(sum(v) for v in by_kind.values())
    parts = ", ".join(f"{k} {sum(v) / len(v):.0f} (x{len(v)})" for k, v in sorted(by_kind.items()))
    extra = ", ".join(f"{k} {v}" for k, v in sorted(tally.items()))
    return f"mean text length {total / max(len(entries), 1):.0f} chars ({parts}); {extra}"


def _xml(text: str) -> str:
    """Text as XML element content: escaped, and without characters XML 1.0 does not allow."""
    return escape(_XML_INVALID.sub(" ", text))


def _rss(path: Path, title: str, entries: list[Entry], base: str) -> None:
    parts = [
        f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>{title}</title>'
        f"<link>{base}</link><description>bench</description>"
    ]
    for i, (_, text, when, item_title) in enumerate(entries):
        head = _xml(item_title or text.split(". ")[0][:90])
        parts.append(
            f"<item><title>{head}</title><link>{base}/{i}</link><guid>{base}/{i}</guid>"
            f"<pubDate>{format_datetime(when)}</pubDate><description>{_xml(text)}</description></item>"
        )
    parts.append("</channel></rss>\n")
    path.write_text("".join(parts), encoding="utf-8")


def write_sources(
    n: int, folder: Path, seed: int = 7, pools: dict[str, list[tuple[str | None, str]]] | None = None
) -> tuple[list[dict[str, Any]], str]:
    """Write ``n`` items into 20 files under ``folder``: template texts, or rows of ``pools``
    (:func:`load_texts`) when given; return their source configs and a line describing the items."""
    rng = random.Random(seed)
    tally: Counter[str] = Counter()
    texts = _texts(n, rng, tally) if pools is None else _real_texts(n, rng, pools, tally)
    social: list[list[Entry]] = [[] for _ in range(16)]
    news: list[list[Entry]] = [[] for _ in range(3)]
    debunks: list[Entry] = []
    for entry in texts:
        if entry[0] == "debunk":
            debunks.append(entry)
        elif entry[0] == "news":
            news[rng.randrange(3)].append(entry)
        else:
            social[rng.randrange(16)].append(entry)
    sources: list[dict[str, Any]] = []
    for s, posts in enumerate(social):
        path = folder / f"social_{s:02d}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for i, (_, text, when, _) in enumerate(posts):
                fh.write(
                    json.dumps(
                        {
                            "id": f"{s}-{i}",
                            "text": text,
                            "author": f"user{rng.randrange(5000)}",
                            "created_at": when.isoformat(),
                            "url": f"https://sosmed.example/{s}/{i}",
                            "platform": "facebook",
                        },
                        ensure_ascii=False,
                    )
                    + "\n"
                )
        sources.append(
            {
                "name": f"social-{s:02d}",
                "kind": "social_export",
                "location": str(path),
                "trust": 0.2,
                "options": {"format": "jsonl"},
            }
        )
    for s, entries in enumerate(news):
        path = folder / f"news_{s}.xml"
        _rss(path, f"Kabar {s}", entries, f"https://kabar{s}.example")
        sources.append(
            {"name": f"news-{s}", "kind": "rss", "location": str(path), "trust": 0.7, "language": "ind"}
        )
    path = folder / "klarifikasi.xml"
    _rss(path, "Klarifikasi", debunks, "https://polres.example/klarifikasi")
    sources.append(
        {
            "name": "klarifikasi",
            "kind": "factcheck_feed",
            "location": str(path),
            "actor": "polres-sampang",
            "trust": 0.9,
            "language": "ind",
        }
    )
    return sources, describe(texts, tally)


def make_config(sources: list[dict[str, Any]]) -> dict[str, Any]:
    base = yaml.safe_load((ROOT / "examples" / "sampang.yaml").read_text(encoding="utf-8"))
    keep = ("region", "timezone", "districts", "actors", "candidates", "stages", "alerts")
    return {**{k: base[k] for k in keep if k in base}, "sources": sources}


# --- databases ----------------------------------------------------------------------------------


class Database:
    """A fresh database for one run: a SQLite file, or a PostgreSQL database dropped on exit."""

    def __init__(self, backend: str, folder: Path):
        self.backend = backend
        self.name = f"pantau_bench_{uuid.uuid4().hex[:10]}"
        self.url = (
            f"sqlite:///{folder / (self.name + '.db')}" if backend == "sqlite" else f"{PG_SERVER}/{self.name}"
        )

    def __enter__(self) -> str:
        if self.backend == "postgres":
            self._admin("CREATE DATABASE {}")
        return self.url

    def __exit__(self, *exc: object) -> None:
        from flows import resources

        resources.reset()
        if self.backend == "postgres":
            self._admin("DROP DATABASE IF EXISTS {} WITH (FORCE)")

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(sql.format(self.name))


# --- measuring ----------------------------------------------------------------------------------


class Meter:
    """Wall and CPU seconds of this process and its live children, and the RSS of the children."""

    def __init__(self) -> None:
        self.me = psutil.Process()
        self.child_peak_mb = 0.0

    def cpu(self) -> float:
        total = sum(self.me.cpu_times()[:2])
        for child in self.me.children(recursive=True):
            try:
                total += sum(child.cpu_times()[:2])
                self.child_peak_mb = max(self.child_peak_mb, child.memory_info().rss / 2**20)
            except psutil.Error:
                pass
        return total


class Phases:
    """Phase boundaries from the progress events the flow's tasks report (see flows/progress.py)."""

    def __init__(self) -> None:
        self.marks: dict[str, float] = {}

    def __call__(self, event: str, data: dict[str, Any]) -> None:
        now = time.perf_counter()
        if event == "run_started":
            self.marks["start"] = now
        elif event == "source_done":
            self.marks["collected"] = now
        elif event == "classify_started":
            self.marks["classify_start"] = now
        elif event == "batch_done":
            self.marks["classified"] = now
            print(".", end="", flush=True)
        elif event == "matching_done":
            self.marks["matched"] = now

    def split(self, t0: float, t1: float) -> dict[str, float | None]:
        m = self.marks
        collect = m.get("collected", m.get("classify_start", t0)) - m.get("start", t0)
        classify = (
            m.get("classified", m.get("classify_start", t0)) - m.get("classify_start", t0)
            if "classified" in m
            else None
        )
        after_classify = m.get("classified", m.get("classify_start", t0))
        matching = (m["matched"] - after_classify) if "matched" in m else None
        return {"collect+store": collect, "classify": classify, "matching": matching, "total": t1 - t0}


def run_direct(url: str, config: dict[str, Any], batch_size: int) -> tuple[dict[str, Any], dict[str, float]]:
    """The flow's steps in the flow's order, without Prefect; returns counts and phase seconds."""
    from flows import matching_step, steps

    t0 = time.perf_counter()
    run_id, source_ids = steps.start(url, config, "bench-direct")
    source_counts = []
    for source in config["sources"]:
        result = steps.collect(source, {}, url)
        source_counts.append(steps.store(url, source["name"], source_ids[source["name"]], run_id, result))
    silent = steps.check_silent_sources(url, config)
    t1 = time.perf_counter()
    pending = steps.pending_item_ids(url, None)
    batch_counts = []
    for i in range(0, len(pending), batch_size):
        batch_counts.append(steps.classify_batch(url, None, config, pending[i : i + batch_size]))
        print(".", end="", flush=True)
    t2 = time.perf_counter()
    match_counts = matching_step.match_items(url, None, config)
    t3 = time.perf_counter()
    _after_matching(url, config)
    counts = steps.merge_counts(source_counts, batch_counts, silent, match_counts)
    steps.finish(url, run_id, counts)
    t4 = time.perf_counter()
    return counts, {"collect+store": t1 - t0, "classify": t2 - t1, "matching": t3 - t2, "total": t4 - t0}


def _after_matching(url: str, config: dict[str, Any]) -> None:
    """The steps the flow runs after matching (claim folding, spike detection, notifications), so the
    baseline does the same work as the flow."""
    from flows import spike_step
    from flows.notify.dispatch import dispatch

    now = datetime.now(UTC)
    spike_step.fold_claims(url, config, now=now)
    spike_step.detect_spikes(url, config, now=now)
    dispatch(url, config, now=now, wait_for_window=False)


def run_flow(
    url: str, config: dict[str, Any], batch_size: int, runner: str = "threads"
) -> tuple[dict[str, Any], dict[str, float | None]]:
    from flows.monitor import monitor
    from flows.progress import set_reporter

    flow = monitor
    if runner == "dask":
        from flows.runners import task_runner_for

        flow = monitor.with_options(task_runner=task_runner_for("dask", n_workers=2))
    phases = Phases()
    set_reporter(phases)
    try:
        t0 = time.perf_counter()
        counts = flow(database_url=url, config=config, batch_size=batch_size)
        t1 = time.perf_counter()
    finally:
        set_reporter(None)
    return counts, phases.split(t0, t1)


def _rate(n: int, seconds: float | None) -> str:
    return f"{n / seconds:>9.0f}" if seconds else f"{'-':>9}"


def report_row(
    label: str, n: int, counts: dict[str, Any], phases: dict[str, float | None], cpu: float
) -> None:
    total = phases["total"] or 1e-9
    match = counts.get("matching", {})
    print(
        f"\r{label:<22} {n:>7} {counts.get('new', 0):>7} {counts.get('scored', 0):>7} "
        f"{counts.get('alerts', 0):>6} {match.get('claim_items', 0):>6} "
        f"{_rate(n, phases['collect+store'])} {_rate(n, phases['classify'])} "
        f"{_rate(n, phases['matching'])} "
        f"{total:>8.1f} {n / total:>9.0f} {n / total / TARGET_PER_S:>6.2f} {cpu:>7.1f} "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:>7.0f}",
        flush=True,
    )


HEADER = (
    f"{'run':<22} {'items':>7} {'new':>7} {'scored':>7} {'alerts':>6} {'claim':>6} "
    f"{'coll/s':>9} {'class/s':>9} {'match/s':>9} {'wall s':>8} {'items/s':>9} {'x tgt':>6} "
    f"{'cpu s':>7} {'peakMB':>7}"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--items", type=int, nargs="+", default=None, help="item counts (default 10000 100000; --quick: 2000)"
    )
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgres", "both"),
        default="both",
        help="database(s); PostgreSQL runs only the smallest size unless --pg-all",
    )
    parser.add_argument("--pg-all", action="store_true", help="run every size on PostgreSQL too")
    parser.add_argument("--dask", action="store_true", help="also time a DaskTaskRunner flow (largest size)")
    parser.add_argument("--no-direct", action="store_true", help="skip the without-Prefect baseline")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=1000,
        help="items per classify task (default: the product's default)",
    )
    parser.add_argument("--quick", action="store_true", help="2,000 items on SQLite, no baseline")
    parser.add_argument(
        "--texts",
        type=Path,
        metavar="DATA_DIR",
        default=None,
        help="take the item texts from the training JSONL files in DATA_DIR "
        "(e.g. ../shared/data/train) instead of the templates",
    )
    args = parser.parse_args()
    pools = load_texts(args.texts) if args.texts else None
    sizes = args.items or ([2000] if args.quick else [10_000, 100_000])
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    if args.quick:
        backends = ["sqlite"]

    from pantau.cli.common import prepare_prefect_env

    prepare_prefect_env()
    os.environ["PREFECT_LOGGING_LEVEL"] = "ERROR"
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")  # no per-connection INFO lines
    from prefect.testing.utilities import prefect_test_harness

    from flows.resources import classifier_for

    classifier_for(None)  # load the model once, outside every timing
    meter = Meter()
    print(
        f"target: {TARGET_PER_S:.0f} items/s (1,000,000 items/hour); cores: {os.cpu_count()}; "
        f"load: {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    if pools is None:
        print("item source: synthetic templates", flush=True)
    else:
        print(
            f"item source: real texts from {args.texts} ("
            + ", ".join(f"{kind} {len(rows)}" for kind, rows in pools.items())
            + " distinct rows; reused with a filler sentence when N needs more)",
            flush=True,
        )
    with prefect_test_harness(server_startup_timeout=180), tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(HEADER)
        for n in sizes:
            data = folder / f"data_{n}"
            data.mkdir()
            sources, summary = write_sources(n, data, pools=pools)
            print(f"  {n} items: {summary}", flush=True)
            config = make_config(sources)
            for backend in backends:
                if backend == "postgres" and n != min(sizes) and not args.pg_all:
                    continue
                runs = [("flow", "threads")]
                if not (args.no_direct or args.quick):
                    runs.append(("direct", None))
                if args.dask and n == max(sizes):
                    runs.append(("flow", "dask"))
                walls: dict[str, float] = {}
                for kind, runner in runs:
                    with Database(backend, folder) as url:
                        c0 = meter.cpu()
                        if kind == "flow":
                            counts, phases = run_flow(url, config, args.batch_size, runner or "threads")
                        else:
                            counts, phases = run_direct(url, config, args.batch_size)
                        label = f"{backend} {kind}" + (f" {runner}" if runner else "")
                        walls[label] = phases["total"] or 0.0
                        report_row(label, n, counts, phases, meter.cpu() - c0)
                flow_s, direct_s = walls.get(f"{backend} flow threads"), walls.get(f"{backend} direct")
                if flow_s and direct_s:
                    print(f"  Prefect overhead ({backend}, {n}): flow / direct = {flow_s / direct_s:.2f}")
                dask_s = walls.get(f"{backend} flow dask")
                if flow_s and dask_s:
                    print(f"  Dask speed-up ({backend}, {n}): threads / dask = {flow_s / dask_s:.2f}")
    print(
        f"peak RSS: this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB, "
        f"largest child seen {meter.child_peak_mb:.0f} MB (Prefect server / Dask worker), "
        f"finished children {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
