"""Reading the training JSONL files and assembling one labelled, grouped set per signal.

Every example carries a ``group`` (its source, platform, outlet or period) so that evaluation can hold
out whole groups (see :mod:`classifiers.evaluation`). Texts are cut to a title + lead window here, and
news negatives are cut to lengths drawn from the positives so that length is not a shortcut.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

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
_SECTION = re.compile(r"=*\s*\(?\b(NARASI|PENJELASAN|Penjelasan|FAKTA|Fakta|KESIMPULAN|SUMBER|REFERENSI|"
                      r"KATEGORI|CATATAN|Klaim|KLAIM|Narasi)\b\)?\s*[:=]+\s*=*|={3,}")
_TEMPLATE = re.compile(r"\bDebunk ini berisi\b|https?://\S+", re.I)
_SECTION_KIND = {"narasi": "claim", "klaim": "claim", "penjelasan": "answer", "fakta": "answer",
                 "kesimpulan": "answer"}


@dataclass
class SignalSet:
    """Texts, binary labels and group names for one signal (parallel lists)."""

    name: str
    texts: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)

    def add(self, texts: list[str], label: int | list[int], group: str) -> None:
        labels = label if isinstance(label, list) else [label] * len(texts)
        self.texts.extend(texts)
        self.labels.extend(labels)
        self.groups.extend([group] * len(texts))

    @property
    def y(self) -> np.ndarray:
        return np.asarray(self.labels, dtype=int)

    @property
    def g(self) -> np.ndarray:
        return np.asarray(self.groups)


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
    title = _VERDICT_TAG.sub("", (title or "").strip())
    text = (text or "").strip()
    joined = text if not title or text.lower().startswith(title.lower()[:40]) else f"{title}. {text}"
    return cut(joined, max_chars)


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
        body = _TEMPLATE.sub(" ", text[mark.end():end]).strip(" “”\"'")
        if len(body) > 20 and kind not in parts:
            parts[kind] = body
    return parts


def clarification_body(text: str) -> str:
    """An official clarification without the fact-check site's template headings and links."""
    first = _SECTION.split(text, maxsplit=1)[0]
    body = first if len(first) > 80 else _SECTION.sub(" ", text)
    return _TEMPLATE.sub(" ", body).strip(" “”\"'")


class TrainingData:
    """Loads every file once (from ``data_dir``) and builds the per-signal sets."""

    def __init__(self, data_dir: Path, seed: int = 0, extra_labels: tuple[Path, ...] = ()):
        self.data_dir = Path(data_dir)
        self.seed = seed
        self.extra_labels = tuple(Path(p) for p in extra_labels)

    def load(self) -> TrainingData:
        missing = [f for f in FILES.values() if not (self.data_dir / f).exists()]
        if missing:
            raise FileNotFoundError(f"{self.data_dir}: missing training files: {', '.join(missing)}")
        self.rows_ = {key: list(read_jsonl(self.data_dir / name)) for key, name in FILES.items()}
        self.extra_ = [row for path in self.extra_labels for row in read_labelled(path)]
        self.rng_ = np.random.default_rng(self.seed)
        return self

    def _with_extra(self, out: SignalSet) -> SignalSet:
        """Append the extra labelled rows (e.g. reviewers' verdicts) that carry this set's label.

        Their groups (``review:<organisation>`` or the file's own) are never held out by a split, so
        they only ever add training data and the cross-source metrics stay comparable."""
        for row in getattr(self, "extra_", []):
            label = row.get(out.name)
            if label in (0, 1, True, False):
                out.add([cut(str(row["text"]), MAX_CHARS)], int(label), str(row.get("group") or "extra"))
        return out

    def files(self) -> dict[str, Path]:
        return {key: self.data_dir / name for key, name in FILES.items()}

    def _sample(self, rows: list, n: int) -> list:
        if len(rows) <= n:
            return rows
        idx = np.sort(self.rng_.choice(len(rows), size=n, replace=False))
        return [rows[i] for i in idx]

    def _texts(self, key: str, n: int | None = None, where=None) -> list[str]:
        rows = [r for r in self.rows_[key] if where is None or where(r)]
        rows = self._sample(rows, n) if n else rows
        return [join_title(r.get("title"), r.get("text")) for r in rows]

    def _news(self, key: str, n: int, lengths: np.ndarray) -> list[str]:
        """News negatives cut to lengths drawn from the positives' length distribution."""
        texts = self._texts(key, n)
        cuts = self.rng_.choice(lengths, size=len(texts))
        return [cut(t, max(40, int(c))) for t, c in zip(texts, cuts, strict=False)]

    def ordinary_text(self, out: SignalSet, per_source: int = 3000) -> None:
        """Ordinary (non-hateful) posts: emotion tweets, positive/neutral reviews, political opinions,
        and Madurese sentences (so Madurese is not mistaken for a signal)."""
        out.add(self._texts("emot", per_source), 0, "emot2018")
        out.add(self._texts("smsa", per_source, lambda r: r["sentiment"] != "negative"), 0, "smsa")
        out.add(self._texts("pilpres"), 0, "pilpres2019")
        calm = {"positive", "neutral", "happy", "love", "food & beverages", "leisures", "sports",
                "technology", "business", "culture & heritage", "slice of life"}
        out.add(self._texts("madurese", 2000, lambda r: (r.get("sentiment") or r.get("label")) in calm),
                0, "madurese")

    def ibrohim_set(self, label: str) -> SignalSet:
        """hate_speech / abusive: Ibrohim tweets split into 4 hash folds, plus ordinary text."""
        out = SignalSet(label)
        for r in self.rows_["ibrohim"]:
            fold = int(r["id"].rsplit("-", 1)[-1]) % 4
            out.add([cut(r["text"], MAX_CHARS)], int(r[label]), f"ibrohim-f{fold}")
        self.ordinary_text(out)
        return self._with_extra(out)

    def sara_set(self) -> SignalSet:
        out = SignalSet("sara")
        out.add([cut(r["text"], MAX_CHARS) for r in self.rows_["ibrohim"]],
                [int(r["sara"]) for r in self.rows_["ibrohim"]], "ibrohim")
        for platform in ("twitter", "instagram", "kaskus"):
            rows = [r for r in self.rows_["netifier"] if r["platform"] == platform]
            out.add([cut(r["text"], MAX_CHARS) for r in rows], [int(r["sara"]) for r in rows],
                    f"netifier-{platform}")
        self.ordinary_text(out)
        return self._with_extra(out)

    def radicalism_set(self) -> SignalSet:
        out = SignalSet("radicalism")
        for platform in ("twitter", "instagram", "kaskus"):
            rows = [r for r in self.rows_["netifier"] if r["platform"] == platform]
            out.add([cut(r["text"], MAX_CHARS) for r in rows], [int(r["radicalism"]) for r in rows],
                    f"netifier-{platform}")
        self.ordinary_text(out)
        return self._with_extra(out)

    def _claim_year(self, r: dict) -> str:
        year = int(r["date"][-2:])
        return "claims-2015-17" if year <= 17 else f"claims-20{year}"

    def hoax_set(self) -> SignalSet:
        out = SignalSet("hoax")
        for r in self.rows_["claims"]:
            out.add([join_title(r["title"], r["text"])], int(r["hoax"]), self._claim_year(r))
        lengths = np.array([len(t) for t, y in zip(out.texts, out.labels, strict=False) if y == 1])
        out.add(self._news("detik", 909, lengths), 0, "news-detik")
        out.add(self._news("insei", 1500, lengths), 0, "news-insei")
        out.add(self._news("narasipal", 1500, lengths), 0, "news-narasipal")
        reports = self.rows_["reports"]
        out.add([cut(clarification_body(r["text"]), MAX_CHARS) for r in reports if r["clarification"]],
                0, "tbh-clarifications")
        claims = [report_sections(r["text"]).get("claim") for r in reports if not r["clarification"]]
        out.add([cut(c, MAX_CHARS) for c in claims if c], 1, "tbh-report-claims")
        # ordinary social posts (opinions, criticism, emotions, insults) are not hoax claims either
        out.add(self._texts("emot", 800), 0, "social-emot")
        out.add(self._texts("pilpres", 800), 0, "social-pilpres")
        out.add(self._texts("ibrohim", 800), 0, "social-ibrohim")
        return self._with_extra(out)

    def counter_set(self) -> SignalSet:
        out = SignalSet("counter_narrative")
        reports = self.rows_["reports"]
        out.add([cut(clarification_body(r["text"]), MAX_CHARS) for r in reports if r["clarification"]],
                1, "tbh-clarifications")
        sections = [report_sections(r["text"]) for r in reports if not r["clarification"]]
        out.add([cut(s["answer"], MAX_CHARS) for s in sections if "answer" in s], 1, "tbh-report-answers")
        out.add([cut(s["claim"], MAX_CHARS) for s in sections if "claim" in s], 0, "tbh-report-answers")
        hoaxes = [r for r in self.rows_["claims"] if r["hoax"] == 1]
        for r in self._sample(hoaxes, 2000):
            out.add([join_title(r["title"], r["text"])], 0, self._claim_year(r))
        out.add(self._texts("detik", 600), 0, "news-detik")
        out.add(self._texts("insei", 600), 0, "news-insei")
        out.add(self._texts("narasipal", 600), 0, "news-narasipal")
        out.add(self._texts("emot", 800), 0, "emot2018")
        out.add(self._texts("pilpres", 800), 0, "pilpres2019")
        return self._with_extra(out)

    def language_set(self) -> SignalSet:
        """Madurese vs Indonesian; groups are the corpora so that evaluation crosses them."""
        out = SignalSet("language")
        mad = self.rows_["madurese"]
        out.add([cut(r["text"], 300) for r in self._sample([r for r in mad if r["lang"] == "mad" and
                                                            r["source"] == "nusax"], 600)], 1, "nusax-mad")
        out.add([cut(r["text"], 300) for r in self._sample([r for r in mad if r["lang"] == "mad" and
                                                            r["source"] == "nusawrites"], 3000)], 1,
                "nusawrites-mad")
        out.add([cut(r["text"], 300) for r in mad if r["lang"] == "id"], 0, "nusax-ind")
        out.add(self._texts("smsa", 1200), 0, "smsa")
        out.add(self._texts("ibrohim", 1200), 0, "ibrohim")
        out.add(self._texts("emot", 600), 0, "emot2018")
        out.add(self._texts("detik", 300), 0, "news-detik")
        return self._with_extra(out)
