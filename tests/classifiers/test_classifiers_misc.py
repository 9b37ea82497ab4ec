"""Evaluation splits, lazy imports, explanations, and docs that name every rule (the threshold rules
are tested in test_metrics.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from classifiers.evaluation import Split
from classifiers.rule_lexicon import ALL_RULES

ROOT = Path(__file__).resolve().parents[2]


def test_split_masks():
    groups = np.array(["a", "b", "c", "a"])
    train, test = Split("x", ("a",)).masks(groups)
    assert test.tolist() == [True, False, False, True] and train.tolist() == [False, True, True, False]
    train, _ = Split("fwd", ("c",), train=("b",)).masks(groups)
    assert train.tolist() == [False, True, False, False]


def test_importing_the_package_is_cheap():
    code = "import sys, classifiers; assert not {'sklearn', 'skops', 'torch'} & set(sys.modules)"
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
    # k limits how many n-grams are named; it used to be ignored
    assert top_contributions(Model(), row, names, k=1) == ["bangsat"]
