"""Fixed constants shared by training and scoring: how rule scores and model scores are combined.

* ``violence_threat = 1 - (1 - rules) * (1 - radicalism_weight * radicalism_model)``
* ``counter_narrative = 1 - (1 - model) * (1 - counter_narrative_rules * cue_rules)``
* ``hoax = 1 - (1 - model) * (1 - hoax_rules * chain_message_rules)``
* ``sara = 1 - (1 - model) * (1 - sara_rules * group_hostility_rules)``
* ``hate_speech = 1 - (1 - model) * (1 - hate_sara_rules * group_hostility_rules)``

The thresholds of hoax, sara and hate_speech are chosen on these combined scores (cross-source).

Signals without labelled data (vote buying, violence) use fixed thresholds: a rule score of 0.5 means
roughly one strong phrase (weight >= 0.7) without dampening context.
"""

from __future__ import annotations

COMBINE: dict[str, float] = {
    "radicalism_weight": 0.45,
    "counter_narrative_rules": 0.5,
    "hoax_rules": 0.6,
    "sara_rules": 0.6,
    "hate_sara_rules": 0.5,
}

# Which rule signal lifts which model signal, with which weight key (training and scoring share it).
RULE_LIFTS: dict[str, tuple[str, str]] = {
    "counter_narrative": ("counter_narrative", "counter_narrative_rules"),
    "hoax": ("hoax", "hoax_rules"),
    "sara": ("sara", "sara_rules"),
    "hate_speech": ("sara", "hate_sara_rules"),
}
FIXED_THRESHOLDS: dict[str, float] = {"vote_buying": 0.5, "violence_threat": 0.5}


def noisy_or(p, weight: float, cue):
    """Every combination above: ``1 - (1 - p) * (1 - weight * cue)`` (floats or numpy arrays)."""
    return 1 - (1 - p) * (1 - weight * cue)


# Signals whose model also reads the topic-neutral style block (classifiers/style.py).
STYLE_SIGNALS: tuple[str, ...] = ("hoax",)

# The flag threshold rule of every signal with labelled data (classifiers.metrics.threshold_max_fbeta):
# (beta, precision floor). The product is judged on F1 per signal (and on hoax recall), and the alert
# thresholds of the config (alerts.thresholds, per stage) already decide what reaches the review queue,
# so the model's own flag serves F1: the cut with the best F1 among those where at least half the flags
# are right. This is a design choice, fixed before looking at any reported split; the precision/recall
# curves on the outer folds that support it are in docs/evaluation.md ("Threshold policy").
DEFAULT_THRESHOLD_POLICY: tuple[float, float] = (1.0, 0.5)
THRESHOLD_POLICY: dict[str, tuple[float, float]] = {}


def threshold_policy(signal: str) -> tuple[float, float]:
    """(beta, precision floor) of ``signal``'s flag threshold."""
    return THRESHOLD_POLICY.get(signal, DEFAULT_THRESHOLD_POLICY)
