"""The scoring entry point: :class:`SignalClassifier` and :func:`load_classifier`.

A classifier is created cheaply and loads its artifacts in :meth:`SignalClassifier.load` (called by
:func:`load_classifier`). Scoring is batch-vectorised: one TF-IDF transform per batch, one matrix
product per signal, rules and language id per text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.artifacts import DEFAULT_MODEL_DIR, load_skops
from classifiers.features import calibrate, restore_pipeline, restore_vectoriser, top_contributions
from classifiers.normalise import normalise
from classifiers.rule_lexicon import ALL_RULES
from classifiers.rules import RuleScorer
from classifiers.text_pass import rules_and_languages, split_records
from classifiers.weights import COMBINE, RULE_LIFTS
from pantau.domain import SIGNALS, ModelError, ScoreResult

__all__ = ["DEFAULT_MODEL_DIR", "SignalClassifier", "load_classifier"]

REQUIRED = ("manifest.json", "normaliser.json", "vectoriser.skops", "signals.skops", "language.skops")
MODEL_SIGNALS = ("hoax", "hate_speech", "sara", "abusive", "counter_narrative")


class SignalClassifier:
    """Scores texts for the seven signals. Create with :func:`load_classifier`."""

    def __init__(self, model_dir: Path | None = None):
        self.model_dir = model_dir

    def load(self) -> SignalClassifier:
        """Read the manifest and artifacts of ``model_dir``; raise ModelError when unusable."""
        directory = Path(self.model_dir) if self.model_dir is not None else DEFAULT_MODEL_DIR
        missing = [name for name in REQUIRED if not (directory / name).exists()]
        if missing:
            raise ModelError(f"model directory {directory} lacks {', '.join(missing)}; train one with "
                             f"'python -m classifiers.training DATA_DIR {directory}'")
        try:
            manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
            slang = json.loads((directory / "normaliser.json").read_text(encoding="utf-8"))["slang"]
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(f"{directory}: unreadable manifest or normaliser ({exc})") from exc
        unknown = set(SIGNALS) - set(manifest.get("thresholds", {}))
        if unknown:
            raise ModelError(f"{directory}/manifest.json: no threshold for {', '.join(sorted(unknown))}")
        self.manifest_ = manifest
        self.version_ = manifest["version"]
        self.thresholds_ = {s: float(manifest["thresholds"][s]) for s in SIGNALS}
        self.calibration_ = {k: tuple(v) for k, v in manifest["calibration"].items()}
        self.combine_ = dict(manifest["combine"])
        self.slang_ = slang
        self.vectoriser_ = restore_vectoriser(load_skops(directory / "vectoriser.skops"))
        self.models_ = load_skops(directory / "signals.skops")
        self.language_model_ = restore_pipeline(load_skops(directory / "language.skops"))
        self.rules_ = RuleScorer(ALL_RULES).fit()
        self._names: list[str] | None = None
        return self

    def _feature_names(self) -> list[str]:
        if self._names is None:
            self._names = [str(n) for n in self.vectoriser_.get_feature_names_out()]
        return self._names

    def _model_probabilities(self, x) -> dict[str, np.ndarray]:
        out = {}
        for name, model in self.models_.items():
            a, b = self.calibration_[name]
            out[name] = calibrate(np.asarray(model.decision_function(x)).ravel(), a, b)
        return out

    def score(self, records: Sequence[Mapping[str, Any]]) -> list[ScoreResult]:
        """Score a batch of records (each with ``text``; optional ``title``, ``url``)."""
        if not hasattr(self, "models_"):
            self.load()
        if not records:
            return []
        titles, bodies, windows = split_records(records)
        x = self.vectoriser_.transform([normalise(w, self.slang_) for w in windows]).tocsr()
        probs = self._model_probabilities(x)
        rule_rows, langs = rules_and_languages(titles, bodies, self.rules_, self.language_model_)
        results = []
        for i, rules in enumerate(rule_rows):
            if not windows[i].strip():
                results.append(ScoreResult(scores=dict.fromkeys(SIGNALS, 0.0), flags=[], lang="und",
                                           model_version=self.version_))
                continue
            scores, why_rules = self._combine(i, probs, rules)
            flags = [s for s in SIGNALS if scores[s] >= self.thresholds_[s]]
            explanations = {s: self._explain(s, x[i], why_rules.get(s, [])) for s in flags}
            results.append(ScoreResult(scores=scores, flags=flags, lang=langs[i],
                                       explanations=explanations, model_version=self.version_))
        return results

    def _combine(self, i: int, probs: dict, rules: dict) -> tuple[dict[str, float], dict[str, list[str]]]:
        scores = {s: float(probs[s][i]) for s in MODEL_SIGNALS}
        vb, vb_why = rules["vote_buying"]
        vt, vt_why = rules["violence_threat"]
        radical = float(probs["radicalism"][i])
        scores["vote_buying"] = vb
        scores["violence_threat"] = 1 - (1 - vt) * (1 - self.combine_["radicalism_weight"] * radical)
        why = {"vote_buying": vb_why, "violence_threat": vt_why}
        for signal, (rule_signal, weight_key) in RULE_LIFTS.items():
            cue, cue_why = rules[rule_signal]
            w = self.combine_.get(weight_key, COMBINE[weight_key])
            scores[signal] = 1 - (1 - scores[signal]) * (1 - w * cue)
            why[signal] = cue_why if cue >= 0.05 else []
        scores = {s: round(min(1.0, max(0.0, scores[s])), 4) for s in SIGNALS}
        return scores, why

    def _explain(self, signal: str, x_row, rule_reasons: list[str]) -> list[str]:
        reasons = [f"rule {r}" for r in rule_reasons]
        model_name = "radicalism" if signal == "violence_threat" else signal
        if model_name in self.models_:
            words = top_contributions(self.models_[model_name], x_row, self._feature_names())
            reasons += words
        return reasons[:8]


def load_classifier(model_dir: Path | None = None) -> SignalClassifier:
    """Load the model in ``model_dir`` (default: the bundled :data:`DEFAULT_MODEL_DIR`).

    A directory written by the transformers backend (manifest ``backend: transformers``) loads as a
    :class:`~classifiers.transformer_backend.TransformerSignalClassifier` with the same interface.
    """
    if model_dir is not None:
        from classifiers.transformer_backend import is_transformer_model_dir

        if is_transformer_model_dir(Path(model_dir)):
            from classifiers.transformer_backend import load_transformer_classifier

            return load_transformer_classifier(Path(model_dir), quantize=False)
    return SignalClassifier(model_dir).load()
