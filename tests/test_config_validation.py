"""Every enumerated config field is checked at load, with one line naming the field path, the valid
values and (when one is close) a suggestion; the bundled examples still load."""

from __future__ import annotations

from pathlib import Path

import pytest

from pantau.domain.config import LANGUAGES, SourceConfig, not_one_of
from pantau.domain.errors import ConfigError
from pantau.settings import bundled_examples_dir, load_settings
from sources import SOURCE_KINDS
from storage.models import ALERT_KINDS

STAGES = "stages:\n  - {name: campaign, start: 2024-09-25, end: 2024-11-23}\n"
KINDS = ", ".join(sorted(SOURCE_KINDS))
DOCS = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def _error(tmp_path: Path, body: str) -> str:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(cfg)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{cfg}: ")
    return message.removeprefix(f"{cfg}: ")


@pytest.mark.parametrize(
    "body, expected",
    [
        (
            "sources:\n  - {name: a, kind: rss, location: a.xml}\n"
            "  - {name: b, kind: rsss, location: b.xml}\n",
            "sources[1].kind: 'rsss' is not one of {kinds} (did you mean 'rss'?)",
        ),
        (  # a disabled source is checked too: enabling it later must not be the moment it breaks
            "sources:\n  - {name: a, kind: Social-Export, location: a.jsonl, enabled: false}\n",
            "sources[0].kind: 'Social-Export' is not one of {kinds} (did you mean 'social_export'?)",
        ),
        (
            "sources:\n  - {name: a, kind: rss, location: a.xml, language: indonesian}\n",
            "sources[0].language: 'indonesian' is not one of ind, mad, jav, eng, und (did you mean 'ind'?)",
        ),
        (
            "sources:\n  - {name: a, kind: rss, location: a.xml, language: id}\n",
            "sources[0].language: 'id' is not one of ind, mad, jav, eng, und (did you mean 'ind'?)",
        ),
        (
            "actors: [{id: polres-sampang, name: Polres, kind: police}]\n"
            "sources:\n  - {name: a, kind: rss, location: a.xml, actor: polres}\n",
            "sources[0].actor: 'polres' is not one of polres-sampang (did you mean 'polres-sampang'?)",
        ),
        (
            "actors: [{id: a, name: A, kind: polise}]\n",
            "actors[0].kind: 'polise' is not one of police, military, election_commission, "
            "election_supervisor, religious_org, media, fact_checker, government, civil_society, "
            "candidate_team, other (did you mean 'police'?)",
        ),
        (
            "alerts: {thresholds: {hoaks: 0.4}}\n",
            "alerts.thresholds.hoaks: 'hoaks' is not one of hoax, hate_speech, sara, abusive, "
            "violence_threat, vote_buying, counter_narrative (did you mean 'hoax'?)",
        ),
        (
            STAGES + "alerts: {stage_thresholds: {campaign: {hoax: 0.4}, kampanye: {hoax: 0.3}}}\n",
            "alerts.stage_thresholds.kampanye: 'kampanye' is not one of campaign, pre_election, "
            "post_election (did you mean 'campaign'?)",
        ),
        (  # without a calendar no stage is ever current: the setting could never apply
            "alerts: {stage_thresholds: {campaign: {hoax: 0.4}}}\n",
            "alerts.stage_thresholds.campaign: 'campaign' is not one of (no stages declared)",
        ),
        (
            STAGES + "schedule: {stage_intervals: {campain: 10m}}\n",
            "schedule.stage_intervals.campain: 'campain' is not one of campaign, pre_election, "
            "post_election (did you mean 'campaign'?)",
        ),
        (
            "notifications: {min_severity: hihg}\n",
            "notifications.min_severity: 'hihg' is not one of low, medium, high, critical "
            "(did you mean 'high'?)",
        ),
        (
            "notifications: {kinds: [flagged_item, spikes]}\n",
            "notifications.kinds[1]: 'spikes' is not one of flagged_item, known_hoax, spike, "
            "silent_source, run_failed (did you mean 'spike'?)",
        ),
        (
            "timezone: Asia/Jakarte\n",
            "timezone: unknown time zone 'Asia/Jakarte' (did you mean 'Asia/Jakarta'?)",
        ),
    ],
)
def test_an_enumerated_field_outside_its_values_is_one_line_with_the_choices(tmp_path, body, expected):
    assert _error(tmp_path, body) == expected.replace("{kinds}", KINDS)


def test_the_field_path_of_the_error_is_kept_on_the_exception(tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("sources:\n  - {name: a, kind: atom, location: a.xml}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(cfg)
    assert err.value.field == "sources[0].kind"


def test_no_suggestion_when_nothing_is_close():
    assert not_one_of("zzz", ["rss", "html"]) == "'zzz' is not one of rss, html"


def test_every_registered_kind_and_known_language_loads(tmp_path):
    lines = [
        f"  - {{name: s{i}, kind: {kind}, location: x, language: {LANGUAGES[i % len(LANGUAGES)]}}}"
        for i, kind in enumerate(sorted(SOURCE_KINDS))
    ]
    cfg = tmp_path / "all.yaml"
    cfg.write_text("sources:\n" + "\n".join(lines) + "\n", encoding="utf-8")
    assert sorted(s.kind for s in load_settings(cfg).sources) == sorted(SOURCE_KINDS)


def test_the_configuration_docs_list_the_values():
    docs = DOCS.read_text(encoding="utf-8")
    for value in (*SOURCE_KINDS, *ALERT_KINDS, *LANGUAGES):
        assert f"`{value}`" in docs, value


def test_the_languages_are_those_the_classifiers_tell_apart():
    from classifiers.language import LANGS

    assert set(LANGUAGES) == {*LANGS, "und"}
    with pytest.raises(ValueError, match="is not one of"):
        SourceConfig(name="a", kind="rss", location="x", language="Indonesian")


@pytest.mark.parametrize(
    "path",
    [
        *sorted(bundled_examples_dir().glob("*.yaml")),
        Path(__file__).parent / "fixtures" / "all_kinds" / "all_kinds.yaml",
    ],
    ids=lambda p: p.name,
)
def test_the_bundled_and_fixture_configs_still_load(path):
    settings = load_settings(path)
    assert settings.sources
