"""Candidate recipes (classifiers.recipes), their choice on inner folds (classifiers.nested) and the
shipped pooling of whole documents (classifiers.document_eval.choose_pooling)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_matrix

from classifiers.datasets import SignalSet
from classifiers.document_eval import choose_pooling
from classifiers.evaluation import Split
from classifiers.nested import as_candidate, run_nested, shipped_candidate, shipped_selection, worst_margin
from classifiers.recipes import Recipe, source_family, source_weights
from classifiers.training import fit_recipe


def test_source_weights_give_every_family_the_same_weight_within_a_class():
    groups = np.array(["ibrohim-f0"] * 8 + ["ibrohim-f1"] * 2 + ["netifier-kaskus"] * 2 + ["smsa"] * 4)
    y = np.array([1] * 6 + [0] * 4 + [1, 1] + [0] * 4)
    rows = np.ones(y.size, dtype=bool)
    w = source_weights(groups, y, rows)
    fam = np.array([source_family(g) for g in groups])
    pos = {f: w[(fam == f) & (y == 1)].sum() for f in ("ibrohim", "netifier")}
    neg = {f: w[(fam == f) & (y == 0)].sum() for f in ("ibrohim", "smsa")}
    assert pos["ibrohim"] == pytest.approx(pos["netifier"]) and neg["ibrohim"] == pytest.approx(neg["smsa"])
    assert w[y == 1].sum() == pytest.approx((y == 1).sum())  # class totals unchanged


def test_a_shared_scale_is_folded_into_the_coefficients():
    rng = np.random.default_rng(0)
    x = csr_matrix(rng.random((80, 6)) * (rng.random((80, 6)) < 0.5))
    labels = (x[:, 0].toarray().ravel() > 0.3).astype(int).tolist()
    data = SignalSet("t", [f"t{i}" for i in range(80)], labels, ["g"] * 80, [f"c{i}" for i in range(80)])
    texts = np.asarray(data.texts, dtype=object)
    every = np.ones(80, dtype=bool)
    plain, _, _ = fit_recipe(Recipe("a"), x, data, texts, every, 0, False)
    scaled, xs, _ = fit_recipe(Recipe("b", shared_scale=0.5), x, data, texts, every, 0, False)
    # the stored model reads unscaled features; fitted on x * 0.5 it equals a model of 2 * coef on x * 0.5
    assert xs is x
    direct = plain.__class__(**plain.get_params()).fit(x * 0.5, data.y)
    assert np.allclose(scaled.decision_function(x), direct.decision_function(x * 0.5))
    assert not np.allclose(scaled.coef_, plain.coef_)


def _fit_data():
    rng = np.random.default_rng(1)
    x = csr_matrix(rng.random((120, 8)) * (rng.random((120, 8)) < 0.5))
    labels = ((x[:, 1] + x[:, 5]).toarray().ravel() > 0.5).astype(int).tolist()
    data = SignalSet("t", [f"t{i}" for i in range(120)], labels, ["g"] * 120, [f"c{i}" for i in range(120)])
    return x, data, np.asarray(data.texts, dtype=object), np.ones(120, dtype=bool)


def test_a_word_head_is_the_average_of_a_full_fit_and_a_fit_on_the_word_columns():
    x, data, texts, every = _fit_data()  # columns 0-3 play the word part, 4-7 the character part
    full, _, _ = fit_recipe(Recipe("a"), x, data, texts, every, 0, False, 4)
    mixed, _, _ = fit_recipe(Recipe("m", word_head=0.25), x, data, texts, every, 0, False, 4)
    words = full.__class__(**full.get_params()).fit(x[:, :4], data.y)
    expected = 0.75 * full.decision_function(x) + 0.25 * words.decision_function(x[:, :4])
    assert np.allclose(mixed.decision_function(x), expected)
    assert np.allclose(mixed.coef_[0, 4:], 0.75 * full.coef_[0, 4:])  # the word head has no char weights


def test_a_character_scale_touches_the_character_columns_only():
    x, data, texts, every = _fit_data()
    scaled, _, _ = fit_recipe(Recipe("c", char_scale=0.5), x, data, texts, every, 0, False, 4)
    factor = np.array([1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5])
    direct = scaled.__class__(**scaled.get_params()).fit(x.multiply(factor).tocsr(), data.y)
    assert np.allclose(scaled.decision_function(x), direct.decision_function(x.multiply(factor).tocsr()))
    with pytest.raises(ValueError, match="word column count"):
        fit_recipe(Recipe("c", char_scale=0.5), x, data, texts, every, 0, False)


def _toy(seed: int = 0):
    rng = np.random.default_rng(seed)
    n = 600
    y = (rng.random(n) < 0.3).astype(int)
    groups = np.array([f"g{i % 6}" for i in range(n)])
    clusters = np.array([f"c{i}" for i in range(n)])
    signal = y + rng.normal(0, 0.6, n)
    return y, groups, clusters, signal, rng


def test_the_inner_folds_choose_the_informative_candidate_and_so_does_the_shipped_choice():
    y, groups, clusters, signal, rng = _toy()
    noise = rng.normal(0, 1, y.size)

    def informative(train):
        return lambda rows: signal[rows]

    def random(train):
        return lambda rows: noise[rows]

    splits = [Split(f"hold out g{k}", (f"g{k}",)) for k in range(3)]
    runs = run_nested({"random": random, "informative": informative}, y, groups, clusters, splits, (1.0, 0.5))
    assert [r.choice for r in runs] == ["informative"] * 3
    assert np.array_equal(runs[0].z, signal[runs[0].test])
    assert set(runs[0].candidates) == {"random", "informative"}
    assert shipped_candidate(y, runs) == "informative"
    chosen = shipped_selection(y, runs, None, (1.0, 0.5), candidate="informative")
    other = shipped_selection(y, runs, None, (1.0, 0.5), candidate="random")
    assert chosen.a > 1.0 > other.a  # each candidate's own outer decisions were calibrated


def test_the_shipped_candidate_is_the_one_whose_worst_split_beats_the_fair_baseline():
    rng = np.random.default_rng(0)
    n = 900
    y = (rng.random(n) < 0.3).astype(int)
    groups = np.array([f"g{i % 3}" for i in range(n)])
    clusters = np.array([f"c{i}" for i in range(n)])
    # "sharp" is excellent on g0 and g1 but noisy on g2; "steady" is a little better than the baseline
    sharp = np.where(groups == "g2", y * 4 + rng.normal(0, 2.2, n), y * 4 + rng.normal(0, 0.6, n))
    steady, base = y * 1.5 + rng.normal(0, 0.6, n), y * 1.2 + rng.normal(0, 0.6, n)

    def fixed(values):
        return lambda train: lambda rows: values[rows]

    splits = [Split(f"hold out g{k}", (f"g{k}",)) for k in range(3)]
    learners = {"sharp": fixed(sharp), "steady": fixed(steady)}
    runs = run_nested(learners, y, groups, clusters, splits, (1.0, 0.5))
    base_runs = run_nested(fixed(base), y, groups, clusters, splits, (1.0, 0.5))
    assert shipped_candidate(y, runs) == "sharp"  # the better pooled F1
    assert worst_margin("", y, [as_candidate(r, "sharp") for r in runs], base_runs) < 0
    assert worst_margin("", y, [as_candidate(r, "steady") for r in runs], base_runs) > 0
    assert shipped_candidate(y, runs, base_runs) == "steady"
    chosen = [as_candidate(r, "steady") for r in runs]
    assert all(c.choice == "steady" and np.array_equal(c.z, steady[c.test]) for c in chosen)


def test_choose_pooling_takes_the_best_f1_then_the_fewest_false_alarms():
    def entry(f1, fpr, positives=50):
        return {"f1": f1, "fpr": fpr, "positives": positives}

    assert (
        choose_pooling(
            {"pooled": {"mean": entry(0.7, 0.02), "max": entry(0.4, 0.2), "lead": entry(0.6, 0.06)}}
        )
        == "mean"
    )
    assert (
        choose_pooling(
            {"pooled": {"mean": entry(0.7, 0.05), "max": entry(0.8, 0.2), "lead": entry(0.6, 0.06)}}
        )
        == "max"
    )
    assert (
        choose_pooling(
            {"pooled": {"mean": entry(0.0, 0.01), "max": entry(0.0, 0.03), "lead": entry(0.0, 0.0)}}
        )
        == "lead"
    )
    assert choose_pooling({"splits": {}}) == "mean"
    few = {how: entry(f1, 0.0, positives=3) for how, f1 in (("mean", 0.2), ("max", 0.3), ("lead", 0.9))}
    assert choose_pooling({"pooled": few}) == "mean"  # three long positives are no evidence


def test_by_source_reports_each_family_with_both_classes_on_its_own_rows():
    from classifiers.nested import by_source

    groups = np.array(
        ["ibrohim-f0", "ibrohim-f1", "ibrohim-f0", "netifier-kaskus", "netifier-kaskus", "smsa"]
    )
    y = np.array([1, 0, 1, 1, 0, 0])
    p = np.array([0.9, 0.8, 0.2, 0.7, 0.1, 0.95])
    out = by_source("sara", y, groups, p, 0.5)
    assert set(out) == {"ibrohim", "netifier"}  # smsa has no positives
    assert out["ibrohim"]["n"] == 3 and out["ibrohim"]["precision"] == 0.5 and out["ibrohim"]["recall"] == 0.5
    assert out["netifier"]["f1"] == 1.0  # the smsa false alarm is not counted against netifier
