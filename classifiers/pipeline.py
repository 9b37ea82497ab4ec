"""The scoring entry point: :class:`SignalClassifier` and :func:`load_classifier`.

A classifier is created cheaply and loads its artifacts in :meth:`SignalClassifier.load` (called by
:func:`load_classifier`). Scoring is batch-vectorised: one shared TF-IDF featurisation per batch
(:class:`~classifiers.features.FastTfidf`), read by every signal model and by the language model, one
matrix product per model, rules and the language lexicons per text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.artifacts import DEFAULT_MODEL_DIR, load_skops
from classifiers.features import FastTfidf, calibrate, top_terms
from classifiers.language import language_model_from_bundle
from classifiers.normalise import apply_slang
from classifiers.rule_lexicon import ALL_RULES
from classifiers.rules import RuleScorer
from classifiers.source_prior import SourcePrior, default_prior
from classifiers.text_pass import (
    basic_normalise_cached,
    empty_result,
    finish_result,
    rules_and_languages,
    titles_and_bodies,
)
from classifiers.weights import COMBINE, RULE_LIFTS, noisy_or
from classifiers.windows import POOLING, flat_windows, pool
from pantau.domain import SIGNALS, ModelError, ScoreResult

__all__ = ["DEFAULT_MODEL_DIR", "SignalClassifier", "load_classifier"]

REQUIRED = ("manifest.json", "normaliser.json", "vectoriser.skops", "signals.skops", "language.skops")
MODEL_SIGNALS = ("hoax", "hate_speech", "sara", "abusive", "counter_narrative")
SECOND_STAGE_SIGNAL = "hoax"  # the signal of the opt-in second stage (classifiers.second_stage)
STYLE_FILE = "style.skops"  # optional: per model, a style block (classifiers.style) read after the shared one


def _load_style(path: Path) -> dict[str, tuple[frozenset[str], FastTfidf]]:
    """Per model name: the neutral words and the fast featuriser of its style block (none when absent)."""
    if not path.exists():
        return {}
    return {
        name: (frozenset(state["neutral"].tolist()), FastTfidf(state["vectoriser"]))
        for name, state in load_skops(path).items()
    }


class SignalClassifier:
    """Scores texts for the seven signals. Create with :func:`load_classifier`.

    ``places``: the region's place names for the rules that need them (see :class:`RuleScorer`)."""

    def __init__(
        self, model_dir: Path | None = None, *, places: Sequence[str] = (), second_stage: bool = False
    ):
        self.model_dir = model_dir
        self.places = tuple(places)
        self.second_stage = second_stage
        self.second_stage_ = None

    def load(self) -> SignalClassifier:
        """Read the manifest and artifacts of ``model_dir``; raise ModelError when unusable."""
        directory = Path(self.model_dir) if self.model_dir is not None else DEFAULT_MODEL_DIR
        missing = [name for name in REQUIRED if not (directory / name).exists()]
        if missing:
            raise ModelError(
                f"model directory {directory} lacks {', '.join(missing)}; train one with "
                f"'python -m classifiers.training DATA_DIR {directory}'"
            )
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
        self.pooling_ = dict(manifest.get("pooling", {}))  # per model, how windows are pooled
        self.slang_ = slang
        self.vectoriser_ = FastTfidf(load_skops(directory / "vectoriser.skops"))
        self.models_ = load_skops(directory / "signals.skops")
        self.language_model_ = language_model_from_bundle(
            load_skops(directory / "language.skops"), self.vectoriser_, slang
        )
        self.rules_ = RuleScorer(ALL_RULES, places=self.places).compile()
        self.style_ = _load_style(directory / STYLE_FILE)
        if self.second_stage:  # opt-in: needs the embeddings extra and second_stage.skops
            from classifiers.second_stage import SecondStage

            self.second_stage_ = SecondStage(directory, self.version_)
            self.version_ = f"{self.version_}+{SECOND_STAGE_SIGNAL}-e5"
        return self

    def _decisions(self, x, windows: Sequence[str], features: dict | None = None) -> dict[str, np.ndarray]:
        """Per model, the decision value of every window (row of ``x``); ``features``, when given,
        receives each model's own feature matrix (shared + its style block)."""
        out = {}
        for name, model in self.models_.items():
            xm = x
            if name in self.style_:  # this model also reads the style block, placed after the shared one
                from scipy.sparse import hstack

                from classifiers.style import distort

                neutral, featuriser = self.style_[name]
                xm = hstack([x, featuriser.transform([distort(w, neutral) for w in windows])], format="csr")
            out[name] = np.asarray(model.decision_function(xm)).ravel()
            if features is not None:
                features[name] = xm
        return out

    def score(
        self, records: Sequence[Mapping[str, Any]], *, source_prior: SourcePrior | None = None
    ) -> list[ScoreResult]:
        """Score a batch of records (each with ``text``; optional ``title``, ``url``).

        A long text is scored by all of its windows (:mod:`classifiers.windows`), a short one by its
        single title + text window.

        ``source_prior`` (default: the bundled credible-source list) moves hoax scores by the URL."""
        prior = source_prior or default_prior()
        if not hasattr(self, "models_"):
            self.load()
        if not records:
            return []
        titles, bodies = titles_and_bodies(records)
        windows, owners, first = flat_windows(titles, bodies)
        leads = [windows[j] for j in first]  # each record's title + lead window
        basic: dict[str, str] = {}  # raw text -> basic_normalise(text), shared with the rules pass
        x = self.vectoriser_.transform(
            [apply_slang(basic_normalise_cached(w, basic), self.slang_) for w in windows]
        )
        model_features: dict | None = {} if self.second_stage_ is not None else None
        z = self._decisions(x, windows, model_features)
        probs = {
            name: calibrate(
                pool(zw, owners, first, self.pooling_.get(name, POOLING)), *self.calibration_[name]
            )
            for name, zw in z.items()
        }
        rule_rows, langs = rules_and_languages(
            titles,
            bodies,
            self.rules_,
            self.language_model_,
            features=x if len(windows) == len(leads) else x[first],
            cache=basic,
        )
        contributions = _Contributions(x, self.vectoriser_)
        ends = np.append(first[1:], len(windows))
        combined = [
            self._combine(i, probs, rules) if leads[i].strip() else None for i, rules in enumerate(rule_rows)
        ]
        if model_features is not None:
            self._rescore_hoax(combined, rule_rows, model_features[SECOND_STAGE_SIGNAL], owners, first, leads)
        results = []
        for i in range(len(rule_rows)):
            if combined[i] is None:
                results.append(empty_result(self.version_))
                continue
            scores, why_rules = combined[i]

            def explain(s: str, i: int = i, why_rules: dict = why_rules) -> list[str]:
                model = "radicalism" if s == "violence_threat" else s
                row = first[i]  # the window that pushed this model's score most
                if model in z and ends[i] - first[i] > 1:
                    row += int(np.argmax(z[model][first[i] : ends[i]]))
                return self._explain(s, x, int(row), why_rules.get(s, []), contributions)

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

    def _rescore_hoax(
        self, combined: list, rule_rows: list, xm, owners: np.ndarray, first: np.ndarray, leads: list[str]
    ) -> None:
        """The opt-in second stage (:mod:`classifiers.second_stage`): in-band hoax scores re-scored."""
        from classifiers.second_stage import combine, in_band

        threshold = self.thresholds_[SECOND_STAGE_SIGNAL]
        stage1 = np.array([c[0][SECOND_STAGE_SIGNAL] if c else 0.0 for c in combined])
        rows = np.flatnonzero(
            in_band(stage1, threshold, self.second_stage_.band) & np.array([c is not None for c in combined])
        )
        if rows.size == 0:
            return
        stage2 = self.second_stage_
        how = self.pooling_.get(SECOND_STAGE_SIGNAL, POOLING)
        text_z = pool(stage2.text_decisions(xm), owners, first, how)
        p2 = stage2.probabilities(stage2.decisions(text_z[rows], [leads[i] for i in rows]))
        rule_signal, weight_key = RULE_LIFTS[SECOND_STAGE_SIGNAL]
        w = self.combine_.get(weight_key, COMBINE[weight_key])
        p2 = noisy_or(p2, w, np.array([rule_rows[i][rule_signal][0] for i in rows]))
        final = combine(stage1[rows], p2, threshold, stage2.bundle["threshold"], stage2.band)
        for i, p in zip(rows, final, strict=True):
            combined[i][0][SECOND_STAGE_SIGNAL] = round(float(min(1.0, max(0.0, p))), 4)

    def _combine(self, i: int, probs: dict, rules: dict) -> tuple[dict[str, float], dict[str, list[str]]]:
        scores = {s: float(probs[s][i]) for s in MODEL_SIGNALS}
        vb, vb_why = rules["vote_buying"]
        vt, vt_why = rules["violence_threat"]
        radical = float(probs["radicalism"][i])
        scores["vote_buying"] = vb
        scores["violence_threat"] = noisy_or(vt, self.combine_["radicalism_weight"], radical)
        why = {"vote_buying": vb_why, "violence_threat": vt_why}
        for signal, (rule_signal, weight_key) in RULE_LIFTS.items():
            cue, cue_why = rules[rule_signal]
            w = self.combine_.get(weight_key, COMBINE[weight_key])
            scores[signal] = noisy_or(scores[signal], w, cue)
            why[signal] = cue_why if cue >= 0.05 else []
        scores = {s: round(min(1.0, max(0.0, scores[s])), 4) for s in SIGNALS}
        return scores, why

    def _explain(
        self, signal: str, x, i: int, rule_reasons: list[str], contributions: _Contributions
    ) -> list[str]:
        reasons = [f"rule {r}" for r in rule_reasons]
        model_name = "radicalism" if signal == "violence_threat" else signal
        if model_name in self.models_:
            start, end = x.indptr[i], x.indptr[i + 1]
            contrib = contributions.of(model_name, self.models_[model_name])[start:end]
            reasons += top_terms(
                contrib,
                x.indices[start:end],
                self.vectoriser_.term,
                is_word=contributions.is_word()[start:end],
            )
        return reasons[:8]


class _Contributions:
    """Per batch: ``coef * value`` of every stored entry of the shared matrix, per model (computed when
    a first text is explained by that model), and which entries are word n-grams."""

    def __init__(self, x, featuriser: FastTfidf):
        self.x, self.featuriser = x, featuriser
        self._by_model: dict[str, np.ndarray] = {}
        self._is_word: np.ndarray | None = None

    def of(self, name: str, model) -> np.ndarray:
        if name not in self._by_model:
            self._by_model[name] = self.x.data * np.asarray(model.coef_)[0, self.x.indices]
        return self._by_model[name]

    def is_word(self) -> np.ndarray:
        if self._is_word is None:
            self._is_word = self.featuriser.is_word(self.x.indices)
        return self._is_word


def load_classifier(
    model_dir: Path | None = None, *, places: Sequence[str] = (), second_stage: bool = False
) -> SignalClassifier:
    """Load the model in ``model_dir`` (default: the bundled :data:`DEFAULT_MODEL_DIR`).

    ``places``: the monitored region's place names (config region, districts and their spellings),
    given to the rules (:class:`~classifiers.rules.RuleScorer`). ``second_stage``: also load the opt-in
    hoax second stage (:mod:`classifiers.second_stage`; needs the ``embeddings`` extra), which re-scores
    in-band hoax scores; the version then ends in ``+hoax-e5``.

    A directory written by the transformers backend (manifest ``backend: transformers``) loads as a
    :class:`~classifiers.transformer_backend.TransformerSignalClassifier` with the same interface.
    """
    if model_dir is not None:
        from classifiers.transformer_backend import is_transformer_model_dir

        if is_transformer_model_dir(Path(model_dir)):
            from classifiers.transformer_backend import load_transformer_classifier

            return load_transformer_classifier(Path(model_dir), quantize=False, places=places)
    return SignalClassifier(model_dir, places=places, second_stage=second_stage).load()
