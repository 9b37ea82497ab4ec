"""The sealed-set gate (classifiers/eval_gate.py): it passes the shipped model and rejects degraded copies.

Each degraded copy is made here from the bundled model: every threshold raised to 0.99, one signal's
weights zeroed, and one head overfitted (refitted without regularisation on a small slice of the
training side). The gate must name the damaged signal each time; if the gate stopped looking at the
sealed set (or at that metric), these tests fail.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from classifiers import load_classifier
from classifiers.artifacts import DEFAULT_MODEL_DIR, load_skops, save_skops
from classifiers.eval_gate import GATED, TOLERANCE, check, compare, gate_metrics, load_baseline
from classifiers.sealed import GATED_SIGNALS, sealed_records, sealed_sets

ROOT = Path(__file__).resolve().parents[2]
SHARED_TRAIN = Path(os.environ.get("PANTAU_SHARED_TRAIN", ROOT.parent / "shared" / "data" / "train"))
needs_data = pytest.mark.skipif(
    not SHARED_TRAIN.is_dir(), reason=f"training data not found at {SHARED_TRAIN}"
)


@pytest.fixture(scope="module")
def sealed():
    return sealed_sets(SHARED_TRAIN)


@pytest.fixture(scope="module")
def train_sets():
    """The training part's sets, built once for the module (loading clusters every row: ~15 s)."""
    from classifiers.datasets import TrainingData

    return TrainingData(SHARED_TRAIN, part="train").load().signal_sets()


@pytest.fixture(scope="module")
def shipped_metrics():
    return gate_metrics(load_classifier(), SHARED_TRAIN)


def _copy_model(tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, target)
    return target


def _gate(model_dir: Path) -> list[str]:
    return check(model_dir, SHARED_TRAIN, DEFAULT_MODEL_DIR)


def test_compare_flags_drops_beyond_the_tolerance_and_missing_signals():
    baseline = {"hoax": {"f1": 0.60, "recall": 0.70, "roc_auc": 0.80}, "sara": {"f1": 0.47}}
    within = {"hoax": {"f1": 0.59, "recall": 0.69, "roc_auc": 0.79}, "sara": {"f1": 0.46}}
    assert compare(within, baseline) == []
    drops = compare({"hoax": {"f1": 0.50, "recall": 0.70, "roc_auc": 0.80}}, baseline)
    assert drops == [
        f"hoax f1: 0.5 < baseline 0.6 - {TOLERANCE}",
        f"sara f1: None < baseline 0.47 - {TOLERANCE}",
    ]


def test_the_baseline_file_pins_every_gated_signal_and_metric():
    baseline = load_baseline()
    assert baseline["model_version"] == load_classifier().version_, "retrained? rerun the gate --write"
    assert set(baseline["sealed"]) == set(GATED_SIGNALS)
    for signal, pinned in baseline["sealed"].items():
        assert all(pinned[m] is not None for m in GATED), signal
        assert pinned["n"] > 100 and pinned["positives"] > 20, signal


@needs_data
def test_the_sealed_set_is_disjoint_from_the_training_side(sealed, train_sets):
    train = train_sets
    for signal in GATED_SIGNALS:
        assert not set(sealed[signal].clusters) & set(train[signal].clusters), signal
        assert not set(sealed[signal].texts) & set(train[signal].texts), signal


@needs_data
def test_the_shipped_model_passes_its_gate(shipped_metrics):
    baseline = load_baseline()
    assert compare(shipped_metrics, baseline["sealed"]) == []
    for signal in GATED_SIGNALS:  # the committed figures are exactly what the gate measures now
        for name in GATED:
            assert shipped_metrics[signal][name] == pytest.approx(baseline["sealed"][signal][name], abs=1e-4)


@needs_data
def test_the_gate_rejects_thresholds_raised_to_099(tmp_path):
    model_dir = _copy_model(tmp_path)
    manifest = json.loads((model_dir / "manifest.json").read_text())
    manifest["thresholds"] = {s: 0.99 for s in manifest["thresholds"]}
    (model_dir / "manifest.json").write_text(json.dumps(manifest))
    drops = _gate(model_dir)
    assert {d.split()[0] for d in drops if " recall:" in d} == set(GATED_SIGNALS)


@needs_data
def test_the_gate_rejects_a_signal_with_zeroed_weights(tmp_path):
    model_dir = _copy_model(tmp_path)
    models = load_skops(model_dir / "signals.skops")
    models["sara"].coef_ = np.zeros_like(models["sara"].coef_)
    save_skops(models, model_dir / "signals.skops")
    drops = _gate(model_dir)
    assert any(d.startswith("sara roc_auc") for d in drops), drops
    assert all(d.startswith("sara ") for d in drops), drops


@needs_data
@pytest.mark.parametrize("how", ["no regularisation", "small slice"])
def test_the_gate_rejects_an_overfitted_head(tmp_path, how, train_sets):
    """A head refitted on 400 training-side rows (or on all of them with C=1e6) looks perfect on its own
    rows but falls on the sealed set; the gate must see it."""
    from sklearn.linear_model import LogisticRegression

    from classifiers.metrics import signal_metrics
    from classifiers.normalise import apply_slang, basic_normalise

    model = load_classifier()
    data = train_sets["hate_speech"]
    rng = np.random.default_rng(7)
    n = len(data.texts)
    rows = rng.choice(n, size=400, replace=False) if how == "small slice" else np.arange(n)
    texts = [data.texts[i] for i in rows]
    x = model.vectoriser_.transform([apply_slang(basic_normalise(t), model.slang_) for t in texts])
    head = LogisticRegression(
        C=1e6 if how == "no regularisation" else 1.0,
        solver="liblinear",
        max_iter=5000,
        class_weight="balanced",
    ).fit(x, data.y[rows])
    in_sample = signal_metrics("hate_speech", data.y[rows], head.predict_proba(x)[:, 1], 0.5)
    assert in_sample.f1 > 0.9  # it would pass any gate that scores its own training rows
    model_dir = _copy_model(tmp_path)
    models = load_skops(model_dir / "signals.skops")
    head.coef_, head.intercept_ = head.coef_.astype(np.float32), head.intercept_.astype(np.float32)
    models["hate_speech"] = head
    save_skops(models, model_dir / "signals.skops")
    drops = _gate(model_dir)
    assert any(d.startswith("hate_speech ") for d in drops), drops


@needs_data
def test_pantau_eval_on_the_exported_sealed_set_reproduces_the_gate(tmp_path, sealed, shipped_metrics):
    from pantau.cli.main import app

    path = tmp_path / "sealed.jsonl"
    path.write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in sealed_records(sealed)),
        encoding="utf-8",
    )
    report = tmp_path / "eval.json"
    result = CliRunner().invoke(app, ["eval", "--data", str(path), "--report", str(report)])
    assert result.exit_code == 0, result.output
    overall = json.loads(report.read_text())["overall"]
    for signal in GATED_SIGNALS:
        for name in ("n", "positives", "precision", "recall", "f1", "roc_auc", "pr_auc", "ece"):
            assert overall[signal][name] == shipped_metrics[signal][name], (signal, name)
