"""Alert rules: thresholds by model, config and stage; severity by signal, certainty, stage, trust."""

from __future__ import annotations

from pantau.domain.alert_rules import alerts_for_item, effective_thresholds, severity_for
from pantau.domain.config import AlertConfig
from pantau.domain.records import ScoreResult

MODEL_T = {
    "hoax": 0.6,
    "hate_speech": 0.7,
    "sara": 0.6,
    "abusive": 0.7,
    "violence_threat": 0.5,
    "vote_buying": 0.5,
    "counter_narrative": 0.5,
}


def _result(**scores: float) -> ScoreResult:
    full = {k: 0.0 for k in MODEL_T} | scores
    return ScoreResult(
        scores=full,
        flags=[k for k, v in full.items() if v >= MODEL_T[k]],
        lang="ind",
        explanations={"vote_buying": ["rule:amplop"]},
        model_version="t",
    )


def test_stage_thresholds_win_over_global_over_model():
    cfg = AlertConfig(thresholds={"hoax": 0.7}, stage_thresholds={"voting_day": {"hoax": 0.4}})
    assert effective_thresholds(MODEL_T, cfg, "campaign")["hoax"] == 0.7
    assert effective_thresholds(MODEL_T, cfg, "voting_day")["hoax"] == 0.4
    assert effective_thresholds(MODEL_T, cfg, None)["sara"] == 0.6


def test_one_alert_per_harm_signal_over_threshold():
    drafts = alerts_for_item(
        7,
        _result(vote_buying=0.8, hoax=0.59, counter_narrative=0.2),
        thresholds=MODEL_T,
        stage="campaign",
        districts=["Omben", "Robatal"],
    )
    assert [d.signal for d in drafts] == ["vote_buying"]
    d = drafts[0]
    assert d.dedupe_key == "flagged_item:7:vote_buying" and d.district == "Omben"
    assert "rule:amplop" in d.reason and d.details["districts"] == ["Omben", "Robatal"]


def test_severity_rises_near_the_vote_and_with_certainty():
    base = severity_for("vote_buying", 0.6, 0.5, stage="campaign", source_trust=None)
    hot = severity_for("vote_buying", 0.6, 0.5, stage="voting_day", source_trust=None)
    sure = severity_for("vote_buying", 0.97, 0.5, stage="voting_day", source_trust=None)
    assert (base, hot, sure) == ("medium", "high", "critical")
    assert severity_for("violence_threat", 0.95, 0.5, stage="quiet_period", source_trust=None) == "critical"
    assert severity_for("abusive", 0.75, 0.7, stage="voting_day", source_trust=None) == "low"


def test_hoax_score_on_a_verified_outlet_is_lowest_severity():
    assert severity_for("hoax", 0.95, 0.6, stage="voting_day", source_trust=0.9) == "low"
    assert severity_for("hoax", 0.95, 0.6, stage="voting_day", source_trust=0.2) == "critical"


def test_counter_narratives_quote_the_claim_they_answer():
    debunk = _result(violence_threat=0.92, hoax=0.7, counter_narrative=0.99)
    assert alerts_for_item(1, debunk, thresholds=MODEL_T, stage="voting_day", districts=[]) == []
    unsure = _result(violence_threat=0.92, hoax=0.7, counter_narrative=0.6)
    drafts = alerts_for_item(1, unsure, thresholds=MODEL_T, stage="voting_day", districts=[])
    assert [(d.signal, d.severity) for d in drafts] == [("violence_threat", "low")]
