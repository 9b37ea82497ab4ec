"""classifiers.metrics on hand-computed arrays: signal metrics, ECE, the two threshold rules, curves."""

from __future__ import annotations

import numpy as np
import pytest

from classifiers.metrics import (
    binary_metrics,
    expected_calibration_error,
    per_group_rates,
    pr_curve,
    precision_recall_at,
    signal_metrics,
    threshold_max_fbeta,
    threshold_min_for_precision,
)

# --- signal_metrics ----------------------------------------------------------------------------

Y = [1, 1, 0, 0, 1, 0]
P = [0.9, 0.4, 0.6, 0.1, 0.75, 0.05]


def test_confusion_precision_recall_f1_fpr_at_threshold():
    m = signal_metrics("hate_speech", Y, P, 0.5)
    assert (m.tp, m.fp, m.fn, m.tn) == (2, 1, 1, 2)
    assert (m.n, m.positives, m.flagged) == (6, 3, 3)
    assert m.precision == pytest.approx(2 / 3)
    assert m.recall == pytest.approx(2 / 3)
    assert m.f1 == pytest.approx(2 / 3)
    assert m.fpr == pytest.approx(1 / 3)  # one of the three negatives (0.6) is flagged
    assert m.flagged_share == pytest.approx(0.5)
    # positives 0.9, 0.75, 0.4 against negatives 0.6, 0.1, 0.05: 3 + 3 + 2 of 9 pairs ordered right
    assert m.roc_auc == pytest.approx(8 / 9)
    # ranked 0.9 (+), 0.75 (+), 0.6 (-), 0.4 (+): precision at each positive 1, 1, 3/4
    assert m.pr_auc == pytest.approx((1 + 1 + 3 / 4) / 3)
    # per-bin |mean(y) - mean(p)|, one line per bin: .1 + .6 + .6 + .1 + .25 + .05 over 6 lines
    assert m.ece == pytest.approx(1.7 / 6)
    d = m.to_dict()
    assert d["confusion"] == {"tp": 2, "fp": 1, "fn": 1, "tn": 2} and d["precision"] == 0.6667
    assert (d["fpr"], d["roc_auc"], d["pr_auc"]) == (0.3333, 0.8889, 0.9167)


def test_pr_auc_is_average_precision_not_roc_auc():
    # ranked 0.8 (+), 0.6 (-), 0.3 (+): AP = (1 + 2/3) / 2; ROC AUC = 1/2 (one of two pairs right)
    m = signal_metrics("hoax", [1, 0, 1], [0.8, 0.6, 0.3], 0.5)
    assert m.pr_auc == pytest.approx(5 / 6) and m.roc_auc == pytest.approx(0.5)
    assert (m.tp, m.fp, m.fn, m.tn, m.fpr) == (1, 1, 1, 0, 1.0)


def test_score_equal_to_threshold_is_flagged_and_no_flags_give_zero_precision():
    m = signal_metrics("sara", [1, 0], [0.36, 0.2], 0.36)
    assert (m.tp, m.fp, m.fn, m.tn) == (1, 0, 0, 1) and m.precision == 1.0 and m.f1 == 1.0
    assert m.fpr == 0.0
    m = signal_metrics("sara", [1, 0, 0], [0.1, 0.2, 0.3], 0.5)
    assert (m.precision, m.recall, m.f1, m.flagged_share, m.fpr) == (0.0, 0.0, 0.0, 0.0, 0.0)


def test_aucs_are_none_with_one_class():
    m = signal_metrics("hoax", [0, 0, 0], [0.1, 0.8, 0.3], 0.5)
    assert m.roc_auc is None and m.pr_auc is None and m.fp == 1 and m.fpr == pytest.approx(1 / 3)
    d = m.to_dict()
    assert d["roc_auc"] is None and d["pr_auc"] is None
    assert signal_metrics("hoax", [1, 1], [0.2, 0.9], 0.5).fpr == 0.0  # no negatives


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="differ in length"):
        signal_metrics("hoax", [1, 0], [0.5], 0.5)
    with pytest.raises(ValueError, match="0 or 1"):
        signal_metrics("hoax", [1, 2], [0.5, 0.5], 0.5)


def test_binary_metrics_is_the_flat_rounded_form():
    d = binary_metrics(Y, P, 0.5)
    assert d == {
        "threshold": 0.5,
        "n": 6,
        "positives": 3,
        "precision": 0.6667,
        "recall": 0.6667,
        "f1": 0.6667,
        "fpr": 0.3333,
        "roc_auc": 0.8889,
        "pr_auc": 0.9167,
        "ece": round(1.7 / 6, 4),
        "flagged_share": 0.5,
    }


def test_expected_calibration_error_exact():
    # bin 9 holds 0.92, 0.98 and 1.0 (labels 1, 0, 1): 3/4 * |2/3 - 2.9/3| = 0.225
    # bin 1 holds 0.15 (label 1): 1/4 * 0.85 = 0.2125
    assert expected_calibration_error([1, 0, 1, 1], [0.92, 0.98, 0.15, 1.0]) == pytest.approx(0.4375)
    # one bin (5) with mean p 0.525 and mean label 0.5
    assert expected_calibration_error([1, 0, 1, 0], [0.5, 0.5, 0.55, 0.55]) == pytest.approx(0.025)
    assert expected_calibration_error([1, 0, 1, 0], [0.5] * 4) == pytest.approx(0.0)
    # two bins: 0.5 * |0 - 0.1| + 0.5 * |1 - 0.9| with 10 bins; one bin |0.5 - 0.5| with 1 bin
    assert expected_calibration_error([0, 1], [0.1, 0.9]) == pytest.approx(0.1)
    assert expected_calibration_error([0, 1], [0.1, 0.9], bins=1) == pytest.approx(0.0)
    assert expected_calibration_error([], []) == 0.0
    with pytest.raises(ValueError):
        expected_calibration_error([1], [0.5, 0.5])


# --- the threshold rules -----------------------------------------------------------------------

# Five positives, five negatives; the top score is a negative, so no cut reaches precision 0.9.
# Precision / recall / F1 / F0.5 of the cuts of the signal grid (0.30, 0.31, ..., 0.95):
#   (0.80, 0.90]  1 TP 1 FP   0.500 / 0.2 / 0.286 / 0.385
#   (0.70, 0.80]  2 TP 1 FP   0.667 / 0.4 / 0.500 / 0.588
#   (0.50, 0.70]  3 TP 1 FP   0.750 / 0.6 / 0.667 / 0.714
#   (0.45, 0.50]  4 TP 1 FP   0.800 / 0.8 / 0.800 / 0.800   <- best F0.5, first to reach 0.8
#   (0.40, 0.45]  4 TP 2 FP   0.667 / 0.8 / 0.727 / 0.690
#   (0.35, 0.40]  5 TP 2 FP   0.714 / 1.0 / 0.833 / 0.758   <- best F1
#   (0.30, 0.35]  5 TP 3 FP   0.625 / 1.0 / 0.769 / 0.676
YT = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
PT = [0.9, 0.8, 0.7, 0.5, 0.4, 0.92, 0.45, 0.35, 0.2, 0.1]


def test_max_fbeta_respects_the_precision_floor():
    assert threshold_max_fbeta(YT, PT) == 0.36  # no floor: best F1, lowest cut of its band
    t = threshold_max_fbeta(YT, PT, precision_floor=0.8)
    assert t == 0.46 and signal_metrics("s", YT, PT, t).precision >= 0.8


def test_max_fbeta_falls_back_to_the_best_fbeta_when_no_cut_reaches_the_floor():
    assert threshold_max_fbeta(YT, PT, precision_floor=0.9) == 0.36
    assert threshold_max_fbeta(YT, PT, beta=0.5, precision_floor=0.9) == 0.46


def test_max_fbeta_ignores_floor_cuts_with_too_little_recall():
    # a positive above everything: 0.94 alone has precision 1 at recall 1/6 (cuts 0.93, 0.94)
    y, p = YT + [1], PT + [0.94]
    assert threshold_max_fbeta(y, p, precision_floor=0.99) == 0.93
    assert threshold_max_fbeta(y, p, precision_floor=0.99, min_recall=0.2) == 0.36  # best F1


def test_max_fbeta_beta_changes_the_cut():
    assert threshold_max_fbeta(YT, PT, beta=0.5) == 0.46
    assert threshold_max_fbeta(YT, PT, beta=1.0) == 0.36


def test_max_fbeta_with_one_class_is_neutral():
    assert threshold_max_fbeta(np.zeros(5), np.linspace(0, 1, 5)) == 0.5
    assert threshold_max_fbeta(np.ones(5), np.linspace(0, 1, 5), precision_floor=0.8) == 0.5


def test_max_fbeta_favours_precision_on_overlapping_scores():
    y = np.array([1] * 50 + [0] * 50)
    p = np.concatenate([np.linspace(0.4, 0.99, 50), np.linspace(0.0, 0.7, 50)])
    t = threshold_max_fbeta(y, p, beta=0.5, precision_floor=0.8)
    assert signal_metrics("s", y, p, t).precision >= 0.8
    assert t > threshold_max_fbeta(y, p)  # the floor raises the cut above the best F1


# Cuts of the matching grid (0.05, 0.10, ..., 0.95) on YT / PT, precision:
#   0.05 / 0.10 0.50, 0.15 / 0.20 0.556, 0.25 - 0.35 0.625, 0.40 0.714, 0.45 0.667, 0.50 0.8,
#   0.55 - 0.70 0.75, 0.75 / 0.80 0.667, 0.85 / 0.90 0.5, 0.95 nothing flagged
def test_min_for_precision_is_the_lowest_cut_reaching_the_target():
    assert threshold_min_for_precision(YT, PT, min_precision=0.7) == 0.40  # although 0.45 falls back
    assert threshold_min_for_precision(YT, PT, min_precision=0.75) == 0.50
    assert threshold_min_for_precision(YT, PT, min_precision=0.5) == 0.05


def test_min_for_precision_without_a_cut_reaching_the_target_is_the_highest_cut():
    assert threshold_min_for_precision(YT, PT, min_precision=0.9) == 0.95
    assert threshold_min_for_precision(YT, PT, min_precision=0.9, grid=(0.2, 0.4, 0.6)) == 0.6


def test_precision_recall_at():
    assert precision_recall_at(YT, PT, 0.5) == pytest.approx((0.8, 0.8))
    assert precision_recall_at(YT, PT, 0.4) == pytest.approx((5 / 7, 1.0))
    assert precision_recall_at(YT, PT, 0.99) == (1.0, 0.0)  # nothing flagged: no wrong answer
    assert precision_recall_at([0, 0], [0.9, 0.1], 0.5) == (0.0, 0.0)
    with pytest.raises(ValueError):
        precision_recall_at(PT, YT, 0.5)  # arguments swapped: labels must be 0/1


def test_pr_curve_values_and_monotone_recall():
    curve = pr_curve(YT, PT)
    assert curve["cut"][0] == 0.05 and curve["cut"][-1] == 0.95 and len(curve["cut"]) == 19
    i = curve["cut"].index(0.5)
    assert (curve["precision"][i], curve["recall"][i], curve["f1"][i]) == (0.8, 0.8, 0.8)
    assert curve["precision"][-1] == 0.0 and curve["recall"][-1] == 0.0  # 0.95 flags nothing
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 300)
    p = np.clip(0.4 * y + rng.uniform(0, 0.6, 300), 0, 1)
    for curve in (pr_curve(YT, PT), pr_curve(y, p), pr_curve(y, p, grid=(0.1, 0.3, 0.5, 0.7, 0.9))):
        assert np.all(np.diff(curve["recall"]) <= 0)
    assert pr_curve(y, p, grid=(0.0,))["recall"] == [1.0]


def test_per_group_rates():
    rates = per_group_rates(["b", "a", "a", "b"], [1, 0, 1, 0], [0.9, 0.2, 0.6, 0.4], 0.5)
    assert list(rates) == ["a", "b"]
    assert rates["a"] == {"n": 2, "positives": 1, "flag_rate": 0.5, "mean_score": 0.4}
    assert rates["b"] == {"n": 2, "positives": 1, "flag_rate": 0.5, "mean_score": 0.65}
