"""The hoax source prior: bundled list, config extensions, URL matching and score shifts."""

from __future__ import annotations

import math

import pytest
import yaml

from classifiers.source_prior import BUNDLED_LIST, SourcePrior, shift_probability
from pantau.domain.config import PantauConfig, SourcePriorConfig


def test_bundled_list_documents_its_sources_and_is_well_formed():
    text = BUNDLED_LIST.read_text(encoding="utf-8")
    assert "dewanpers.or.id" in text and "ifcncodeofprinciples.poynter.org" in text
    data = yaml.safe_load(text)
    for key in ("verified_outlets", "fact_checkers"):
        domains = [e["domain"] for e in data[key]]
        assert domains and len(domains) == len(set(domains))
        assert all(e.get("name") for e in data[key])
        assert all("://" not in d and " " not in d for d in domains)


@pytest.mark.parametrize(
    "url, kind",
    [
        ("https://www.kompas.com/read/2024/11/20/berita", "verified_outlet"),
        ("https://regional.kompas.com/read/2024/11/20/berita", "verified_outlet"),
        ("https://www.kompas.com/cekfakta/read/2024/11/20/hoaks-kpu", "fact_checker"),
        ("https://turnbackhoax.id/2024/11/25/salah-tps", "fact_checker"),
        ("https://radarmadura.jawapos.com/sampang/123/pilkada", "verified_outlet"),
        ("kompas.com/read/x", "verified_outlet"),
    ],
)
def test_bundled_entries_match_hosts_subdomains_and_paths(url, kind):
    found = SourcePrior.from_config().match(url)
    assert found is not None and found.kind == kind


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "https://notkompas.com/x",
        "https://kompas.com.evil.example/x",
        "https://blog-sampang.example/hoaks",
        "http://[::1",
        "mailto:x@y",
    ],
)
def test_unlisted_or_broken_urls_do_not_match(url):
    assert SourcePrior.from_config().match(url) is None


def test_config_extends_the_list_and_can_drop_the_bundled_one():
    config = SourcePriorConfig(
        verified_outlets=["https://www.Maduranews.example/"], low_credibility=["hoaxfarm.example"]
    )
    prior = SourcePrior.from_config(config)
    assert prior.match("https://maduranews.example/a").kind == "verified_outlet"
    assert prior.match("https://m.hoaxfarm.example/a").kind == "low_credibility"
    assert prior.match("https://kompas.com/a").kind == "verified_outlet"
    only_own = SourcePrior.from_config(SourcePriorConfig(use_bundled=False, fact_checkers=["cek.example"]))
    assert only_own.match("https://kompas.com/a") is None
    assert only_own.match("https://cek.example/b").kind == "fact_checker"


def test_region_config_carries_the_prior_settings():
    config = PantauConfig.model_validate(
        {"source_prior": {"verified_outlets": ["a.example"], "verified_outlet_shift": -1.0}}
    )
    assert config.source_prior.verified_outlets == ["a.example"]
    with pytest.raises(ValueError):
        PantauConfig.model_validate({"source_prior": {"verified_outlet_shift": 2.0}})


def test_shifts_move_log_odds_by_the_configured_amount():
    p = 0.8
    moved = shift_probability(p, -2.5)
    assert math.isclose(math.log(moved / (1 - moved)), math.log(4) - 2.5, rel_tol=1e-9)
    assert shift_probability(0.0, 1.0) < 1e-5 and shift_probability(1.0, -1.0) > 0.99


def test_apply_lowers_hoax_on_outlets_and_lifts_counter_narrative_on_fact_checkers():
    prior = SourcePrior.from_config()
    scores = {"hoax": 0.9, "counter_narrative": 0.4, "sara": 0.3}
    outlet, why = prior.apply(scores, "https://www.detik.com/jatim/berita/d-1/x")
    assert outlet["hoax"] < 0.45 and outlet["counter_narrative"] == 0.4 and outlet["sara"] == 0.3
    assert "Dewan Pers" in why.reason()
    checker, why = prior.apply(scores, "https://cekfakta.tempo.co/fakta/123")
    assert checker["hoax"] < 0.15 and checker["counter_narrative"] > 0.6
    same, none = prior.apply(scores, "https://t.me/s/kabar_sampang/1")
    assert same == scores and none is None
    assert scores["hoax"] == 0.9  # the input dict is not changed
