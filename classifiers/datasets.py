"""Reading the training JSONL files and assembling one labelled, grouped set per signal.

Every example carries a ``group`` (its source, platform, outlet or period) so that evaluation can hold
out whole groups (see :mod:`classifiers.evaluation`), and a ``cluster``: the key of its near-duplicate
cluster (:mod:`classifiers.dedup`), computed over every row of every file before anything is split, so
that a split keeps each cluster on one side. A fixed share of the clusters (by hash) is the *sealed*
evaluation set: ``part="train"`` (the default) never contains it, ``part="sealed"`` is only it.

Each set draws its samples from its own random generator, seeded from ``(seed, set name)``, so a set is
the same whatever was built before it. Texts are cut to a title + lead window here, and news negatives
are cut to lengths drawn from the positives so that length is not a shortcut.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from classifiers.dedup import (
    SEALED_PERCENT,
    Clusters,
    dedup_tokens,
    is_sealed,
    near_duplicate_clusters,
    text_key,
)

MAX_CHARS = 500
FILES = {
    "ibrohim": "ibrohim2019_hatespeech_train.jsonl",
    "netifier": "netifier_train.jsonl",
    "claims": "turnbackhoax_claims_2015_2020_train.jsonl",
    "reports": "turnbackhoax_reports_vs_clarifications_train.jsonl",
    "madurese": "madurese_indonesian_train.jsonl",
    "pilpres": "pilpres2019_sentiment.jsonl",
    "detik": "negatives_detik2025.jsonl",
    "insei": "negatives_insei_econ_news.jsonl",
    "narasipal": "negatives_narasipal_headlines.jsonl",
    "emot": "negatives_emot_twitter_2018.jsonl",
    "smsa": "negatives_smsa_indonlu.jsonl",
}
_VERDICT_TAG = re.compile(r"^\s*(\[[^\]]{1,25}\]|\((hoaks|hoax|salah|benar|disinformasi)\))\s*", re.I)
_SECTION = re.compile(
    r"=*\s*\(?\b(NARASI|PENJELASAN|Penjelasan|FAKTA|Fakta|KESIMPULAN|SUMBER|REFERENSI|"
    r"KATEGORI|CATATAN|Klaim|KLAIM|Narasi)\b\)?\s*[:=]+\s*=*|={3,}"
)
_TEMPLATE = re.compile(r"\bDebunk ini berisi\b|https?://\S+", re.I)
_SECTION_KIND = {
    "narasi": "claim",
    "klaim": "claim",
    "penjelasan": "answer",
    "fakta": "answer",
    "kesimpulan": "answer",
}


@dataclass
class SignalSet:
    """Texts, binary labels, group names and near-duplicate cluster keys for one signal (parallel lists)."""

    name: str
    texts: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    clusters: list[str] = field(default_factory=list)
    # the whole document of a row whose source text is longer than its window, as (title, body), else
    # None: what the product scores window by window (classifiers.windows); training reads ``texts``
    docs: list[tuple[str, str] | None] = field(default_factory=list)
    copies_dropped: int = 0  # rows dropped because the set already held their cluster with that label
    before_dedup: tuple | None = None  # (groups, clusters, labels) as built, before drop_copies

    def add(
        self,
        texts: list[str],
        label: int | list[int],
        group: str,
        clusters: list[str] | None = None,
        docs: list[tuple[str, str] | None] | None = None,
    ) -> None:
        labels = label if isinstance(label, list) else [label] * len(texts)
        self.texts.extend(texts)
        self.labels.extend(labels)
        self.groups.extend([group] * len(texts))
        self.clusters.extend(clusters if clusters is not None else [_own_key(t) for t in texts])
        self.docs.extend(docs if docs is not None else [None] * len(texts))

    def drop_copies(self) -> SignalSet:
        """Keep one row per (cluster, label): near-copies inside one set would count twice."""
        seen: set[tuple[str, int]] = set()
        keep = []
        for i, key in enumerate(zip(self.clusters, self.labels, strict=True)):
            if key not in seen:
                seen.add(key)
                keep.append(i)
        self.copies_dropped += len(self.texts) - len(keep)
        self.before_dedup = (self.g, self.c, self.y)  # for the near-copy counts of every split
        for name in ("texts", "labels", "groups", "clusters", "docs"):
            values = getattr(self, name)
            setattr(self, name, [values[i] for i in keep])
        return self

    @property
    def y(self) -> np.ndarray:
        return np.asarray(self.labels, dtype=int)

    @property
    def g(self) -> np.ndarray:
        return np.asarray(self.groups)

    @property
    def c(self) -> np.ndarray:
        return np.asarray(self.clusters)


def long_doc(title: str | None, body: str | None) -> tuple[str, str] | None:
    """``(title, body)`` when the text is longer than one window, else None."""
    title, body = (title or "").strip(), (body or "").strip()
    return (title, body) if len(title) + len(body) > MAX_CHARS else None


def _own_key(text: str) -> str:
    return text_key(dedup_tokens(text))


def read_jsonl(path: Path) -> Iterator[dict]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def read_labelled(path: Path) -> Iterator[dict]:
    """Rows of an extra labelled JSONL file (``text`` + 0/1 fields named like the signals, as
    ``pantau labels export`` writes); a row without a string ``text`` is an error naming the line."""
    for number, row in enumerate(read_jsonl(path), start=1):
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise ValueError(f"{path}: row {number} has no 'text' string")
        yield row


def join_title(title: str | None, text: str | None, max_chars: int = MAX_CHARS) -> str:
    """Title + body lead, de-duplicated when the body starts with the title, cut at a word boundary."""
    return lead_and_rest(title, text, max_chars)[0]


def lead_and_rest(title: str | None, text: str | None, max_chars: int = MAX_CHARS) -> tuple[str, str]:
    """The lead window of :func:`join_title` and the part of the body after it (stripped)."""
    title = _VERDICT_TAG.sub("", (title or "").strip())
    text = (text or "").strip()
    prefixed = bool(title) and not text.lower().startswith(title.lower()[:40])
    lead = cut(f"{title}. {text}" if prefixed else text, max_chars)
    used = max(0, len(lead) - len(title) - 2) if prefixed else len(lead)
    return lead, text[used:].lstrip()


def cut(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    head = text[:max_chars]
    space = head.rfind(" ")
    return head[:space] if space > max_chars // 2 else head


def report_sections(text: str) -> dict[str, str]:
    """Split a TurnBackHoax report into its claim part (NARASI/Klaim) and answer part (PENJELASAN/Fakta)."""
    parts: dict[str, str] = {}
    marks = list(_SECTION.finditer(text))
    for i, mark in enumerate(marks):
        kind = _SECTION_KIND.get((mark.group(1) or "").lower())
        if not kind:
            continue
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        body = _TEMPLATE.sub(" ", text[mark.end() : end]).strip(" “”\"'")
        if len(body) > 20 and kind not in parts:
            parts[kind] = body
    return parts


def clarification_body(text: str) -> str:
    """An official clarification without the fact-check site's template headings and links."""
    first = _SECTION.split(text, maxsplit=1)[0]
    body = first if len(first) > 80 else _SECTION.sub(" ", text)
    return _TEMPLATE.sub(" ", body).strip(" “”\"'")


PARTS = ("train", "sealed", "all")
_CLUSTER, _SEALED = "_cluster", "_sealed"  # keys added to every row on load


def _row_variants(row: dict) -> list[str]:
    """The texts of one row that any set may use: the whole row, the window the models read, and a
    report's sections; a copy of any of them is a copy of the row."""
    text = row.get("text") or ""
    whole = f"{row.get('title') or ''} {text}".strip()
    variants = [whole, join_title(row.get("title"), text), cut(text, MAX_CHARS)]
    if "clarification" in row:
        variants.append(cut(clarification_body(text), MAX_CHARS))
        variants.extend(cut(part, MAX_CHARS) for part in report_sections(text).values())
    return list(dict.fromkeys(v for v in variants if v.strip()))


class TrainingData:
    """Loads every file once (from ``data_dir``), clusters near-copies, and builds the per-signal sets.

    ``part``: ``"train"`` (every row outside the sealed share), ``"sealed"`` (the sealed share only) or
    ``"all"``. ``sealed_percent`` is the sealed share of the clusters (0 disables it)."""

    def __init__(
        self,
        data_dir: Path,
        seed: int = 0,
        extra_labels: tuple[Path, ...] = (),
        *,
        part: str = "train",
        sealed_percent: int = SEALED_PERCENT,
    ):
        if part not in PARTS:
            raise ValueError(f"part must be one of {', '.join(PARTS)}, not {part!r}")
        self.data_dir = Path(data_dir)
        self.seed = seed
        self.extra_labels = tuple(Path(p) for p in extra_labels)
        self.part = part
        self.sealed_percent = sealed_percent

    def load(self) -> TrainingData:
        missing = [f for f in FILES.values() if not (self.data_dir / f).exists()]
        if missing:
            raise FileNotFoundError(f"{self.data_dir}: missing training files: {', '.join(missing)}")
        every = {key: list(read_jsonl(self.data_dir / name)) for key, name in FILES.items()}
        extra = [row for path in self.extra_labels for row in read_labelled(path)]
        flat = [row for rows in every.values() for row in rows] + extra
        texts, owners = [], []
        for i, row in enumerate(flat):
            variants = _row_variants(row)
            texts.extend(variants)
            owners.extend([i] * len(variants))
        clusters = near_duplicate_clusters(texts, owners)
        first = {owner: k for k, owner in reversed(list(enumerate(owners)))}
        self.clusters_ = Clusters(
            [clusters.keys[first[i]] for i in range(len(flat))], clusters.exact_pairs, clusters.shingle_pairs
        )
        for row, key in zip(flat, self.clusters_.keys, strict=True):
            row[_CLUSTER] = key
            row[_SEALED] = self.sealed_percent > 0 and is_sealed(key, self.sealed_percent)
        wanted = {"train": False, "sealed": True}.get(self.part)
        self.rows_ = {
            key: [r for r in rows if wanted is None or r[_SEALED] == wanted] for key, rows in every.items()
        }
        # reviewers' verdicts only ever add training rows (see _with_extra)
        self.extra_ = [r for r in extra if not r[_SEALED]] if self.part != "sealed" else []
        self.sealed_rows_ = sum(r[_SEALED] for r in flat)
        return self

    def _rng(self, name: str) -> np.random.Generator:
        """The generator of one set: seeded from (seed, set name, part), independent of other sets."""
        return np.random.default_rng([self.seed, zlib.crc32(f"{name}/{self.part}".encode())])

    def _with_extra(self, out: SignalSet) -> SignalSet:
        """Append the extra labelled rows (e.g. reviewers' verdicts) that carry this set's label, then
        drop near-copies inside the set.

        Their groups (``review:<organisation>`` or the file's own) are never held out by a split, so
        they only ever add training data and the cross-source metrics stay comparable."""
        for row in getattr(self, "extra_", []):
            label = row.get(out.name)
            if label in (0, 1, True, False):
                out.add(
                    [cut(str(row["text"]), MAX_CHARS)],
                    int(label),
                    str(row.get("group") or "extra"),
                    [row[_CLUSTER]],
                )
        return out.drop_copies()

    def files(self) -> dict[str, Path]:
        return {key: self.data_dir / name for key, name in FILES.items()}

    @staticmethod
    def _sample(rows: list, n: int, rng: np.random.Generator) -> list:
        if len(rows) <= n:
            return rows
        idx = np.sort(rng.choice(len(rows), size=n, replace=False))
        return [rows[i] for i in idx]

    def _rows(self, key: str, rng: np.random.Generator, n: int | None = None, where=None) -> list[dict]:
        rows = [r for r in self.rows_[key] if where is None or where(r)]
        return self._sample(rows, n, rng) if n else rows

    def _add_rows(
        self, out: SignalSet, rows: list[dict], label: int | list[int], group: str, text=None
    ) -> None:
        text = text or (lambda r: join_title(r.get("title"), r.get("text")))
        out.add(
            [text(r) for r in rows],
            label,
            group,
            [r[_CLUSTER] for r in rows],
            [long_doc(r.get("title"), r.get("text")) for r in rows],
        )

    def _add_texts(
        self,
        out: SignalSet,
        key: str,
        rng: np.random.Generator,
        n: int | None,
        label: int,
        group: str,
        where=None,
    ) -> None:
        self._add_rows(out, self._rows(key, rng, n, where), label, group)

    def _add_news(
        self, out: SignalSet, key: str, n: int, lengths: np.ndarray, rng: np.random.Generator, group: str
    ) -> None:
        """News negatives cut to lengths drawn from the positives' length distribution."""
        rows = self._rows(key, rng, n)
        cuts = rng.choice(lengths, size=len(rows)) if len(lengths) else np.full(len(rows), MAX_CHARS)
        out.add(
            [
                cut(join_title(r.get("title"), r.get("text")), max(40, int(c)))
                for r, c in zip(rows, cuts, strict=True)
            ],
            0,
            group,
            [r[_CLUSTER] for r in rows],
            [long_doc(r.get("title"), r.get("text")) for r in rows],
        )

    def ordinary_text(self, out: SignalSet, rng: np.random.Generator, per_source: int = 3000) -> None:
        """Ordinary (non-hateful) posts: emotion tweets, positive/neutral reviews, political opinions,
        and Madurese sentences (so Madurese is not mistaken for a signal)."""
        self._add_texts(out, "emot", rng, per_source, 0, "emot2018")
        self._add_texts(out, "smsa", rng, per_source, 0, "smsa", lambda r: r["sentiment"] != "negative")
        self._add_texts(out, "pilpres", rng, None, 0, "pilpres2019")
        calm = {
            "positive",
            "neutral",
            "happy",
            "love",
            "food & beverages",
            "leisures",
            "sports",
            "technology",
            "business",
            "culture & heritage",
            "slice of life",
        }
        self._add_texts(
            out,
            "madurese",
            rng,
            2000,
            0,
            "madurese",
            lambda r: (r.get("sentiment") or r.get("label")) in calm,
        )

    def _ibrohim_fold(self, fold: int) -> list[dict]:
        """The Ibrohim rows of one of 4 hash folds (by the number in their id)."""
        return [r for r in self.rows_["ibrohim"] if int(r["id"].rsplit("-", 1)[-1]) % 4 == fold]

    def ibrohim_set(self, label: str) -> SignalSet:
        """hate_speech / abusive: Ibrohim tweets split into 4 hash folds, plus ordinary text."""
        out, rng = SignalSet(label), self._rng(label)
        for fold in range(4):
            rows = self._ibrohim_fold(fold)
            self._add_rows(
                out,
                rows,
                [int(r[label]) for r in rows],
                f"ibrohim-f{fold}",
                lambda r: cut(r["text"], MAX_CHARS),
            )
        self.ordinary_text(out, rng)
        return self._with_extra(out)

    def _netifier(self, out: SignalSet, label: str) -> None:
        for platform in ("twitter", "instagram", "kaskus"):
            rows = [r for r in self.rows_["netifier"] if r["platform"] == platform]
            self._add_rows(
                out,
                rows,
                [int(r[label]) for r in rows],
                f"netifier-{platform}",
                lambda r: cut(r["text"], MAX_CHARS),
            )

    def sara_set(self) -> SignalSet:
        out, rng = SignalSet("sara"), self._rng("sara")
        for fold in range(4):  # the hash folds of ibrohim_set, so that splits can mix both sources
            rows = self._ibrohim_fold(fold)
            self._add_rows(
                out,
                rows,
                [int(r["sara"]) for r in rows],
                f"ibrohim-f{fold}",
                lambda r: cut(r["text"], MAX_CHARS),
            )
        self._netifier(out, "sara")
        self.ordinary_text(out, rng)
        return self._with_extra(out)

    def radicalism_set(self) -> SignalSet:
        out, rng = SignalSet("radicalism"), self._rng("radicalism")
        self._netifier(out, "radicalism")
        self.ordinary_text(out, rng)
        return self._with_extra(out)

    @staticmethod
    def _claim_year(r: dict) -> str:
        year = int(r["date"][-2:])
        return "claims-2015-17" if year <= 17 else f"claims-20{year}"

    def _add_claims(self, out: SignalSet, rows: list[dict], label: int | None) -> None:
        for group in sorted({self._claim_year(r) for r in rows}):
            part = [r for r in rows if self._claim_year(r) == group]
            self._add_rows(out, part, [int(r["hoax"]) for r in part] if label is None else label, group)

    def _report_parts(self, out: SignalSet, kind: str, label: int, group: str) -> None:
        """The claim or answer section of every hoax report that has one."""
        rows = [r for r in self.rows_["reports"] if not r["clarification"]]
        parts = [(r, report_sections(r["text"]).get(kind)) for r in rows]
        parts = [(r, p) for r, p in parts if p]
        out.add(
            [cut(p, MAX_CHARS) for _, p in parts],
            label,
            group,
            [r[_CLUSTER] for r, _ in parts],
            [long_doc(None, p) for _, p in parts],
        )

    def _clarifications(self, out: SignalSet, label: int) -> None:
        rows = [r for r in self.rows_["reports"] if r["clarification"]]
        bodies = [clarification_body(r["text"]) for r in rows]
        out.add(
            [cut(b, MAX_CHARS) for b in bodies],
            label,
            "tbh-clarifications",
            [r[_CLUSTER] for r in rows],
            [long_doc(None, b) for b in bodies],
        )

    def hoax_set(self) -> SignalSet:
        out, rng = SignalSet("hoax"), self._rng("hoax")
        self._add_claims(out, self.rows_["claims"], None)
        lengths = np.array([len(t) for t, y in zip(out.texts, out.labels, strict=True) if y == 1])
        self._add_news(out, "detik", 909, lengths, rng, "news-detik")
        self._add_news(out, "insei", 1500, lengths, rng, "news-insei")
        self._add_news(out, "narasipal", 1500, lengths, rng, "news-narasipal")
        self._clarifications(out, 0)
        self._report_parts(out, "claim", 1, "tbh-report-claims")
        # ordinary social posts (opinions, criticism, emotions, insults) are not hoax claims either
        self._add_texts(out, "emot", rng, 800, 0, "social-emot")
        self._add_texts(out, "pilpres", rng, 800, 0, "social-pilpres")
        self._add_texts(out, "ibrohim", rng, 800, 0, "social-ibrohim")
        return self._with_extra(out)

    def counter_set(self) -> SignalSet:
        out, rng = SignalSet("counter_narrative"), self._rng("counter_narrative")
        self._clarifications(out, 1)
        self._report_parts(out, "answer", 1, "tbh-report-answers")
        self._report_parts(out, "claim", 0, "tbh-report-answers")
        hoaxes = [r for r in self.rows_["claims"] if r["hoax"] == 1]
        self._add_claims(out, self._sample(hoaxes, 2000, rng), 0)
        self._add_texts(out, "detik", rng, 600, 0, "news-detik")
        self._add_texts(out, "insei", rng, 600, 0, "news-insei")
        self._add_texts(out, "narasipal", rng, 600, 0, "news-narasipal")
        self._add_texts(out, "emot", rng, 800, 0, "emot2018")
        self._add_texts(out, "pilpres", rng, 800, 0, "pilpres2019")
        return self._with_extra(out)

    def language_set(self) -> SignalSet:
        """Madurese vs Indonesian; groups are the corpora so that evaluation crosses them."""
        out, rng = SignalSet("language"), self._rng("language")
        mad = self.rows_["madurese"]

        def short(r: dict) -> str:
            return cut(r["text"], 300)

        for source, n, group in (("nusax", 600, "nusax-mad"), ("nusawrites", 3000, "nusawrites-mad")):
            rows = self._sample([r for r in mad if r["lang"] == "mad" and r["source"] == source], n, rng)
            self._add_rows(out, rows, 1, group, short)
        self._add_rows(out, [r for r in mad if r["lang"] == "id"], 0, "nusax-ind", short)
        self._add_texts(out, "smsa", rng, 1200, 0, "smsa")
        self._add_texts(out, "ibrohim", rng, 1200, 0, "ibrohim")
        self._add_texts(out, "emot", rng, 600, 0, "emot2018")
        self._add_texts(out, "detik", rng, 300, 0, "news-detik")
        return self._with_extra(out)

    def signal_sets(self) -> dict[str, SignalSet]:
        """Every set of a text model, by model name (the radicalism model feeds violence_threat)."""
        return {
            "hate_speech": self.ibrohim_set("hate_speech"),
            "abusive": self.ibrohim_set("abusive"),
            "sara": self.sara_set(),
            "radicalism": self.radicalism_set(),
            "hoax": self.hoax_set(),
            "counter_narrative": self.counter_set(),
        }
