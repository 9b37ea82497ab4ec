"""The evaluation gate: the quality the shipped model reached, pinned so it cannot quietly get worse.

Two checks against ``classifiers/models/eval_baseline.json`` (tolerance :data:`TOLERANCE`):

* **cross-source**: the pooled held-out metrics that training wrote to ``metrics.json`` (per signal
  precision, recall, F1, ROC AUC on the leave-one-source-out and forward-in-time splits) must not
  fall below the baseline. A retrained model that is worse out of source fails here.
* **scoring**: the shipped model scored on a fixed sample of the training files (every 10th line, at
  most 400 per file) must reproduce its baseline metrics. A code change that alters scores without
  retraining (normalisation, rules, combination) fails here. These are in-sample numbers, not a
  held-out measure.

``python -m classifiers.eval_gate DATA_DIR --write`` records a new baseline (after a deliberate change).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from classifiers.artifacts import DEFAULT_MODEL_DIR
from classifiers.eval_report import signal_metrics

TOLERANCE = 0.02
GATED = ("precision", "recall", "f1", "roc_auc")
BASELINE_FILE = "eval_baseline.json"
EVERY, MAX_PER_FILE = 10, 400

# signal -> (file, label field, fixed label or None) of the scoring sample
SAMPLES: dict[str, list[tuple[str, str, int | None]]] = {
    "hate_speech": [("ibrohim2019_hatespeech_train.jsonl", "hate_speech", None),
                    ("pilpres2019_sentiment.jsonl", "", 0)],
    "abusive": [("ibrohim2019_hatespeech_train.jsonl", "abusive", None)],
    "sara": [("ibrohim2019_hatespeech_train.jsonl", "sara", None), ("netifier_train.jsonl", "sara", None)],
    "hoax": [("turnbackhoax_claims_2015_2020_train.jsonl", "hoax", None),
             ("negatives_detik2025.jsonl", "", 0), ("negatives_narasipal_headlines.jsonl", "", 0),
             ("negatives_insei_econ_news.jsonl", "", 0)],
    "counter_narrative": [("turnbackhoax_reports_vs_clarifications_train.jsonl", "clarification", None)],
}


def _sample(path: Path, field: str, fixed: int | None) -> Iterator[tuple[dict[str, Any], int]]:
    taken = 0
    with path.open(encoding="utf-8") as fh:
        for index, line in enumerate(fh):
            if index % EVERY or taken >= MAX_PER_FILE:
                continue
            row = json.loads(line)
            label = fixed if fixed is not None else row.get(field)
            if label is None:
                continue
            taken += 1
            yield {"text": row.get("text") or "", "title": row.get("title")}, int(label)


def scoring_metrics(model: Any, data_dir: Path) -> dict[str, dict[str, float | None]]:
    """Metrics of ``model`` on the fixed sample of ``data_dir``, per gated signal."""
    out = {}
    for signal, files in SAMPLES.items():
        records, labels = [], []
        for name, field, fixed in files:
            for record, label in _sample(data_dir / name, field, fixed):
                records.append(record)
                labels.append(label)
        probs = [r.scores[signal] for r in model.score(records)]
        m = signal_metrics(signal, labels, probs, model.thresholds_[signal]).to_dict()
        out[signal] = {k: m[k] for k in GATED}
    return out


def cross_source_metrics(model_dir: Path = DEFAULT_MODEL_DIR) -> dict[str, dict[str, float | None]]:
    """The pooled held-out metrics per signal that training recorded in ``metrics.json``."""
    metrics = json.loads((model_dir / "metrics.json").read_text(encoding="utf-8"))
    return {s: {k: r["pooled"].get(k) for k in GATED}
            for s, r in metrics["signals"].items() if "pooled" in r}


def compare(current: Mapping[str, Mapping[str, float | None]],
            baseline: Mapping[str, Mapping[str, float | None]], tolerance: float = TOLERANCE) -> list[str]:
    """Every metric that fell more than ``tolerance`` below its baseline (or disappeared)."""
    drops = []
    for signal, pinned in baseline.items():
        for name, value in pinned.items():
            if value is None:
                continue
            now = current.get(signal, {}).get(name)
            if now is None or now < value - tolerance:
                drops.append(f"{signal} {name}: {now} < baseline {value} - {tolerance}")
    return drops


def load_baseline(model_dir: Path = DEFAULT_MODEL_DIR) -> dict[str, Any]:
    return json.loads((model_dir / BASELINE_FILE).read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check (or --write) the evaluation baseline.")
    parser.add_argument("data_dir", type=Path, help="the training files, e.g. ../shared/data/train")
    parser.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--write", action="store_true", help="record the current metrics as baseline")
    args = parser.parse_args(argv)
    from classifiers.pipeline import load_classifier

    model = load_classifier(args.model_dir)
    current = {"model_version": model.version_, "tolerance": TOLERANCE,
               "cross_source": cross_source_metrics(args.model_dir),
               "scoring": scoring_metrics(model, args.data_dir)}
    if args.write:
        (args.model_dir / BASELINE_FILE).write_text(json.dumps(current, indent=1, sort_keys=True) + "\n",
                                                    encoding="utf-8")
        print(f"wrote {args.model_dir / BASELINE_FILE}")
        return 0
    baseline = load_baseline(args.model_dir)
    drops = (compare(current["cross_source"], baseline["cross_source"])
             + compare(current["scoring"], baseline["scoring"]))
    print("\n".join(drops) or "gate passed")
    return 1 if drops else 0


if __name__ == "__main__":
    raise SystemExit(main())
