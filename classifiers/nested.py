"""Nested cross-source evaluation: one protocol for the shipped model and for every baseline.

For each outer split (:class:`~classifiers.evaluation.Split`):

1. the training side loses every row whose near-duplicate cluster has a row on the held-out side
   (:func:`classifiers.dedup.purge`; the counts before and after are reported);
2. the training side is cut into :data:`INNER_FOLDS` inner folds (by group when every inner training
   part keeps both classes and :data:`MIN_POSITIVE_SHARE` of the positives, else by cluster hash),
   the learner is fitted on each inner training part and
   predicts its inner held-out part; Platt calibration and the flag threshold (the signal's policy) are
   chosen on these pooled *inner* predictions only;
3. the learner is refitted on the whole (purged) training side and predicts the outer held-out side,
   which is calibrated and thresholded with what the inner folds chose, and reported.

The pooled outer figures add the outer decisions of the splits marked ``for_threshold`` (each at its own
inner threshold). The shipped model's calibration and threshold are then chosen on those pooled outer
predictions, which never include the sealed set that the gate reports on.

A *learner* is a function ``fit(train_mask) -> score(rows_mask) -> decision values``; the same
procedure runs it whatever it is, so the model and the baseline differ only in what they are.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from classifiers.dedup import purge
from classifiers.evaluation import Split
from classifiers.features import calibrate, fit_platt
from classifiers.metrics import per_group_rates, signal_metrics, threshold_max_fbeta
from classifiers.recipes import source_family

INNER_FOLDS = 3
# Folds by group are used only when every inner training part keeps at least this share of the training
# side's positives; else a fold that holds out the big positive groups leaves a model with almost no
# positives, whose inner predictions carry no ranking (design choice, set after the forward-in-time
# hoax split inverted its calibration that way).
MIN_POSITIVE_SHARE = 0.25

Scorer = Callable[[np.ndarray], np.ndarray]
Learner = Callable[[np.ndarray], Scorer]
PostProcess = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (row indices, calibrated p) -> final p


def outer_masks(
    split: Split, groups: np.ndarray, clusters: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """The purged training mask, the held-out mask and the near-copy counts of one outer split."""
    train, test = split.masks(groups)
    train, copies = purge(train, test, clusters, y)
    return train, test, copies


def _cluster_folds(clusters: np.ndarray, k: int) -> np.ndarray:
    return np.array([zlib.crc32(c.encode()) % k for c in clusters.tolist()], dtype=int)


def _stratified_cluster_folds(rows: np.ndarray, y: np.ndarray, clusters: np.ndarray, k: int) -> np.ndarray:
    """Clusters dealt round-robin to folds, those holding a positive first (small sets)."""
    fold = np.full(y.size, -1)
    positive = set(clusters[rows][y[rows] == 1].tolist())
    keys = sorted(set(clusters[rows].tolist()), key=lambda c: (c not in positive, zlib.crc32(c.encode())))
    assigned = {c: i % k for i, c in enumerate(keys)}
    fold[rows] = [assigned[c] for c in clusters[rows].tolist()]
    return fold


def inner_folds(
    train: np.ndarray, y: np.ndarray, groups: np.ndarray, clusters: np.ndarray, k: int = INNER_FOLDS
) -> tuple[list[tuple[np.ndarray, np.ndarray]], str]:
    """``k`` (inner train, inner test) mask pairs inside ``train``, purged of shared clusters, and how
    they were cut: by ``"groups"`` when every inner training part keeps both classes, else by
    ``"clusters"`` (hash), else by ``"stratified clusters"`` (tiny sets). ``([], "none")`` when even
    that leaves a training part with one class (fewer than two positive clusters)."""
    rows = np.flatnonzero(train)
    names = sorted(set(groups[rows].tolist()))
    candidates = []
    if len(names) >= k:
        from sklearn.model_selection import GroupKFold

        splitter = GroupKFold(n_splits=k)
        fold = np.full(y.size, -1)
        for f, (_, te) in enumerate(splitter.split(rows, y[rows], groups[rows])):
            fold[rows[te]] = f
        candidates.append(("groups", fold))
    fold = np.full(y.size, -1)
    fold[rows] = _cluster_folds(clusters[rows], k)
    candidates.append(("clusters", fold))
    candidates.append(("stratified clusters", _stratified_cluster_folds(rows, y, clusters, k)))
    for kind, fold in candidates:
        pairs = []
        for f in range(k):
            test = train & (fold == f)
            inner_train, _ = purge(train & (fold != f), test, clusters)
            pairs.append((inner_train, test))
        share = [y[a].sum() / max(1, y[train].sum()) for a, _ in pairs]
        if all(len(set(y[a].tolist())) == 2 and b.any() for a, b in pairs) and (
            kind != "groups" or min(share) >= MIN_POSITIVE_SHARE
        ):
            return pairs, kind
    return [], "none"


@dataclass
class Selection:
    """Calibration and threshold chosen on some predictions."""

    a: float
    b: float
    threshold: float

    def probabilities(self, z: np.ndarray, rows: np.ndarray, post: PostProcess | None) -> np.ndarray:
        p = calibrate(z, self.a, self.b)
        return post(rows, p) if post else p


def select(
    z: np.ndarray, y: np.ndarray, rows: np.ndarray, post: PostProcess | None, policy: tuple[float, float]
) -> Selection:
    """Platt parameters fitted on decision values ``z``, then the policy's threshold on the result.
    With one class only (tiny sets) there is nothing to fit: the learner's own logistic at 0.5. A
    non-positive fitted slope (predictions that rank backwards) is replaced by the plain logistic."""
    if len(set(np.asarray(y).tolist())) < 2:
        return Selection(1.0, 0.0, 0.5)
    a, b = fit_platt(z, y)
    if a <= 0:  # the predictions rank the wrong way round: never invert the model's ranking
        a, b = 1.0, 0.0
    p = Selection(a, b, 0.5).probabilities(z, rows, post)
    beta, floor = policy
    return Selection(a, b, threshold_max_fbeta(y, p, beta=beta, precision_floor=floor))


@dataclass
class OuterResult:
    split: Split
    test: np.ndarray
    z: np.ndarray  # decision values of the refitted learner on the held-out rows
    p: np.ndarray  # probabilities with the inner selection
    inner: Selection
    inner_kind: str
    train: np.ndarray  # the purged training mask of the split
    copies: dict[str, int]
    scorer: Scorer | None = None  # the learner refitted on ``train`` (scores whole documents later)
    choice: str = ""  # the candidate the inner folds chose (run_nested with several learners)
    # name -> (z, p, inner Selection, scorer) on the held-out rows
    candidates: dict = field(default_factory=dict)


def pooled_runs(results: Sequence[OuterResult]) -> list[OuterResult]:
    """The results of the splits that the pooled figures and the shipped selection add up."""
    return [r for r in results if r.split.for_threshold]


def _inner_selection(
    learner: Learner,
    train: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    clusters: np.ndarray,
    policy: tuple[float, float],
    post: PostProcess | None,
    k: int,
) -> tuple[Selection, str, float]:
    """Calibration and threshold chosen on the pooled inner-fold predictions of ``learner`` inside
    ``train``, how the folds were cut, and the inner F1 at that threshold (the candidate choice)."""
    pairs, kind = inner_folds(train, y, groups, clusters, k)
    if not pairs:  # nothing to choose on: the learner's own logistic probability at 0.5 (reported as such)
        return Selection(1.0, 0.0, 0.5), kind, float("nan")
    z_in, y_in, rows_in = [], [], []
    for inner_train, inner_test in pairs:
        z_in.append(learner(inner_train)(inner_test))
        y_in.append(y[inner_test])
        rows_in.append(np.flatnonzero(inner_test))
    z, yy, rows = np.concatenate(z_in), np.concatenate(y_in), np.concatenate(rows_in)
    inner = select(z, yy, rows, post, policy)
    f1 = signal_metrics("", yy, inner.probabilities(z, rows, post), inner.threshold).f1
    return inner, kind, f1


def run_nested(
    learner: Learner | dict[str, Learner],
    y: np.ndarray,
    groups: np.ndarray,
    clusters: np.ndarray,
    splits: Sequence[Split],
    policy: tuple[float, float],
    post: PostProcess | None = None,
    k: int = INNER_FOLDS,
    progress: Callable[[str], None] | None = None,
) -> list[OuterResult]:
    """The nested protocol of this module for one learner over every outer split.

    ``learner`` may be a dict of named candidates (feature blocks, weightings): in each outer split the
    candidate with the best inner-fold F1 (first on ties) is refitted and scores the held-out side, so
    the choice, too, is made on inner folds only (``OuterResult.choice``); the held-out figures of
    every candidate are kept in ``OuterResult.candidates`` for the shipped choice
    (:func:`shipped_candidate`)."""
    candidates = learner if isinstance(learner, dict) else {"": learner}
    out = []
    for split in splits:
        train, test, copies = outer_masks(split, groups, clusters, y)
        if len(set(y[train].tolist())) < 2 or not test.any():  # tiny sets only: nothing to measure
            if progress:
                progress(f"  {split.name}: skipped (one class on the training side or nothing held out)")
            continue
        inner = {
            name: _inner_selection(fit, train, y, groups, clusters, policy, post, k)
            for name, fit in candidates.items()
        }
        outer = {}
        for name, fit in candidates.items():
            sel = inner[name][0]
            scorer = fit(train)
            z = scorer(test)
            outer[name] = (scorer, z, sel.probabilities(z, np.flatnonzero(test), post), sel)
        choice = max(
            candidates, key=lambda n: (np.nan_to_num(inner[n][2], nan=-1.0), -list(candidates).index(n))
        )
        scorer, z, p, sel = outer[choice]
        result = OuterResult(
            split,
            test,
            z,
            p,
            sel,
            inner[choice][1],
            train,
            copies,
            scorer,
            choice,
            {n: (o[1], o[2], o[3], o[0]) for n, o in outer.items()} if len(candidates) > 1 else {},
        )
        out.append(result)
        if progress:
            chosen = f", candidate {choice!r}" if len(candidates) > 1 else ""
            progress(
                f"  {split.name}: inner threshold {sel.threshold:.2f} ({result.inner_kind} folds"
                f"{chosen}), held-out F1 {signal_metrics('', y[test], p, sel.threshold).f1:.3f}"
            )
    return out


def _pooled(
    signal: str,
    y: np.ndarray,
    used: Sequence[OuterResult],
    of: Callable[[OuterResult], tuple[np.ndarray, float]],
):
    """Metrics over the held-out rows of ``used``, each run's probabilities and threshold from ``of``."""
    parts = [of(r) for r in used]
    return signal_metrics(
        signal,
        np.concatenate([y[r.test] for r in used]),
        np.concatenate([p for p, _ in parts]),
        np.concatenate([np.full(p.size, t) for p, t in parts]),
    )


def candidate_metrics(signal: str, y: np.ndarray, results: Sequence[OuterResult], candidate: str):
    """One candidate's pooled outer figures (``SignalMetrics``): the ``for_threshold`` splits, each
    at that candidate's own inner threshold."""
    return _pooled(
        signal,
        y,
        pooled_runs(results),
        lambda r: (r.candidates[candidate][1], r.candidates[candidate][2].threshold),
    )


def as_candidate(result: OuterResult, candidate: str) -> OuterResult:
    """``result`` as if ``candidate`` had been chosen: its held-out decisions, probabilities, inner
    selection and fitted scorer (the result itself when it holds no candidates)."""
    if not result.candidates or candidate == result.choice:
        return result
    z, p, sel, scorer = result.candidates[candidate]
    return replace(result, z=z, p=p, inner=sel, scorer=scorer, choice=candidate)


def worst_margin(
    signal: str, y: np.ndarray, runs: Sequence[OuterResult], baseline: Sequence[OuterResult]
) -> float:
    """The smallest of (F1 - fair baseline F1) and (ROC AUC - fair baseline ROC AUC) over every split
    of ``runs`` (each side at its own inner threshold; ROC AUC where the held-out side has both classes)."""
    margins = []
    for run, base in zip(runs, baseline, strict=True):
        m = signal_metrics(signal, y[run.test], run.p, run.inner.threshold)
        b = signal_metrics(signal, y[base.test], base.p, base.inner.threshold)
        margins.append(m.f1 - b.f1)
        if m.roc_auc is not None and b.roc_auc is not None:
            margins.append(m.roc_auc - b.roc_auc)
    return min(margins) if margins else float("nan")


def shipped_candidate(
    y: np.ndarray, results: Sequence[OuterResult], baseline: Sequence[OuterResult] | None = None
) -> str:
    """The candidate for the model fitted on all rows.

    Without ``baseline``: the best pooled outer F1 over the ``for_threshold`` splits, each candidate at
    its own inner thresholds (first on ties). With the fair baseline's runs of the same splits: the
    candidate whose worst split is best against the baseline (:func:`worst_margin`: the product is
    judged on data from elsewhere, so the recipe that loses least where it does worst ships), then the
    pooled outer F1 on ties."""
    used = pooled_runs(results)
    if not used or not used[0].candidates:
        return results[0].choice if results else ""
    names = list(used[0].candidates)

    def key(n: str):
        pooled = candidate_metrics("", y, used, n).f1
        if baseline is None:
            return (pooled, -names.index(n))
        margin = worst_margin("", y, [as_candidate(r, n) for r in results], baseline)
        return (np.nan_to_num(margin, nan=-1.0), pooled, -names.index(n))

    return max(names, key=key)


def pooled_metrics(signal: str, y: np.ndarray, results: Sequence[OuterResult]) -> dict:
    """Outer-fold figures pooled over the ``for_threshold`` splits, each at its own inner threshold."""
    used = pooled_runs(results)
    if not used:
        return signal_metrics(signal, [], [], 0.5).to_dict()
    return _pooled(signal, y, used, lambda r: (r.p, r.inner.threshold)).to_dict()


def shipped_selection(
    y: np.ndarray,
    results: Sequence[OuterResult],
    post: PostProcess | None,
    policy: tuple[float, float],
    candidate: str | None = None,
) -> Selection:
    """Calibration and threshold for the model fitted on all rows: chosen on the pooled outer
    decision values of the ``for_threshold`` splits (of ``candidate``'s fits, when given)."""
    used = pooled_runs(results)
    if not used:
        return Selection(1.0, 0.0, 0.5)
    zs = [r.candidates[candidate][0] if candidate and r.candidates else r.z for r in used]
    return select(
        np.concatenate(zs),
        np.concatenate([y[r.test] for r in used]),
        np.concatenate([np.flatnonzero(r.test) for r in used]),
        post,
        policy,
    )


def split_report(signal: str, y: np.ndarray, groups: np.ndarray, result: OuterResult) -> dict:
    """The held-out figures of one outer split at its inner threshold."""
    yt = y[result.test]
    return {
        **signal_metrics(signal, yt, result.p, result.inner.threshold).to_dict(),
        "inner_threshold": result.inner.threshold,
        "inner_folds": result.inner_kind,
        "train_size": int(result.train.sum()),
        "near_copies": result.copies,
        "groups": per_group_rates(groups[result.test], yt, result.p, result.inner.threshold),
        "by_source": by_source(signal, yt, groups[result.test], result.p, result.inner.threshold),
    }


def by_source(signal: str, y: np.ndarray, groups: np.ndarray, p: np.ndarray, threshold: float) -> dict:
    """Held-out figures per source family (``ibrohim``, ``netifier``, ``claims``, ...; see
    :func:`classifiers.recipes.source_family`) that has both classes among the held-out rows."""
    families = np.array([source_family(g) for g in groups.tolist()])
    out = {}
    for family in sorted(set(families.tolist())):
        rows = families == family
        if len(set(y[rows].tolist())) == 2:
            m = signal_metrics(signal, y[rows], p[rows], threshold).to_dict()
            out[family] = {k: m[k] for k in ("n", "positives", "precision", "recall", "f1", "roc_auc")}
    return out
