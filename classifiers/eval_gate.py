"""The evaluation gate: the shipped model scored on the sealed set, against its committed figures.

The sealed set (:mod:`classifiers.sealed`) is a fixed hash share of the training files that neither
the shipped model nor its thresholds were chosen on. The gate scores the model on it at the model's
stored thresholds and fails when a gated signal's F1, recall or ROC AUC falls more than
:data:`TOLERANCE` below ``classifiers/models/eval_baseline.json`` (or disappears). Because the set is
held out, the gate sees overfitting too: a head retrained without regularisation or on a small slice
drops here although it would look perfect on its own training rows (``tests/classifiers/
test_eval_gate.py`` degrades copies of the model and checks that the gate rejects each).

Training writes the baseline (:func:`write_gate_baseline`); ``python -m classifiers.eval_gate DATA_DIR``
checks the bundled model, ``--write`` records a new baseline after a deliberate change.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from classifiers.artifacts import DEFAULT_MODEL_DIR

# Allowed drop per gated metric (absolute). A design choice: about the noise of one retrain with
# another seed on sets of this size, and well below the damage the degraded-copy tests cause.
TOLERANCE = 0.02
GATED = ("f1", "recall", "roc_auc")
RECORDED = (
    "n",
    "positives",
    "threshold",
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "pr_auc",
    "ece",
    "flagged_share",
)
BASELINE_FILE = "eval_baseline.json"


def gate_metrics(model: Any, data_dir: Path, seed: int = 0) -> dict[str, dict[str, Any]]:
    """The model's metrics per gated signal on the sealed set of ``data_dir``."""
    from classifiers.sealed import score_sealed, sealed_sets

    return score_sealed(model, sealed_sets(data_dir, seed))


def compare(
    current: Mapping[str, Mapping[str, Any]],
    baseline: Mapping[str, Mapping[str, Any]],
    tolerance: float = TOLERANCE,
    gated: tuple[str, ...] = GATED,
) -> list[str]:
    """Every gated metric that fell more than ``tolerance`` below its baseline (or disappeared)."""
    drops = []
    for signal, pinned in baseline.items():
        for name in gated:
            value = pinned.get(name)
            if value is None:
                continue
            now = current.get(signal, {}).get(name)
            if now is None or now < value - tolerance:
                drops.append(f"{signal} {name}: {now} < baseline {value} - {tolerance}")
    return drops


def write_gate_baseline(model_dir: Path, model_version: str, sealed: Mapping[str, Mapping[str, Any]]) -> Path:
    """Record ``sealed`` (the model's metrics on the sealed set) as the gate's baseline."""
    path = Path(model_dir) / BASELINE_FILE
    body = {
        "model_version": model_version,
        "tolerance": TOLERANCE,
        "gated": list(GATED),
        "sealed": {s: {k: m.get(k) for k in RECORDED} for s, m in sealed.items()},
    }
    path.write_text(json.dumps(body, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def load_baseline(model_dir: Path = DEFAULT_MODEL_DIR) -> dict[str, Any]:
    return json.loads((Path(model_dir) / BASELINE_FILE).read_text(encoding="utf-8"))


def check(model_dir: Path, data_dir: Path, baseline_dir: Path = DEFAULT_MODEL_DIR) -> list[str]:
    """The gate's verdict on the model in ``model_dir`` against the baseline in ``baseline_dir``."""
    from classifiers.pipeline import load_classifier

    baseline = load_baseline(baseline_dir)
    return compare(
        gate_metrics(load_classifier(model_dir), data_dir),
        baseline["sealed"],
        baseline.get("tolerance", TOLERANCE),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check (or --write) the sealed-set gate.")
    parser.add_argument("data_dir", type=Path, help="the training files, e.g. ../shared/data/train")
    parser.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--write", action="store_true", help="record the current metrics as baseline")
    args = parser.parse_args(argv)
    if args.write:
        from classifiers.pipeline import load_classifier

        model = load_classifier(args.model_dir)
        path = write_gate_baseline(args.model_dir, model.version_, gate_metrics(model, args.data_dir))
        print(f"wrote {path}")
        return 0
    drops = check(args.model_dir, args.data_dir, args.model_dir)
    print("\n".join(drops) or "gate passed")
    return 1 if drops else 0


if __name__ == "__main__":
    raise SystemExit(main())
