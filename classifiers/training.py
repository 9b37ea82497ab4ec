"""``train()``: fit every model reproducibly, evaluate across sources and time, write the artifacts.

Run it as ``python -m classifiers.training DATA_DIR OUT_DIR``. The data directory is only read;
nothing from it is copied except the derived slang table (see the model card).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np

from classifiers import features as feat
from classifiers.artifacts import TRUSTED_TYPES, save_skops, sha256_file
from classifiers.baseline import BASELINE_THRESHOLD, plain_baseline_probabilities
from classifiers.datasets import SignalSet, TrainingData
from classifiers.evaluation import (
    BETA,
    PRECISION_FLOOR,
    Split,
    binary_metrics,
    choose_threshold,
    per_group_rates,
)
from classifiers.language import MADURESE_WORDS, fit_language_model, language_bundle
from classifiers.model_card import write_model_card
from classifiers.normalise import build_slang_map, normalise, read_madurese_words, tokens
from classifiers.rule_lexicon import ALL_RULES
from classifiers.rules import RuleScorer
from classifiers.style import StyleFeatures
from classifiers.weights import COMBINE, FIXED_THRESHOLDS, RULE_LIFTS, STYLE_SIGNALS, THRESHOLD_POLICY
from pantau.domain import SIGNALS

LEXICONS = {"slang": "kamus_alay_ibrohim2019.csv", "madurese": "nusax_madurese_indonesian_lexicon.csv"}
_NEG = ("emot2018", "smsa", "pilpres2019", "madurese")
SPLITS: dict[str, list[Split]] = {
    "hate_speech": [Split(f"ibrohim-fold{k} + unseen negatives {n}", (f"ibrohim-f{k}", n))
                    for k, n in enumerate(_NEG)],
    "sara": [
        Split("train netifier -> test ibrohim (+emot, smsa)", ("ibrohim", "emot2018", "smsa")),
        Split("train ibrohim -> test netifier (+pilpres, madurese)",
              ("netifier-twitter", "netifier-instagram", "netifier-kaskus", "pilpres2019", "madurese")),
        Split("hold out netifier-kaskus (forum platform)", ("netifier-kaskus",), for_threshold=False),
    ],
    "radicalism": [
        Split("hold out netifier-twitter + emot", ("netifier-twitter", "emot2018")),
        Split("hold out netifier-kaskus + pilpres", ("netifier-kaskus", "pilpres2019")),
        Split("hold out netifier-instagram + smsa + madurese", ("netifier-instagram", "smsa", "madurese")),
    ],
    "hoax": [
        Split("hold out claims 2015-17 + detik + emot tweets",
              ("claims-2015-17", "news-detik", "social-emot")),
        Split("hold out claims 2018 + insei economy news + pilpres tweets",
              ("claims-2018", "news-insei", "social-pilpres")),
        Split("hold out claims 2019 + narasipal headlines + ibrohim tweets",
              ("claims-2019", "news-narasipal", "social-ibrohim")),
        Split("hold out claims 2020 + TBH report claims + clarifications",
              ("claims-2020", "tbh-report-claims", "tbh-clarifications")),
        Split("forward in time: train <=2018 -> test 2019-2020 (+detik, narasipal)",
              ("claims-2019", "claims-2020", "news-detik", "news-narasipal", "social-pilpres"),
              train=("claims-2015-17", "claims-2018", "news-insei", "tbh-clarifications",
                     "tbh-report-claims", "social-emot", "social-ibrohim"), for_threshold=False),
    ],
    "counter_narrative": [
        Split("hold out official clarifications (+detik, emot, claims <=2018)",
              ("tbh-clarifications", "news-detik", "emot2018", "claims-2015-17", "claims-2018")),
        Split("hold out TBH report answers/claims (+insei, narasipal, pilpres, claims 2019-20)",
              ("tbh-report-answers", "news-insei", "news-narasipal", "pilpres2019", "claims-2019",
               "claims-2020")),
    ],
    "language": [
        Split("train nusawrites -> test nusax (+smsa, emot)", ("nusax-mad", "nusax-ind", "smsa", "emot2018")),
        Split("train nusax -> test nusawrites (+ibrohim, detik)",
              ("nusawrites-mad", "ibrohim", "news-detik")),
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


def _cross_validate(name: str, data: SignalSet, x, seed: int, extra: Callable | None = None,
                    c: float = 1.0) -> dict:
    """Fit on each split's training groups, predict its held-out groups, pick threshold and calibration.

    Signals listed in :data:`~classifiers.weights.STYLE_SIGNALS` get the style block, refitted on each
    split's training groups (its neutral-word list must not see the held-out outlets).
    """
    y, groups = data.y, data.g
    texts = np.asarray(data.texts, dtype=object)
    held, baseline = [], {}
    for split in SPLITS[name]:
        train_mask, test_mask = split.masks(groups)
        xs = _with_style(x, texts, groups, train_mask)[0] if name in STYLE_SIGNALS else x
        model = feat.build_linear_model(seed, c).fit(xs[train_mask], y[train_mask])
        held.append((split, test_mask, model.decision_function(xs[test_mask])))
        baseline[split.name] = plain_baseline_probabilities(
            list(texts[train_mask]), y[train_mask], list(texts[test_mask]), seed)
    pooled = [(m, z) for s, m, z in held if s.for_threshold]
    z_all = np.concatenate([z for _, z in pooled])
    y_all = np.concatenate([y[m] for m, _ in pooled])
    a, b = feat.fit_platt(z_all, y_all)

    def prob(mask, z):
        p = feat.calibrate(z, a, b)
        return extra(np.flatnonzero(mask), p) if extra else p

    p_all = np.concatenate([prob(m, z) for m, z in pooled])
    beta, floor = THRESHOLD_POLICY.get(name, (BETA, PRECISION_FLOOR))
    threshold = choose_threshold(y_all, p_all, beta=beta, floor=floor)
    report = {"calibration": [a, b], "threshold": threshold, "threshold_policy": [beta, floor],
              "pooled": binary_metrics(y_all, p_all, threshold), "splits": {}}
    for split, mask, z in held:
        p = prob(mask, z)
        report["splits"][split.name] = {
            **binary_metrics(y[mask], p, threshold),
            "train_size": int(split.masks(groups)[0].sum()),
            "groups": per_group_rates(groups[mask], y[mask], p, threshold),
            "baseline": binary_metrics(y[mask], baseline[split.name], BASELINE_THRESHOLD)}
    pooled_base = np.concatenate([baseline[s.name] for s, _, _ in held if s.for_threshold])
    report["pooled_baseline"] = binary_metrics(y_all, pooled_base, BASELINE_THRESHOLD)
    return report


def _protected_words(rows: TrainingData, lexicon: Path) -> set[str]:
    """Madurese words never to be "corrected": the NusaX lexicon, the language module's function words,
    and words frequent in the Madurese corpus but absent from the Indonesian texts."""
    from collections import Counter

    mad = Counter(w for r in rows.rows_["madurese"] if r["lang"] == "mad" for w in tokens(r["text"].lower()))
    ind = Counter(w for key in ("smsa", "emot", "ibrohim") for r in rows.rows_[key]
                  for w in tokens(r["text"].lower()))
    frequent = {w for w, c in mad.items() if c >= 5 and ind.get(w, 0) <= 1}
    return read_madurese_words(lexicon) | set(MADURESE_WORDS) | frequent


def train(data_dir: Path, out_dir: Path, *, progress: Callable[[str], None] | None = None,
          seed: int = 0, lexicon_dir: Path | None = None, extra_labels: tuple[Path, ...] = ()) -> dict:
    """Train all models from the JSONL files in ``data_dir``; write artifacts and return the metrics.

    ``extra_labels``: labelled JSONL files (reviewers' verdicts from ``pantau labels export``) added to
    the training side of every set whose label they carry (never held out, see ``TrainingData``).

    ``lexicon_dir`` defaults to ``data_dir/../lexicons`` (the layout of the shared data folder).
    """
    started = time.time()
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    lexicon_dir = Path(lexicon_dir) if lexicon_dir else data_dir.parent / "lexicons"
    out_dir.mkdir(parents=True, exist_ok=True)
    _say(progress, f"reading training files from {data_dir}")
    rows = TrainingData(data_dir, seed=seed, extra_labels=extra_labels).load()
    if rows.extra_:
        _say(progress, f"extra labelled rows: {len(rows.extra_)} from {len(extra_labels)} file(s)")
    protected = _protected_words(rows, lexicon_dir / LEXICONS["madurese"])
    slang = build_slang_map(lexicon_dir / LEXICONS["slang"], protected)
    _say(progress, f"slang table: {len(slang)} entries ({len(protected)} Madurese words protected)")

    sets = {"hate_speech": rows.ibrohim_set("hate_speech"), "abusive": rows.ibrohim_set("abusive"),
            "sara": rows.sara_set(), "radicalism": rows.radicalism_set(), "hoax": rows.hoax_set(),
            "counter_narrative": rows.counter_set()}
    unique = sorted({t for s in sets.values() for t in s.texts})
    index = {t: i for i, t in enumerate(unique)}
    _say(progress, f"normalising {len(unique)} distinct texts")
    normalised = [normalise(t, slang) for t in unique]
    _say(progress, "fitting the shared word + character TF-IDF space")
    vectoriser = feat.build_vectoriser().fit(normalised)
    matrix = vectoriser.transform(normalised).tocsr()

    rules = RuleScorer(ALL_RULES).fit()
    metrics: dict = {"signals": {}, "sizes": {}}
    models, calibration, thresholds, style_blocks = {}, {}, {}, {}
    for name, data in sets.items():
        x = matrix[[index[t] for t in data.texts]]
        extra = None
        if name in RULE_LIFTS:
            rule_signal, weight_key = RULE_LIFTS[name]
            cue = np.array([row[rule_signal][0] for row in rules.score(data.texts)])
            w = COMBINE[weight_key]

            def extra(idx, p, cue=cue, w=w):
                return 1 - (1 - p) * (1 - w * cue[idx])
        _say(progress, f"{name}: cross-source evaluation on {len(data.texts)} texts")
        report = _cross_validate(name, data, x, seed, extra)
        metrics["signals"][name] = report
        metrics["sizes"][name] = {g: int((data.g == g).sum()) for g in sorted(set(data.groups))}
        calibration[name] = report["calibration"]
        if name in SIGNALS:  # the radicalism model only feeds violence_threat
            thresholds[name] = report["threshold"]
        if name in STYLE_SIGNALS:
            x, style_blocks[name] = _with_style(x, np.asarray(data.texts, dtype=object), data.g,
                                                np.ones(len(data.texts), dtype=bool))
        model = feat.build_linear_model(seed).fit(x, data.y)
        feat.shrink_model(model)
        models[name] = model
        _say(progress, f"{name}: threshold {report['threshold']:.2f}, pooled held-out "
                       f"P={report['pooled']['precision']:.2f} R={report['pooled']['recall']:.2f}")

    _say(progress, "language model: shared character n-gram block, Madurese vs Indonesian")
    shared_features = feat.FastTfidf(feat.vectoriser_state(vectoriser))
    language_model, metrics["language"] = fit_language_model(rows.language_set(), SPLITS["language"],
                                                             shared_features, slang, seed)
    metrics["signals"]["vote_buying"] = {"threshold": FIXED_THRESHOLDS["vote_buying"],
                                         "note": "rules only; no labelled data (see docs)"}
    metrics["signals"]["violence_threat"] = {"threshold": FIXED_THRESHOLDS["violence_threat"],
                                             "note": "rules + radicalism model (noisy-OR); no labelled data"}
    thresholds.update(FIXED_THRESHOLDS)

    _say(progress, f"writing artifacts to {out_dir}")
    save_skops(feat.vectoriser_state(vectoriser), out_dir / "vectoriser.skops")
    save_skops(models, out_dir / "signals.skops")
    save_skops({name: block.state() for name, block in style_blocks.items()}, out_dir / "style.skops")
    save_skops(language_bundle(language_model), out_dir / "language.skops")
    (out_dir / "normaliser.json").write_text(
        json.dumps({"slang": slang, "protected_madurese_words": len(protected)}, ensure_ascii=False,
                   sort_keys=True), encoding="utf-8")
    metrics["training_seconds"] = round(time.time() - started, 1)
    manifest = _manifest(out_dir, rows, lexicon_dir, thresholds, calibration, seed)
    metrics["model_version"] = manifest["version"]
    metrics["thresholds"] = {s: thresholds[s] for s in SIGNALS}
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=1, sort_keys=True), encoding="utf-8")
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    write_model_card(out_dir / "MODEL_CARD.md", manifest, metrics)
    _say(progress, f"done in {metrics['training_seconds']} s: {manifest['version']}")
    return metrics


def _manifest(out_dir: Path, rows: TrainingData, lexicon_dir: Path, thresholds: dict, calibration: dict,
              seed: int) -> dict:
    import hashlib

    import sklearn
    import skops

    artifacts = {p.name: {"sha256": sha256_file(p), "bytes": p.stat().st_size}
                 for p in sorted(out_dir.glob("*.skops")) + [out_dir / "normaliser.json"]}
    digest = hashlib.sha256("".join(a["sha256"] for a in artifacts.values()).encode()).hexdigest()[:10]
    files = {**{p.name: sha256_file(p) for p in rows.files().values()},
             **{f"extra:{p.name}": sha256_file(p) for p in rows.extra_labels},
             **{name: sha256_file(lexicon_dir / name) for name in LEXICONS.values()}}
    return {"version": f"sk-{date.today():%Y.%m.%d}-{digest}", "created": date.today().isoformat(),
            "sklearn_version": sklearn.__version__, "skops_version": skops.__version__, "seed": seed,
            "thresholds": thresholds, "calibration": calibration, "combine": COMBINE,
            "feature_blocks": {name: ["shared", "style"] for name in STYLE_SIGNALS},
            "trusted_types": list(TRUSTED_TYPES), "artifacts": artifacts, "training_files": files}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m classifiers.training DATA_DIR OUT_DIR", file=sys.stderr)
        return 2
    train(Path(args[0]), Path(args[1]), progress=lambda m: print(m, flush=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
