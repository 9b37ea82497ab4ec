"""The sealed evaluation set: a fixed share of the training files that no model is trained or tuned on.

About :data:`~classifiers.dedup.SEALED_PERCENT` % of the near-duplicate clusters of every file are
sealed by a hash of the cluster key (:func:`classifiers.dedup.is_sealed`), so a near-copy of a sealed
text is sealed too. Training (``part="train"``) never sees these rows, neither for fitting nor for
calibration or thresholds; the gate (:mod:`classifiers.eval_gate`) scores the shipped model on them.

The per-signal sets are built by the same code as the training sets (:class:`TrainingData` with
``part="sealed"``). ``python -m classifiers.sealed DATA_DIR -o sealed.jsonl`` writes them as labelled
JSONL for ``pantau eval --data sealed.jsonl``, which then prints the gate's numbers. The file holds
texts of the shared data: write it outside the repository and never commit it.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from classifiers.datasets import SignalSet, TrainingData

GATED_SIGNALS = ("hate_speech", "abusive", "sara", "hoax", "counter_narrative")


def sealed_sets(data_dir: Path, seed: int = 0) -> dict[str, SignalSet]:
    """The sealed rows of every gated signal's set."""
    sets = TrainingData(Path(data_dir), seed=seed, part="sealed").load().signal_sets()
    return {s: sets[s] for s in GATED_SIGNALS}


def sealed_records(sets: dict[str, SignalSet]) -> list[dict[str, Any]]:
    """One labelled line per text: ``text``, ``source`` (the first group it came from) and one 0/1 field
    per signal whose set holds it. A text labelled both ways in one set stays two lines."""
    lines: list[dict[str, Any]] = []
    where: dict[str, list[int]] = {}
    for signal, signal_set in sets.items():
        for text, label, group in zip(signal_set.texts, signal_set.labels, signal_set.groups, strict=True):
            if not text.strip():
                continue
            for i in where.get(text, []):
                if signal not in lines[i]:
                    lines[i][signal] = int(label)
                    break
            else:
                where.setdefault(text, []).append(len(lines))
                lines.append({"text": text, "source": group, signal: int(label)})
    return lines


def score_sealed(
    model: Any, sets: dict[str, SignalSet], signals: Sequence[str] = GATED_SIGNALS, batch_size: int = 512
) -> dict[str, dict]:
    """Metrics of ``model`` per signal on the sealed lines, at the model's stored thresholds: the same
    computation as ``pantau eval`` on the exported file (:func:`classifiers.eval_report.evaluate_signals`)."""
    from classifiers.eval_report import evaluate_signals

    lines = sealed_records(sets)
    labels: dict[str, list[int]] = {s: [] for s in signals}
    probs: dict[str, list[float]] = {s: [] for s in signals}
    for start in range(0, len(lines), batch_size):
        batch = lines[start : start + batch_size]
        for line, result in zip(batch, model.score([{"text": x["text"]} for x in batch]), strict=True):
            for s in signals:
                if s in line:
                    labels[s].append(line[s])
                    probs[s].append(float(result.scores[s]))
    report = evaluate_signals(
        labels,
        probs,
        {s: model.thresholds_[s] for s in signals},
        model_version=model.version_,
        signals=signals,
    )
    return {s: m.to_dict() for s, m in report.overall.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the sealed evaluation set as labelled JSONL.")
    parser.add_argument("data_dir", type=Path, help="the training files, e.g. ../shared/data/train")
    parser.add_argument("-o", "--out", type=Path, required=True, help="output JSONL (do not commit it)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    lines = sealed_records(sealed_sets(args.data_dir, args.seed))
    with args.out.open("w", encoding="utf-8") as out:
        for line in lines:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(f"wrote {len(lines)} sealed lines to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
