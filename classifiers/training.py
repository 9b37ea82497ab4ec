"""``train()``: fit every model reproducibly, evaluate across sources and time, write the artifacts.

Run it as ``python -m classifiers.training DATA_DIR OUT_DIR``. The data directory is only read;
nothing from it is copied except the derived slang table (see the model card).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np

from classifiers import features as feat
from classifiers.artifacts import TRUSTED_TYPES, save_skops, sha256_file
from classifiers.baseline import NATURAL_THRESHOLD, BaselineProtocol
from classifiers.block_costs import cost_sample, measure_costs
from classifiers.datasets import SignalSet, TrainingData
from classifiers.dedup import SEALED_PERCENT, purge
from classifiers.document_eval import choose_pooling, doc_rule_texts, whole_document_report
from classifiers.eval_gate import write_gate_baseline
from classifiers.evaluation import Split
from classifiers.features import calibrate
from classifiers.language import MADURESE_WORDS, fit_language_model, language_bundle
from classifiers.metrics import binary_metrics, pr_curve, signal_metrics
from classifiers.model_card import write_model_card
from classifiers.nested import (
    INNER_FOLDS,
    as_candidate,
    candidate_metrics,
    pooled_metrics,
    pooled_runs,
    run_nested,
    shipped_candidate,
    shipped_selection,
    split_report,
    worst_margin,
)
from classifiers.normalise import build_slang_map, normalise, read_madurese_words, tokens
from classifiers.recipes import (
    DEFAULT,
    Recipe,
    candidates,
    column_scale,
    fold_scale,
    mix_heads,
    source_weights,
)
from classifiers.rule_lexicon import ALL_RULES
from classifiers.rules import RuleScorer
from classifiers.style import StyleFeatures
from classifiers.weights import (
    COMBINE,
    FIXED_THRESHOLDS,
    RULE_LIFTS,
    STYLE_SIGNALS,
    noisy_or,
    threshold_policy,
)
from classifiers.windows import POOLING
from pantau.domain import SIGNALS

LEXICONS = {"slang": "kamus_alay_ibrohim2019.csv", "madurese": "nusax_madurese_indonesian_lexicon.csv"}
_NEG = ("emot2018", "smsa", "pilpres2019", "madurese")
SPLITS: dict[str, list[Split]] = {
    "hate_speech": [
        Split(f"ibrohim-fold{k} + unseen negatives {n}", (f"ibrohim-f{k}", n)) for k, n in enumerate(_NEG)
    ],
    # SARA: two corpora with two annotation schemes. The first two splits train on one scheme and test on
    # the other; the two "both schemes" splits keep both on each side (together they hold out every
    # labelled row once more), so the pooled figures weigh a new scheme and a new sample of a known one
    # alike, and the source weighting of classifiers.recipes can show what it does when both are mixed.
    "sara": [
        Split(
            "train netifier -> test ibrohim (+emot, smsa)",
            ("ibrohim-f0", "ibrohim-f1", "ibrohim-f2", "ibrohim-f3", "emot2018", "smsa"),
        ),
        Split(
            "train ibrohim -> test netifier (+pilpres, madurese)",
            ("netifier-twitter", "netifier-instagram", "netifier-kaskus", "pilpres2019", "madurese"),
        ),
        Split(
            "both schemes: hold out ibrohim-f0/f1 + netifier-twitter (+emot)",
            ("ibrohim-f0", "ibrohim-f1", "netifier-twitter", "emot2018"),
        ),
        Split(
            "both schemes: hold out ibrohim-f2/f3 + netifier-instagram/kaskus (+smsa)",
            ("ibrohim-f2", "ibrohim-f3", "netifier-instagram", "netifier-kaskus", "smsa"),
        ),
        Split("hold out netifier-kaskus (forum platform)", ("netifier-kaskus",), for_threshold=False),
    ],
    "radicalism": [
        Split("hold out netifier-twitter + emot", ("netifier-twitter", "emot2018")),
        Split("hold out netifier-kaskus + pilpres", ("netifier-kaskus", "pilpres2019")),
        Split("hold out netifier-instagram + smsa + madurese", ("netifier-instagram", "smsa", "madurese")),
    ],
    "hoax": [
        Split(
            "hold out claims 2015-17 + detik + emot tweets", ("claims-2015-17", "news-detik", "social-emot")
        ),
        Split(
            "hold out claims 2018 + insei economy news + pilpres tweets",
            ("claims-2018", "news-insei", "social-pilpres"),
        ),
        Split(
            "hold out claims 2019 + narasipal headlines + ibrohim tweets",
            ("claims-2019", "news-narasipal", "social-ibrohim"),
        ),
        Split(
            "hold out claims 2020 + TBH report claims + clarifications",
            ("claims-2020", "tbh-report-claims", "tbh-clarifications"),
        ),
        Split(
            "forward in time: train <=2018 -> test 2019-2020 (+detik, narasipal)",
            ("claims-2019", "claims-2020", "news-detik", "news-narasipal", "social-pilpres"),
            train=(
                "claims-2015-17",
                "claims-2018",
                "news-insei",
                "tbh-clarifications",
                "tbh-report-claims",
                "social-emot",
                "social-ibrohim",
            ),
            for_threshold=False,
        ),
    ],
    "counter_narrative": [
        Split(
            "hold out official clarifications (+detik, emot, claims <=2018)",
            ("tbh-clarifications", "news-detik", "emot2018", "claims-2015-17", "claims-2018"),
        ),
        Split(
            "hold out TBH report answers/claims (+insei, narasipal, pilpres, claims 2019-20)",
            (
                "tbh-report-answers",
                "news-insei",
                "news-narasipal",
                "pilpres2019",
                "claims-2019",
                "claims-2020",
            ),
        ),
    ],
    "language": [
        Split("train nusawrites -> test nusax (+smsa, emot)", ("nusax-mad", "nusax-ind", "smsa", "emot2018")),
        Split(
            "train nusax -> test nusawrites (+ibrohim, detik)", ("nusawrites-mad", "ibrohim", "news-detik")
        ),
    ],
}
SPLITS["abusive"] = SPLITS["hate_speech"]


def _say(progress: Callable[[str], None] | None, message: str) -> None:
    if progress is not None:
        progress(message)


def _with_style(x, texts: np.ndarray, groups: np.ndarray, fit_mask: np.ndarray):
    """``x`` plus the style block (:mod:`classifiers.style`) fitted on the ``fit_mask`` rows only."""
    from scipy.sparse import hstack

    style = StyleFeatures().fit(list(texts[fit_mask]), list(groups[fit_mask]))
    return hstack([x, style.transform(texts)]).tocsr(), style


def _model_learner(
    name: str, data: SignalSet, x, seed: int, recipe: Recipe = DEFAULT, word_columns: int | None = None
):
    """The shipped model's recipe as a learner of :func:`classifiers.nested.run_nested`.

    Signals listed in :data:`~classifiers.weights.STYLE_SIGNALS` get the style block, refitted on each
    training part (its neutral-word list must not see the held-out outlets); ``recipe`` sets C, the
    shared block's scale, the word-only head and the source weights (:mod:`classifiers.recipes`);
    ``word_columns``: how many leading columns of ``x`` are the word part."""
    texts = np.asarray(data.texts, dtype=object)

    def learner(train_mask: np.ndarray):
        model, xs, style = fit_recipe(
            recipe, x, data, texts, train_mask, seed, name in STYLE_SIGNALS, word_columns
        )
        return FittedScorer(model, xs, style)

    return learner


def _fit_scaled(recipe: Recipe, xs, y: np.ndarray, train_mask: np.ndarray, seed: int, scale, weights):
    """One logistic regression on ``xs`` with columns multiplied by ``scale``, folded back."""
    from scipy.sparse import diags

    fit_x = xs if scale is None else (xs @ diags(scale)).tocsr()
    model = feat.build_linear_model(seed, recipe.c).fit(
        fit_x[train_mask], y[train_mask], sample_weight=weights
    )
    fold_scale(model, scale)
    return model


def fit_recipe(
    recipe: Recipe,
    x,
    data: SignalSet,
    texts: np.ndarray,
    train_mask: np.ndarray,
    seed: int,
    style: bool,
    word_columns: int | None = None,
):
    """One logistic regression fitted by ``recipe`` on the ``train_mask`` rows: (model, features of every
    row as the model reads them, the style block or None). Column scales are folded back into the
    coefficients, so the model reads unscaled features; a word head is averaged in (one linear model)."""
    xs, block = _with_style(x, texts, data.g, train_mask) if style else (x, None)
    weights = source_weights(data.g, data.y, train_mask) if recipe.balance_sources else None
    model = _fit_scaled(
        recipe,
        xs,
        data.y,
        train_mask,
        seed,
        column_scale(recipe, xs.shape[1], x.shape[1], word_columns),
        weights,
    )
    if recipe.word_head:
        words_only = replace(recipe, char_scale=0.0)
        word_model = _fit_scaled(
            words_only,
            xs,
            data.y,
            train_mask,
            seed,
            column_scale(words_only, xs.shape[1], x.shape[1], word_columns),
            weights,
        )
        mix_heads(model, word_model, recipe.word_head)
    return model, xs, block


class FittedScorer:
    """One fitted model of :func:`_model_learner`: decision values of set rows, or of new windows."""

    def __init__(self, model, xs, style: StyleFeatures | None):
        self.model, self.xs, self.style = model, xs, style

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        return self.model.decision_function(self.xs[rows])

    def windows(self, x_windows, windows: list[str]) -> np.ndarray:
        """Decision values of featurised windows (shared block ``x_windows`` of the raw ``windows``)."""
        if self.style is not None:
            from scipy.sparse import hstack

            x_windows = hstack([x_windows, self.style.transform(windows)]).tocsr()
        return self.model.decision_function(x_windows)


def _rule_cues(name: str, rules: RuleScorer, texts: list[str]) -> np.ndarray:
    """The rule score that lifts ``name`` (:data:`~classifiers.weights.RULE_LIFTS`) for each text."""
    rule_signal = RULE_LIFTS[name][0]
    return np.array([row[rule_signal][0] for row in rules.score(texts)])


def rule_lift(name: str, rules: RuleScorer, texts: list[str]) -> Callable | None:
    """The post-processing of :func:`classifiers.nested.run_nested` for a signal with a rule lift
    (:data:`~classifiers.weights.RULE_LIFTS`): ``(rows, p) -> 1 - (1 - p)(1 - w * cue)``, else None."""
    if name not in RULE_LIFTS:
        return None
    cue, w = _rule_cues(name, rules, texts), COMBINE[RULE_LIFTS[name][1]]
    return lambda idx, p: noisy_or(p, w, cue[idx])


def _document_lift(name: str, rules: RuleScorer) -> Callable | None:
    """The signal's rule lift on whole documents (rules read the title + body), as at scoring time."""
    if name not in RULE_LIFTS:
        return None
    w = COMBINE[RULE_LIFTS[name][1]]
    return lambda docs, p: noisy_or(p, w, _rule_cues(name, rules, doc_rule_texts(docs)))


def _cross_validate(
    name: str,
    data: SignalSet,
    x,
    seed: int,
    extra: Callable | None = None,
    progress: Callable[[str], None] | None = None,
    featurise: Callable | None = None,
    lift: Callable | None = None,
    word_columns: int | None = None,
) -> dict:
    """The nested protocol (:mod:`classifiers.nested`) for the model and the fair baseline, plus the
    baseline at its natural 0.5 cut, on every split of ``name``; the shipped calibration and threshold.
    With ``featurise`` (windows -> shared block), also the held-out long documents read whole
    (:mod:`classifiers.document_eval`), with ``lift`` as the rule lift.

    The split and pooled figures are those of the shipped recipe (each split at its own inner
    threshold); ``nested_choice`` keeps, per split and pooled, the figures of the candidate that the
    split's own inner folds chose, the estimate of the whole selection procedure.
    """
    y, groups, clusters = data.y, data.g, data.c
    policy = threshold_policy(name)
    splits = SPLITS[name]
    recipes = {r.name: r for r in candidates(name)}
    learners = {r.name: _model_learner(name, data, x, seed, r, word_columns) for r in recipes.values()}
    nested_runs = run_nested(learners, y, groups, clusters, splits, policy, post=extra, progress=progress)
    base = BaselineProtocol(data.texts, y, seed)
    base_runs = run_nested(base.learner, y, groups, clusters, splits, policy)
    chosen = shipped_candidate(y, nested_runs, base_runs) or next(iter(recipes))
    model_runs = [as_candidate(r, chosen) for r in nested_runs]
    shipped = shipped_selection(y, model_runs, extra, policy)
    base_shipped = shipped_selection(y, base_runs, None, policy)
    report = {
        "recipe": recipes[chosen].to_dict(),
        "candidates": [r.to_dict() for r in recipes.values()],
        "candidate_pooled": _candidate_pooled(name, y, nested_runs),
        "candidate_worst_margin": {
            n: round(worst_margin(name, y, [as_candidate(r, n) for r in nested_runs], base_runs), 4)
            for n in recipes
        }
        if len(recipes) > 1
        else {},
        "calibration": [shipped.a, shipped.b],
        "threshold": shipped.threshold,
        "threshold_policy": list(policy),
        "inner_folds": INNER_FOLDS,
        "pooled": pooled_metrics(name, y, model_runs),
        "pooled_nested_choice": pooled_metrics(name, y, nested_runs),
        "pooled_baseline": pooled_metrics(name, y, base_runs),
        "baseline_selection": {
            "calibration": [base_shipped.a, base_shipped.b],
            "threshold": base_shipped.threshold,
        },
        "splits": {},
    }
    report["skipped_splits"] = sorted({s.name for s in splits} - {r.split.name for r in model_runs})
    plain_y, plain_p = [], []
    for run, nested_run, base_run in zip(model_runs, nested_runs, base_runs, strict=True):
        split, test = run.split, run.test
        plain = base.plain_probabilities(run.train, test)
        if split.for_threshold:
            plain_y.append(y[test])
            plain_p.append(plain)
        choice = signal_metrics(name, y[test], nested_run.p, nested_run.inner.threshold).to_dict()
        report["splits"][split.name] = {
            **split_report(name, y, groups, run),
            "candidate": chosen,
            "nested_choice": {
                "candidate": nested_run.choice or chosen,
                **{k: choice[k] for k in ("precision", "recall", "f1", "roc_auc", "pr_auc")},
            },
            "near_copies_as_built": _copies_as_built(data, split),
            "baseline": split_report(name, y, groups, base_run),
            "baseline_plain": binary_metrics(y[test], plain, NATURAL_THRESHOLD),
        }
        report["splits"][split.name]["baseline"].pop("groups")
    used, used_base = pooled_runs(model_runs), pooled_runs(base_runs)
    if used:
        report["pooled_baseline_plain"] = binary_metrics(
            np.concatenate(plain_y), np.concatenate(plain_p), NATURAL_THRESHOLD
        )
        y_outer = np.concatenate([y[r.test] for r in used])
        report["pr_curve"] = pr_curve(y_outer, np.concatenate([r.p for r in used]))
        report["baseline_pr_curve"] = pr_curve(y_outer, np.concatenate([r.p for r in used_base]))
    report["near_copies"] = {"within_set_dropped": data.copies_dropped}
    if featurise is not None and any(d is not None for d in data.docs):
        report["whole_document"] = whole_document_report(name, data, model_runs, featurise, lift)
        report["pooling"] = choose_pooling(report["whole_document"])
    return report


def _candidate_pooled(name: str, y: np.ndarray, runs) -> dict[str, dict]:
    """Each candidate's pooled outer figures (every split at that candidate's own inner threshold)."""
    used = pooled_runs(runs)
    if not used or not used[0].candidates:
        return {}
    keep = ("precision", "recall", "f1", "roc_auc", "pr_auc")
    return {
        cand: {k: v for k, v in candidate_metrics(name, y, used, cand).to_dict().items() if k in keep}
        for cand in used[0].candidates
    }


def _copies_as_built(data: SignalSet, split: Split) -> dict[str, int]:
    """Held-out rows (positives) with a near-copy on the training side of ``split`` in the set as it was
    built, before near-copies inside the set were dropped and before the split was purged: the leakage
    the old protocol had."""
    if data.before_dedup is None:
        return {}
    groups, clusters, y = data.before_dedup
    train, test = split.masks(groups)
    return purge(train, test, clusters, y)[1]


def _sealed_report(
    model_dir: Path,
    data_dir: Path,
    seed: int,
    sets: dict[str, SignalSet],
    baseline_selection: dict[str, dict],
) -> dict:
    """The shipped model and the fair baseline (fitted on every training row, with the selection its
    pooled outer folds chose) on the sealed set; the model's figures are the gate's baseline."""
    from classifiers.pipeline import load_classifier
    from classifiers.sealed import GATED_SIGNALS, score_sealed, sealed_sets

    model = load_classifier(model_dir)
    sealed = sealed_sets(data_dir, seed=seed)
    report = {"model": score_sealed(model, sealed), "baseline": {}}
    for signal in GATED_SIGNALS:
        train_set, test_set = sets[signal], sealed[signal]
        base = BaselineProtocol(
            list(train_set.texts) + list(test_set.texts), np.r_[train_set.y, test_set.y], seed
        )
        n = len(train_set.texts)
        rows = np.arange(n + len(test_set.texts))
        z = base.learner(rows < n)(rows >= n)
        chosen = baseline_selection[signal]
        p = calibrate(z, *chosen["calibration"])
        report["baseline"][signal] = {
            **signal_metrics(signal, test_set.y, p, chosen["threshold"]).to_dict(),
            "plain": binary_metrics(
                test_set.y, base.plain_probabilities(rows < n, rows >= n), NATURAL_THRESHOLD
            ),
        }
    return report


def _protected_words(rows: TrainingData, lexicon: Path) -> set[str]:
    """Madurese words never to be "corrected": the NusaX lexicon, the language module's function words,
    and words frequent in the Madurese corpus but absent from the Indonesian texts."""
    from collections import Counter

    mad = Counter(w for r in rows.rows_["madurese"] if r["lang"] == "mad" for w in tokens(r["text"].lower()))
    ind = Counter(
        w for key in ("smsa", "emot", "ibrohim") for r in rows.rows_[key] for w in tokens(r["text"].lower())
    )
    frequent = {w for w, c in mad.items() if c >= 5 and ind.get(w, 0) <= 1}
    return read_madurese_words(lexicon) | set(MADURESE_WORDS) | frequent


@dataclass
class Prepared:
    """Everything the models are fitted from: the rows, the slang table, the per-signal sets, the shared
    TF-IDF space fitted on their distinct texts (labels unseen) and the compiled rules."""

    rows: TrainingData
    slang: dict[str, str]
    sets: dict[str, SignalSet]
    vectoriser: object
    matrix: object  # the shared block of every distinct text, rows in ``index`` order
    index: dict[str, int]
    rules: RuleScorer
    protected_words: int  # Madurese words kept out of the slang table

    def features(self, data: SignalSet):
        """The shared block of ``data``'s texts."""
        return self.matrix[[self.index[t] for t in data.texts]]

    def featurise(self, texts: list[str]):
        """The shared block of new texts (normalised like the training texts)."""
        return self.vectoriser.transform([normalise(t, self.slang) for t in texts])


def prepare(
    data_dir: Path,
    *,
    seed: int = 0,
    lexicon_dir: Path | None = None,
    extra_labels: tuple[Path, ...] = (),
    progress: Callable[[str], None] | None = None,
) -> Prepared:
    """Read the training files, build the slang table and the sets, fit the shared TF-IDF space."""
    data_dir = Path(data_dir)
    lexicon_dir = Path(lexicon_dir) if lexicon_dir else data_dir.parent / "lexicons"
    _say(progress, f"reading training files from {data_dir}")
    rows = TrainingData(data_dir, seed=seed, extra_labels=extra_labels).load()
    if rows.extra_:
        _say(progress, f"extra labelled rows: {len(rows.extra_)} from {len(extra_labels)} file(s)")
    protected = _protected_words(rows, lexicon_dir / LEXICONS["madurese"])
    slang = build_slang_map(lexicon_dir / LEXICONS["slang"], protected)
    _say(progress, f"slang table: {len(slang)} entries ({len(protected)} Madurese words protected)")

    _say(
        progress,
        f"near-duplicate clusters: {rows.clusters_.n_clusters} over {len(rows.clusters_.keys)} "
        f"rows; "
        f"sealed evaluation share: {rows.sealed_rows_} rows ({SEALED_PERCENT}% of clusters), "
        f"never trained on",
    )
    sets = rows.signal_sets()
    unique = sorted({t for s in sets.values() for t in s.texts})
    index = {t: i for i, t in enumerate(unique)}
    _say(progress, f"normalising {len(unique)} distinct texts")
    normalised = [normalise(t, slang) for t in unique]
    _say(progress, "fitting the shared word + character TF-IDF space")
    vectoriser = feat.build_vectoriser().fit(normalised)
    matrix = vectoriser.transform(normalised).tocsr()

    rules = RuleScorer(ALL_RULES).compile()
    return Prepared(rows, slang, sets, vectoriser, matrix, index, rules, len(protected))


def train(
    data_dir: Path,
    out_dir: Path,
    *,
    progress: Callable[[str], None] | None = None,
    seed: int = 0,
    lexicon_dir: Path | None = None,
    extra_labels: tuple[Path, ...] = (),
) -> dict:
    """Train all models from the JSONL files in ``data_dir``; write artifacts and return the metrics.

    ``extra_labels``: labelled JSONL files (reviewers' verdicts from ``pantau labels export``) added to
    the training side of every set whose label they carry (never held out, see ``TrainingData``).

    ``lexicon_dir`` defaults to ``data_dir/../lexicons`` (the layout of the shared data folder).
    """
    started = time.time()
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    lexicon_dir = Path(lexicon_dir) if lexicon_dir else data_dir.parent / "lexicons"
    out_dir.mkdir(parents=True, exist_ok=True)
    prepared = prepare(
        data_dir, seed=seed, lexicon_dir=lexicon_dir, extra_labels=extra_labels, progress=progress
    )
    rows, slang, sets, vectoriser, rules = (
        prepared.rows,
        prepared.slang,
        prepared.sets,
        prepared.vectoriser,
        prepared.rules,
    )
    metrics: dict = {
        "signals": {},
        "sizes": {},
        "dedup": {
            **rows.clusters_.summary(),
            "sealed_rows": rows.sealed_rows_,
            "sealed_percent": SEALED_PERCENT,
        },
    }
    models, calibration, thresholds, style_blocks, pooling = {}, {}, {}, {}, {}
    n_word = feat.word_columns(vectoriser)
    for name, data in sets.items():
        x = prepared.features(data)
        extra = rule_lift(name, rules, data.texts)
        _say(progress, f"{name}: cross-source evaluation on {len(data.texts)} texts")
        report = _cross_validate(
            name,
            data,
            x,
            seed,
            extra,
            progress=progress,
            featurise=prepared.featurise,
            lift=_document_lift(name, rules),
            word_columns=n_word,
        )
        metrics["signals"][name] = report
        metrics["sizes"][name] = {g: int((data.g == g).sum()) for g in sorted(set(data.groups))}
        calibration[name] = report["calibration"]
        pooling[name] = report.get("pooling", POOLING)
        if name in SIGNALS:  # the radicalism model only feeds violence_threat
            thresholds[name] = report["threshold"]
        recipe = Recipe(**report["recipe"])
        model, _, block = fit_recipe(
            recipe,
            x,
            data,
            np.asarray(data.texts, dtype=object),
            np.ones(len(data.texts), dtype=bool),
            seed,
            name in STYLE_SIGNALS,
            n_word,
        )
        if block is not None:
            style_blocks[name] = block
        feat.shrink_model(model)
        models[name] = model
        _say(
            progress,
            f"{name}: recipe {recipe.name!r}, shipped threshold {report['threshold']:.2f}; "
            f"pooled outer folds "
            f"F1={report['pooled']['f1']:.3f} "
            f"(fair baseline {report['pooled_baseline']['f1']:.3f})",
        )

    _say(progress, "language model: shared character n-gram block, Madurese vs Indonesian")
    shared_features = feat.FastTfidf(feat.vectoriser_state(vectoriser))
    language_model, metrics["language"] = fit_language_model(
        rows.language_set(), SPLITS["language"], shared_features, slang, seed
    )
    metrics["signals"]["vote_buying"] = {
        "threshold": FIXED_THRESHOLDS["vote_buying"],
        "note": "rules only; no labelled data (see docs)",
    }
    metrics["signals"]["violence_threat"] = {
        "threshold": FIXED_THRESHOLDS["violence_threat"],
        "note": "rules + radicalism model (noisy-OR); no labelled data",
    }
    thresholds.update(FIXED_THRESHOLDS)

    _say(progress, f"writing artifacts to {out_dir}")
    save_skops(feat.vectoriser_state(vectoriser), out_dir / "vectoriser.skops")
    save_skops(models, out_dir / "signals.skops")
    save_skops({name: block.state() for name, block in style_blocks.items()}, out_dir / "style.skops")
    save_skops(language_bundle(language_model), out_dir / "language.skops")
    (out_dir / "normaliser.json").write_text(
        json.dumps(
            {"slang": slang, "protected_madurese_words": prepared.protected_words},
            ensure_ascii=False,
            sort_keys=True,
        ),
        encoding="utf-8",
    )
    metrics["training_seconds"] = round(time.time() - started, 1)
    manifest = _manifest(out_dir, rows, lexicon_dir, thresholds, calibration, seed)
    manifest["pooling"] = pooling
    manifest["recipes"] = {n: r["recipe"] for n, r in metrics["signals"].items() if "recipe" in r}
    metrics["model_version"] = manifest["version"]
    metrics["thresholds"] = {s: thresholds[s] for s in SIGNALS}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    _say(progress, "scoring the sealed evaluation set (model and fair baseline)")
    metrics["sealed"] = _sealed_report(
        out_dir,
        data_dir,
        seed,
        sets,
        {n: r["baseline_selection"] for n, r in metrics["signals"].items() if "baseline_selection" in r},
    )
    write_gate_baseline(out_dir, metrics["model_version"], metrics["sealed"]["model"])
    _say(progress, "measuring what each scoring step costs")
    metrics["costs"] = measure_costs(out_dir, cost_sample(sets["hate_speech"].texts))
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=1, sort_keys=True), encoding="utf-8")
    write_model_card(out_dir / "MODEL_CARD.md", manifest, metrics)
    _say(progress, f"done in {metrics['training_seconds']} s: {manifest['version']}")
    return metrics


def _manifest(
    out_dir: Path, rows: TrainingData, lexicon_dir: Path, thresholds: dict, calibration: dict, seed: int
) -> dict:
    import hashlib

    import sklearn
    import skops

    artifacts = {
        p.name: {"sha256": sha256_file(p), "bytes": p.stat().st_size}
        for p in sorted(out_dir.glob("*.skops")) + [out_dir / "normaliser.json"]
    }
    digest = hashlib.sha256("".join(a["sha256"] for a in artifacts.values()).encode()).hexdigest()[:10]
    files = {
        **{p.name: sha256_file(p) for p in rows.files().values()},
        **{f"extra:{p.name}": sha256_file(p) for p in rows.extra_labels},
        **{name: sha256_file(lexicon_dir / name) for name in LEXICONS.values()},
    }
    return {
        "version": f"sk-{date.today():%Y.%m.%d}-{digest}",
        "created": date.today().isoformat(),
        "sklearn_version": sklearn.__version__,
        "skops_version": skops.__version__,
        "seed": seed,
        "thresholds": thresholds,
        "calibration": calibration,
        "combine": COMBINE,
        "feature_blocks": {name: ["shared", "style"] for name in STYLE_SIGNALS},
        "trusted_types": list(TRUSTED_TYPES),
        "artifacts": artifacts,
        "training_files": files,
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m classifiers.training DATA_DIR OUT_DIR", file=sys.stderr)
        return 2
    train(Path(args[0]), Path(args[1]), progress=lambda m: print(m, flush=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
