"""Optional transformers backend: fine-tune one multi-label head and score with it like SignalClassifier.

Needs the ``transformers`` extra (torch, transformers, safetensors); both are imported lazily inside
functions, so importing this module stays cheap. One ``AutoModelForSequenceClassification`` head
predicts the five labelled signals (:data:`LABELS`); vote buying and violence threats come from the
rules alone (the head has no radicalism output, so ``violence_threat`` is the rule score, not the
rule + radicalism blend of the scikit-learn model). The rule lifts of :mod:`classifiers.weights`
are applied exactly as in :meth:`classifiers.pipeline.SignalClassifier._combine`.

A model directory holds ``save_pretrained`` output (safetensors) and a ``manifest.json`` with
``"backend": "transformers"``, the version, thresholds for all seven signals, labels and metrics.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.datasets import TrainingData
from classifiers.metrics import binary_metrics, threshold_max_fbeta
from classifiers.normalise import basic_normalise
from classifiers.rule_lexicon import ALL_RULES
from classifiers.rules import RuleScorer
from classifiers.source_prior import SourcePrior, default_prior
from classifiers.text_pass import empty_result, finish_result, rules_and_languages, split_records
from classifiers.weights import COMBINE, FIXED_THRESHOLDS, RULE_LIFTS, noisy_or, threshold_policy
from pantau.domain import SIGNALS, ModelError, ScoreResult

__all__ = [
    "LABELS",
    "TransformerSignalClassifier",
    "is_transformer_model_dir",
    "load_transformer_classifier",
    "train_transformer",
]

LABELS = ("hoax", "hate_speech", "sara", "abusive", "counter_narrative")
BACKEND = "transformers"
# Whole sources held out to choose thresholds (each signal gets positives and negatives from them).
VALIDATION_GROUPS = (
    "ibrohim-f3",
    "netifier-kaskus",
    "claims-2020",
    "tbh-report-answers",
    "news-narasipal",
    "pilpres2019",
    "social-pilpres",
)


def is_transformer_model_dir(path: Path | str | None) -> bool:
    """True when ``path`` holds a manifest whose ``backend`` is ``"transformers"``."""
    if path is None:
        return False
    try:
        manifest = json.loads((Path(path) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("backend") == BACKEND


def _offline() -> bool:
    flag = os.environ.get("HF_HUB_OFFLINE", "") or os.environ.get("TRANSFORMERS_OFFLINE", "")
    return flag.strip().lower() in {"1", "true", "yes", "on"}


def _quiet_transformers() -> None:
    """No weight-loading progress bars or info logs: stdout/stderr belong to Pantau's own output."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def _load_base(base_model: str) -> tuple[Any, Any]:
    """Tokenizer and a fresh 5-label multi-label head from a local directory or a hub id."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    _quiet_transformers()

    local = Path(base_model).is_dir()
    if not local and _offline():
        raise ModelError(
            f"base model {base_model!r} is not a local directory and HF_HUB_OFFLINE is set, so "
            "it cannot be downloaded; unset HF_HUB_OFFLINE (with internet) or pass a local "
            "directory"
        )
    try:
        tokenizer = AutoTokenizer.from_pretrained(base_model, local_files_only=local)
        model = AutoModelForSequenceClassification.from_pretrained(
            base_model,
            num_labels=len(LABELS),
            problem_type="multi_label_classification",
            id2label=dict(enumerate(LABELS)),
            label2id={s: i for i, s in enumerate(LABELS)},
            local_files_only=local,
            ignore_mismatched_sizes=True,
        )
    except (OSError, ValueError) as exc:
        hint = "" if local else " (a hub id needs internet; with HF_HUB_OFFLINE=1 pass a local directory)"
        raise ModelError(f"cannot load base model {base_model!r}{hint}: {exc}") from exc
    return tokenizer, model


def build_table(data: TrainingData) -> tuple[list[str], np.ndarray, np.ndarray]:
    """One row per distinct text: (texts, labels [n, 5] with NaN for unknown, is_validation [n]).

    Rows come from the same per-signal sets as the scikit-learn training; a text that several sets
    contain carries each of their labels, and it is a validation row when any of its groups is held out.
    """
    sets = {
        "hate_speech": data.ibrohim_set("hate_speech"),
        "abusive": data.ibrohim_set("abusive"),
        "sara": data.sara_set(),
        "hoax": data.hoax_set(),
        "counter_narrative": data.counter_set(),
    }
    index: dict[str, int] = {}
    labels: list[list[float]] = []
    held: list[bool] = []
    for signal, signal_set in sets.items():
        col = LABELS.index(signal)
        for text, y, group in zip(signal_set.texts, signal_set.labels, signal_set.groups, strict=True):
            if not text.strip():
                continue
            row = index.setdefault(text, len(index))
            if row == len(labels):
                labels.append([float("nan")] * len(LABELS))
                held.append(False)
            labels[row][col] = float(y) if np.isnan(labels[row][col]) else max(labels[row][col], float(y))
            held[row] = held[row] or group in VALIDATION_GROUPS
    return list(index), np.asarray(labels, dtype=np.float32), np.asarray(held, dtype=bool)


def masked_bce(logits: Any, targets: Any) -> Any:
    """Binary cross-entropy over the known labels only (NaN targets are masked out of the loss)."""
    import torch

    mask = ~torch.isnan(targets)
    safe = torch.where(mask, targets, torch.zeros_like(targets))
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, safe, reduction="none")
    return (loss * mask).sum() / mask.sum().clamp(min=1)


def _predict(
    model: Any, tokenizer: Any, texts: Sequence[str], max_length: int, batch_size: int
) -> np.ndarray:
    """Sigmoid probabilities [n, 5], batched, under ``torch.inference_mode``."""
    import torch

    model.eval()
    out = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            enc = tokenizer(
                list(texts[start : start + batch_size]),
                truncation=True,
                max_length=max_length,
                padding=True,
                return_tensors="pt",
            )
            out.append(torch.sigmoid(model(**enc).logits).float().numpy())
    return np.concatenate(out) if out else np.zeros((0, len(LABELS)), dtype=np.float32)


def combine(
    probs: Mapping[str, float],
    rules: Mapping[str, tuple[float, list[str]]],
    weights: Mapping[str, float] = COMBINE,
) -> tuple[dict[str, float], dict[str, list[str]]]:
    """Model probabilities of :data:`LABELS` + rule scores -> the seven scores and rule reasons.

    Same formulas as the scikit-learn pipeline, except ``violence_threat`` = rules (no radicalism head).
    """
    scores = {s: float(probs[s]) for s in LABELS}
    scores["vote_buying"], vb_why = rules["vote_buying"]
    scores["violence_threat"], vt_why = rules["violence_threat"]
    why = {"vote_buying": list(vb_why), "violence_threat": list(vt_why)}
    for signal, (rule_signal, weight_key) in RULE_LIFTS.items():
        cue, cue_why = rules[rule_signal]
        w = weights.get(weight_key, COMBINE[weight_key])
        scores[signal] = noisy_or(scores[signal], w, cue)
        why[signal] = list(cue_why) if cue >= 0.05 else []
    return {s: round(min(1.0, max(0.0, float(scores[s]))), 4) for s in SIGNALS}, why


def train_transformer(
    data_dir: Path,
    out_dir: Path,
    *,
    base_model: str,
    epochs: int = 1,
    max_length: int = 128,
    batch_size: int = 16,
    max_rows: int | None = None,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    learning_rate: float = 3e-5,
) -> dict:
    """Fine-tune ``base_model`` on the JSONL files of ``data_dir``; write the model and manifest to
    ``out_dir``; return the manifest. Raises ModelError when the base model cannot be loaded."""
    import torch

    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    torch.manual_seed(seed)
    tokenizer, model = _load_base(base_model)  # first: a bad base model fails before reading data
    texts, y, held = build_table(TrainingData(Path(data_dir), seed=seed).load())
    rng = np.random.default_rng(seed)
    if max_rows is not None and len(texts) > max_rows:
        keep = np.sort(rng.choice(len(texts), size=max_rows, replace=False))
        texts, y, held = [texts[i] for i in keep], y[keep], held[keep]
    train_idx, val_idx = np.flatnonzero(~held), np.flatnonzero(held)
    say(f"{len(train_idx)} training rows, {len(val_idx)} validation rows from held-out sources")
    optimiser = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.01)
    targets = torch.from_numpy(y)
    steps = 0
    for epoch in range(epochs):
        model.train()
        order = rng.permutation(train_idx)
        total = 0.0
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            enc = tokenizer(
                [texts[i] for i in batch],
                truncation=True,
                max_length=max_length,
                padding=True,
                return_tensors="pt",
            )
            loss = masked_bce(model(**enc).logits, targets[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * len(batch)
            steps += 1
        say(f"epoch {epoch + 1}/{epochs}: mean masked BCE {total / max(1, len(order)):.4f}")
    thresholds, metrics = _choose_thresholds(
        model, tokenizer, [texts[i] for i in val_idx], y[val_idx], max_length, batch_size
    )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    digest = hashlib.sha256((out_dir / "model.safetensors").read_bytes()).hexdigest()[:8]
    manifest = {
        "backend": BACKEND,
        "version": f"tf-{datetime.now(UTC):%Y%m%d}-{digest}",
        "base_model": base_model,
        "thresholds": thresholds,
        "labels": list(LABELS),
        "max_length": max_length,
        "combine": dict(COMBINE),
        "metrics": {
            "validation_groups": list(VALIDATION_GROUPS),
            "train_rows": int(len(train_idx)),
            "validation_rows": int(len(val_idx)),
            "epochs": epochs,
            "steps": steps,
            "seconds": round(time.perf_counter() - started, 1),
            "per_signal": metrics,
        },
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": seed,
    }
    (out_dir / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    say(f"saved {manifest['version']} to {out_dir}")
    return manifest


def _choose_thresholds(
    model: Any, tokenizer: Any, texts: list[str], y: np.ndarray, max_length: int, batch_size: int
) -> tuple[dict[str, float], dict[str, dict]]:
    """Per-signal thresholds on the held-out sources, on the combined (model + rule lift) scores."""
    probs = _predict(model, tokenizer, texts, max_length, batch_size)
    rules = RuleScorer(ALL_RULES).compile().score([basic_normalise(t) for t in texts], normalised=True)
    combined = [
        combine(dict(zip(LABELS, row, strict=True)), r)[0] for row, r in zip(probs, rules, strict=True)
    ]
    thresholds = dict(FIXED_THRESHOLDS)
    metrics = {}
    for col, signal in enumerate(LABELS):
        known = ~np.isnan(y[:, col])
        truth = y[known, col].astype(int)
        p = np.asarray([c[signal] for c, k in zip(combined, known, strict=True) if k])
        beta, floor = threshold_policy(signal)
        thresholds[signal] = (
            threshold_max_fbeta(truth, p, beta=beta, precision_floor=floor) if truth.size else 0.5
        )
        metrics[signal] = binary_metrics(truth, p, thresholds[signal]) if truth.size else {"n": 0}
    return {s: float(thresholds[s]) for s in SIGNALS}, metrics


class TransformerSignalClassifier:
    """Scores texts for the seven signals with a fine-tuned transformers head plus the rules.

    Same contract as :class:`classifiers.pipeline.SignalClassifier`: ``load()`` then ``score()``;
    ``places`` are the region's place names for the rules (see :class:`RuleScorer`).
    """

    def __init__(
        self, model_dir: Path, *, quantize: bool = False, batch_size: int = 32, places: Sequence[str] = ()
    ):
        self.model_dir = model_dir
        self.quantize = quantize
        self.batch_size = batch_size
        self.places = tuple(places)

    def load(self) -> TransformerSignalClassifier:
        """Read the manifest, tokenizer and model (local files only); raise ModelError when unusable."""
        directory = Path(self.model_dir)
        if not is_transformer_model_dir(directory):
            raise ModelError(
                f"{directory}: no manifest.json with backend 'transformers'; train one with "
                "'pantau train --backend transformers'"
            )
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        unknown = set(SIGNALS) - set(manifest.get("thresholds", {}))
        if unknown or list(manifest.get("labels", [])) != list(LABELS):
            raise ModelError(
                f"{directory}/manifest.json: missing thresholds {sorted(unknown)} or labels "
                f"other than {list(LABELS)}"
            )
        try:
            import torch
            from transformers import AutoModelForSequenceClassification, AutoTokenizer
        except ImportError as exc:
            raise ModelError(
                "the transformers backend needs the extra: pip install 'pantau[transformers]'"
            ) from exc
        _quiet_transformers()
        try:
            tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
            model = AutoModelForSequenceClassification.from_pretrained(directory, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ModelError(f"{directory}: cannot load the transformers model ({exc})") from exc
        model.eval()
        if self.quantize:  # torch.ao.quantization is deprecated in favour of torchao, but still works
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", category=DeprecationWarning)
                warnings.simplefilter("ignore", category=UserWarning)
                model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        self.manifest_ = manifest
        self.version_ = str(manifest["version"])
        self.thresholds_ = {s: float(manifest["thresholds"][s]) for s in SIGNALS}
        self.combine_ = dict(manifest.get("combine", COMBINE))
        self.max_length_ = int(manifest.get("max_length", 128))
        self.tokenizer_ = tokenizer
        self.model_ = model
        self.rules_ = RuleScorer(ALL_RULES, places=self.places).compile()
        self.language_model_ = _bundled_language_model()
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Model probabilities [n, 5] for :data:`LABELS` (no rules)."""
        if not hasattr(self, "model_"):
            self.load()
        return _predict(self.model_, self.tokenizer_, list(texts), self.max_length_, self.batch_size)

    def score(
        self, records: Sequence[Mapping[str, Any]], *, source_prior: SourcePrior | None = None
    ) -> list[ScoreResult]:
        """Score a batch of records (each with ``text``; optional ``title``, ``url``).

        ``source_prior`` (default: the bundled credible-source list) moves hoax scores by the URL."""
        prior = source_prior or default_prior()
        if not hasattr(self, "model_"):
            self.load()
        if not records:
            return []
        titles, bodies, windows = split_records(records)
        live = [i for i, w in enumerate(windows) if w.strip()]
        probs = np.zeros((len(records), len(LABELS)), dtype=np.float32)
        if live:
            probs[live] = self.predict_proba([windows[i] for i in live])
        rule_rows, langs = rules_and_languages(titles, bodies, self.rules_, self.language_model_)
        results = []
        for i, rules in enumerate(rule_rows):
            if not windows[i].strip():
                results.append(empty_result(self.version_))
                continue
            scores, why = combine(dict(zip(LABELS, probs[i].tolist(), strict=True)), rules, self.combine_)

            def explain(s: str, why: dict = why) -> list[str]:
                return ([f"rule {r}" for r in why.get(s, [])] or ["model"])[:8]

            results.append(
                finish_result(
                    scores,
                    url=records[i].get("url"),
                    prior=prior,
                    thresholds=self.thresholds_,
                    explain=explain,
                    lang=langs[i],
                    model_version=self.version_,
                )
            )
        return results


def _bundled_language_model() -> Any | None:
    """The bundled Madurese/Indonesian character model (None when absent: the lexicons decide alone)."""
    from classifiers.language import _default_language_model

    return _default_language_model()


def load_transformer_classifier(
    model_dir: Path, *, quantize: bool = False, places: Sequence[str] = ()
) -> TransformerSignalClassifier:
    """Load the transformers model in ``model_dir`` (see :func:`is_transformer_model_dir`); ``places``:
    the region's place names for the rules."""
    return TransformerSignalClassifier(model_dir, quantize=quantize, places=places).load()
