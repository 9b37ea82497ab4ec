"""Settings: the bundled config loads, env vars override the file, bad configs name the field."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pantau.domain.errors import ConfigError
from pantau.settings import bundled_examples_dir, load_settings


def test_bundled_sampang_config_is_complete():
    s = load_settings()
    assert s.region == "Sampang"
    assert len(s.districts) == 14
    assert {a.kind for a in s.actors} >= {
        "police",
        "military",
        "election_commission",
        "election_supervisor",
        "religious_org",
        "media",
    }
    assert [st.name for st in s.stages][:5] == [
        "registration",
        "candidate_determination",
        "campaign",
        "quiet_period",
        "voting_day",
    ]
    for source in s.sources:  # bundled: locations resolve to real files
        if not source.enabled:  # real sources that need internet
            assert source.location.startswith("https://")
            continue
        assert Path(source.location).is_file(), source.location
        assert Path(source.location).is_relative_to(bundled_examples_dir())


def test_stage_calendar_uses_local_dates():
    s = load_settings()
    # 26 Nov 2024 20:00 UTC is 27 Nov 03:00 WIB: voting day already.
    assert s.stage_at(datetime(2024, 11, 26, 20, 0, tzinfo=UTC)) == "voting_day"
    assert s.stage_at(datetime(2024, 11, 26, 10, 0, tzinfo=UTC)) == "quiet_period"
    assert s.stage_at(datetime(2024, 10, 1, tzinfo=UTC)) == "campaign"
    assert s.stage_at(datetime(2024, 1, 1, tzinfo=UTC)) == "pre_election"
    assert s.stage_at(datetime(2026, 1, 1, tzinfo=UTC)) == "post_election"
    assert s.stage_at(None) is None


def test_env_overrides_file_and_kwargs_override_env(tmp_path, monkeypatch):
    cfg = tmp_path / "p.yaml"
    cfg.write_text("database_url: sqlite:///from-file.db\nbatch_size: 7\n")
    assert load_settings(cfg).database_url == "sqlite:///from-file.db"
    monkeypatch.setenv("PANTAU_DATABASE_URL", "sqlite:///from-env.db")
    monkeypatch.setenv("PANTAU_BATCH_SIZE", "9")
    s = load_settings(cfg)
    assert (s.database_url, s.batch_size) == ("sqlite:///from-env.db", 9)
    assert load_settings(cfg, database_url="sqlite:///kw.db").database_url == "sqlite:///kw.db"


def test_relative_source_locations_resolve_against_the_config_folder(tmp_path):
    (tmp_path / "feeds").mkdir()
    cfg = tmp_path / "p.yaml"
    cfg.write_text(
        "sources:\n  - {name: a, kind: rss, location: feeds/a.xml}\n"
        "  - {name: b, kind: rss, location: 'https://example.org/rss'}\n"
    )
    s = load_settings(cfg)
    assert s.sources[0].location == str(tmp_path / "feeds" / "a.xml")
    assert s.sources[1].location == "https://example.org/rss"


def test_a_relative_map_geojson_resolves_against_the_config_folder(tmp_path, monkeypatch):
    cfg = tmp_path / "conf" / "p.yaml"
    cfg.parent.mkdir()
    cfg.write_text("map:\n  geojson: peta/kecamatan.geojson\n")
    monkeypatch.chdir(tmp_path)  # not the config's folder
    s = load_settings(cfg)
    expected = str(tmp_path / "conf" / "peta" / "kecamatan.geojson")
    assert s.map.geojson == expected and s.region_config.map.geojson == expected


@pytest.mark.parametrize(
    "body, field, words",
    [
        ("sources:\n  - {name: a, kind: rss}\n", "sources[0].location", "Field required"),
        ("batch_size: lots\n", "batch_size", "valid integer"),
        ("stages:\n  - {name: a, start: 2024-02-01, end: 2024-01-01}\n", "stages[0]", "before start"),
        ("alerts:\n  thresholds: {rumour: 0.5}\n", "alerts.thresholds.rumour", "'rumour' is not one of hoax"),
        ("timezone: Mars/Olympus\n", "timezone", "unknown time zone"),
        (
            "sources:\n  - {name: a, kind: rss, location: x, actor: nobody}\n",
            "sources[0].actor",
            "'nobody' is not one of (no actors declared)",
        ),
        ("candidates:\n  - {id: c1, name: Someone}\n", "candidates[0]", "needs a 'reference'"),
        ("colour: blue\n", "colour", "Extra inputs are not permitted"),
    ],
)
def test_bad_config_names_the_field_and_problem(tmp_path, body, field, words):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(body)
    with pytest.raises(ConfigError) as err:
        load_settings(cfg)
    message = str(err.value)
    assert str(cfg) in message and words in message
    if field != "(top level)":
        assert field in message


def test_invalid_yaml_and_missing_file(tmp_path):
    cfg = tmp_path / "broken.yaml"
    cfg.write_text("sources: [\n  - oops: : :\n")
    with pytest.raises(ConfigError, match="invalid YAML at line"):
        load_settings(cfg)
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "missing.yaml")
    cfg.write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_settings(cfg)


def test_place_names_come_from_the_region_its_place_words_and_districts():
    from pantau.domain.config import PantauConfig

    region = PantauConfig.model_validate(
        {
            "region": "Pamekasan",
            "place_words": ["Madura", " madura ", ""],
            "districts": [
                {"name": "Pademawu", "variants": ["Pademmawu"]},
                {"name": "Pamekasan", "name_is_unambiguous": False, "variants": ["Kota Pamekasan"]},
            ],
        }
    )
    assert region.region_names() == ["Pamekasan", "Madura"]
    assert region.place_names() == ["Pamekasan", "Madura", "Pademawu", "Pademmawu", "Kota Pamekasan"]
    bundled = load_settings(bundled_examples_dir() / "sampang.yaml").region_config
    assert bundled.region_names() == ["Sampang", "Madura", "Madur", "Jawa Timur"]
    assert {"Camplong", "Camplông", "Karang Penang"} <= set(bundled.place_names())
