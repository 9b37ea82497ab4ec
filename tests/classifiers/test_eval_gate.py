"""The evaluation gate: the shipped model's pinned quality (classifiers/models/eval_baseline.json)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from classifiers import load_classifier
from classifiers.eval_gate import compare, cross_source_metrics, load_baseline, scoring_metrics

ROOT = Path(__file__).resolve().parents[2]
SHARED_TRAIN = Path(os.environ.get("PANTAU_SHARED_TRAIN", ROOT.parent / "shared" / "data" / "train"))


def test_cross_source_quality_holds_against_the_baseline():
    baseline = load_baseline()
    assert set(baseline["cross_source"]) >= {"hate_speech", "abusive", "sara", "hoax", "counter_narrative"}
    assert compare(cross_source_metrics(), baseline["cross_source"]) == []


@pytest.mark.skipif(not SHARED_TRAIN.is_dir(), reason=f"training data not found at {SHARED_TRAIN}")
def test_the_shipped_model_reproduces_its_scores_on_the_fixed_sample():
    baseline = load_baseline()
    model = load_classifier()
    assert model.version_ == baseline["model_version"], "retrained? record a new baseline (see module)"
    assert compare(scoring_metrics(model, SHARED_TRAIN), baseline["scoring"]) == []


def test_the_gate_fails_on_a_drop_beyond_the_tolerance_and_on_a_missing_signal():
    baseline = {"hoax": {"precision": 0.80, "recall": 0.19}, "sara": {"f1": 0.47}}
    assert compare({"hoax": {"precision": 0.79, "recall": 0.18}, "sara": {"f1": 0.46}}, baseline) == []
    drops = compare({"hoax": {"precision": 0.70, "recall": 0.19}}, baseline)
    assert drops == ["hoax precision: 0.7 < baseline 0.8 - 0.02", "sara f1: None < baseline 0.47 - 0.02"]
