"""Threshold choice, lazy imports, explanations, and docs that name every rule."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from classifiers.evaluation import Split, binary_metrics, choose_threshold
from classifiers.rule_lexicon import ALL_RULES

ROOT = Path(__file__).resolve().parents[2]


def test_threshold_favours_precision():
    y = np.array([1] * 50 + [0] * 50)
    p = np.concatenate([np.linspace(0.4, 0.99, 50), np.linspace(0.0, 0.7, 50)])
    t = choose_threshold(y, p)
    assert binary_metrics(y, p, t)["precision"] >= 0.8


def test_threshold_with_one_class_is_neutral():
    assert choose_threshold(np.zeros(5), np.linspace(0, 1, 5)) == 0.5


def test_split_masks():
    groups = np.array(["a", "b", "c", "a"])
    train, test = Split("x", ("a",)).masks(groups)
    assert test.tolist() == [True, False, False, True] and train.tolist() == [False, True, True, False]
    train, _ = Split("fwd", ("c",), train=("b",)).masks(groups)
    assert train.tolist() == [False, True, False, False]


def test_importing_the_package_is_cheap():
    code = ("import sys, classifiers; "
            "assert not {'sklearn', 'skops', 'torch'} & set(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_docs_describe_every_rule():
    doc = (ROOT / "docs" / "classifiers.md").read_text(encoding="utf-8")
    missing = [r.name for r in ALL_RULES if f"`{r.name}`" not in doc]
    assert not missing, missing


def test_top_contributions_prefers_words():
    from scipy.sparse import csr_matrix

    from classifiers.features import top_contributions

    class Model:
        coef_ = np.array([[2.0, 1.0, -3.0, 0.5]])

    names = ["word__bangsat", "word__kamu", "word__baik", "char__ ba"]
    row = csr_matrix(np.array([[0.5, 0.5, 0.5, 0.5]]))
    assert top_contributions(Model(), row, names) == ["bangsat", "kamu", "«ba»"]
