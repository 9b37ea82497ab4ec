"""``pantau eval --data FILE.jsonl``: precision, recall, F1, ROC and PR AUC, calibration per signal.

Streams a labelled JSONL file in batches (only the per-line label, probability and group are kept),
scores it with the classifier's stored thresholds, and prints one rich table (plus one per group
with ``--by source|date``); ``--report`` saves everything as JSON. The metrics themselves live in
:mod:`classifiers.metrics`, gathered per signal and group by :mod:`classifiers.eval_report`. Unusable
input stops with a one-line message and exit code 2.
"""

from __future__ import annotations

import json
import re
import sys
from array import array
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pantau.cli.classify import DEFAULT_BATCH, read_jsonl
from pantau.cli.common import handle_errors
from pantau.domain.errors import UnusableInputError
from pantau.domain.signals import SIGNALS

UNKNOWN = "unknown"
TRUE_VALUES = {True, "1", "true", "True", "TRUE"}  # True == 1 == 1.0 in a set
FALSE_VALUES = {False, "0", "false", "False", "FALSE"}
YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")


class GroupBy(StrEnum):
    """What ``--by`` groups lines by."""

    source = "source"
    date = "date"


def parse_label(value: Any, signal: str, line: int) -> int | None:
    """0/1 from 0/1, true/false (or their strings); None when absent (null); else an error."""
    if value is None:
        return None
    if not isinstance(value, (dict, list)):
        if value in TRUE_VALUES:
            return 1
        if value in FALSE_VALUES:
            return 0
    raise UnusableInputError(f"label {signal!r} must be 0/1 or true/false, got {value!r}", line=line)


def group_of(obj: dict[str, Any], by: GroupBy) -> str:
    """``source`` (else the URL's host, else "unknown") or the year of ``date``/``published_at``."""
    if by is GroupBy.source:
        source = obj.get("source")
        if isinstance(source, str) and source.strip():
            return source.strip()
        url = obj.get("url")
        if isinstance(url, str) and url.strip():
            host = (urlsplit(url.strip()).hostname or "").removeprefix("www.")
            if host:
                return host
        return UNKNOWN
    for key in ("date", "published_at"):
        value = obj.get(key)
        match = YEAR.search(value) if isinstance(value, str) else None
        if match:
            return match.group(1)
    return UNKNOWN


class _Collector:
    """Per-signal arrays of (label, probability, group index): all the memory the run keeps."""

    def __init__(self, by: GroupBy | None):
        self.by = by
        self.labels = {s: array("b") for s in SIGNALS}
        self.probs = {s: array("d") for s in SIGNALS}
        self.group_ids = {s: array("i") for s in SIGNALS}
        self.group_names: dict[str, int] = {}
        self.lines = 0
        self.scored = 0

    def add(self, batch: list[tuple[dict[str, Any], dict[str, int], str]], model: Any) -> None:
        if not batch:
            return
        results = model.score([obj for obj, _, _ in batch])
        for (_, labels, group), result in zip(batch, results, strict=True):
            gid = self.group_names.setdefault(group, len(self.group_names))
            for signal, y in labels.items():
                self.labels[signal].append(y)
                self.probs[signal].append(float(result.scores[signal]))
                self.group_ids[signal].append(gid)
        self.scored += len(batch)
        batch.clear()

    def groups(self) -> dict[str, list[str]] | None:
        if self.by is None:
            return None
        names = {i: g for g, i in self.group_names.items()}
        return {s: [names[i] for i in self.group_ids[s]] for s in SIGNALS}


def collect(path: Path, model: Any, *, by: GroupBy | None, batch_size: int) -> _Collector:
    """Stream ``path``; score the lines carrying at least one label, in batches."""
    out = _Collector(by)
    batch: list[tuple[dict[str, Any], dict[str, int], str]] = []
    with path.open("rb") as stream:
        for number, obj in read_jsonl(stream):
            out.lines += 1
            labels = {s: y for s in SIGNALS if (y := parse_label(obj.get(s), s, number)) is not None}
            if not labels:
                continue
            record = {k: obj[k] for k in ("text", "title", "url") if k in obj}
            batch.append((record, labels, group_of(obj, by) if by else ""))
            if len(batch) >= batch_size:
                out.add(batch, model)
    out.add(batch, model)
    return out


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def _table(title: str, metrics: dict[str, Any]) -> Table:
    table = Table(title=escape(title), title_justify="left", show_lines=False)
    for name in (
        "signal",
        "thr",
        "n",
        "pos",
        "prec",
        "rec",
        "F1",
        "AUC",
        "PR AUC",
        "ECE",
        "flagged",
        "TP",
        "FP",
        "FN",
        "TN",
    ):
        table.add_column(name, justify="left" if name == "signal" else "right", no_wrap=True)
    for signal, m in metrics.items():
        table.add_row(
            signal,
            f"{m.threshold:.2f}",
            str(m.n),
            str(m.positives),
            _fmt(m.precision),
            _fmt(m.recall),
            _fmt(m.f1),
            _fmt(m.roc_auc),
            _fmt(m.pr_auc),
            _fmt(m.ece),
            f"{m.flagged_share:.1%}",
            str(m.tp),
            str(m.fp),
            str(m.fn),
            str(m.tn),
        )
    return table


@handle_errors
def evaluate(
    data: Path = typer.Option(
        ...,
        "--data",
        metavar="FILE.jsonl",
        help="Labelled JSONL: 'text' plus 0/1 fields named like the signals.",
    ),
    by: GroupBy | None = typer.Option(None, "--by", help="Also report per source or per year."),
    model_dir: Path | None = typer.Option(None, "--model-dir", help="Model artifacts (default: bundled)."),
    report: Path | None = typer.Option(
        None, "--report", metavar="OUT.json", help="Also write every metric as JSON here."
    ),
    batch_size: int = typer.Option(DEFAULT_BATCH, "--batch-size", min=1, max=10_000),
) -> None:
    """Measure the classifier on labelled data: precision, recall, F1, ROC/PR AUC, calibration per signal."""
    from classifiers import load_classifier
    from classifiers.eval_report import evaluate_signals

    if not data.is_file():
        raise UnusableInputError(f"{data}: no such file")
    model = load_classifier(model_dir)
    run = collect(data, model, by=by, batch_size=batch_size)
    if not any(run.labels[s] for s in SIGNALS):
        raise UnusableInputError(f"{data}: no label field on any line (expected one of {', '.join(SIGNALS)})")
    result = evaluate_signals(
        run.labels,
        run.probs,
        model.thresholds_,
        model_version=model.version_,
        groups=run.groups(),
        by=by.value if by else None,
        signals=SIGNALS,
    )
    result.extra = {"data": str(data), "lines": run.lines, "labelled_lines": run.scored}

    console = Console(highlight=False, width=None if sys.stdout.isatty() else 132)
    console.print(f"model {model.version_} · {data} · {run.lines} lines, {run.scored} labelled", markup=False)
    if result.skipped:
        console.print(f"no labels for: {', '.join(result.skipped)} (skipped)", markup=False)
    console.print(_table("all lines", result.overall))
    for group, metrics in result.groups.items():
        console.print(_table(f"{by.value if by else ''} = {group}", metrics))
    if report is not None:
        try:
            report.write_text(
                json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
        except OSError as exc:
            raise UnusableInputError(f"{report}: cannot write report ({exc.strerror})") from None
        console.print(f"report written to {report}", markup=False)
