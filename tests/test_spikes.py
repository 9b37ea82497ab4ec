"""Spike rules (pantau.domain.spikes): thresholds at their boundaries, the no-history floor, ratio
against z, window buckets in the dedupe key, suppression by an earlier overlapping spike, severity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pantau.domain.config import SpikeConfig
from pantau.domain.spikes import (
    EarlierSpike,
    PairCount,
    SpikePeriod,
    evaluate_pair,
    expected_count,
    spike_dedupe_key,
    spike_drafts,
    spike_severity,
)

NOW = datetime(2024, 11, 27, 10, 20, tzinfo=UTC)
DEFAULT = SpikeConfig()  # window 1h, baseline 7d, min_count 5, ratio 3, z 3, min_expected 2


def _period(now: datetime = NOW, config: SpikeConfig = DEFAULT, **kwargs) -> SpikePeriod:
    return SpikePeriod.ending_at(now, config, **kwargs)


def test_period_bounds_and_coverage():
    p = _period()
    assert p.window_start == NOW - timedelta(hours=1) and p.window_end == NOW
    assert p.baseline_start == NOW - timedelta(hours=1, days=7)
    young = _period(coverage_start=NOW - timedelta(days=2))
    assert young.baseline_start == NOW - timedelta(days=2) and young.baseline == timedelta(days=2, hours=-1)
    fresh = _period(coverage_start=NOW - timedelta(minutes=10))  # began inside the window: no baseline
    assert fresh.baseline == timedelta(0)
    naive = SpikePeriod.ending_at(NOW.replace(tzinfo=None), DEFAULT)
    assert naive == p


def test_expected_scales_the_baseline_and_keeps_the_floor():
    p = _period()
    assert expected_count(168 * 4, p, 2.0) == pytest.approx(4.0)  # 4 an hour over 7 days
    assert expected_count(168, p, 2.0) == 2.0  # 1 an hour: the floor
    assert expected_count(0, p, 2.0) == 2.0
    assert expected_count(50, _period(coverage_start=NOW), 2.0) == 2.0  # no baseline period at all


def test_no_history_needs_more_than_min_count():
    p = _period()
    assert not evaluate_pair(5, 0, p, DEFAULT).is_spike  # ratio 2.5
    six = evaluate_pair(6, 0, p, DEFAULT)
    assert six.ratio == pytest.approx(3.0) and six.z < 3 and not six.is_spike
    seven = evaluate_pair(7, 0, p, DEFAULT)
    assert seven.z == pytest.approx(5 / 2**0.5) and seven.is_spike


def test_min_count_boundary():
    config = SpikeConfig(min_count=8, min_expected=0.5)
    p = _period(config=config)
    assert not evaluate_pair(7, 0, p, config).is_spike  # ratio 14, z 9.2 but under min_count
    assert evaluate_pair(8, 0, p, config).is_spike


def test_ratio_and_z_are_both_required():
    p = _period()
    busy = 168 * 20  # 20 an hour: z passes long before the ratio does
    result = evaluate_pair(40, busy, p, DEFAULT)
    assert result.expected == pytest.approx(20) and result.z > 3 and result.ratio < 3 and not result.is_spike
    assert evaluate_pair(60, busy, p, DEFAULT).is_spike  # ratio exactly 3, z 8.9
    lax_ratio = SpikeConfig(ratio=1.5, z=6.0)  # now z decides: 20 + 6*sqrt(20) = 46.8
    assert not evaluate_pair(46, busy, p, lax_ratio).is_spike
    assert evaluate_pair(47, busy, p, lax_ratio).is_spike


def test_bucket_is_window_aligned():
    assert _period().bucket_start() == datetime(2024, 11, 27, 10, 0, tzinfo=UTC)
    same = _period(NOW + timedelta(minutes=39, seconds=59))
    assert spike_dedupe_key("Omben", "hoax", same) == spike_dedupe_key("Omben", "hoax", _period())
    assert spike_dedupe_key("Omben", "hoax", _period(NOW + timedelta(minutes=40))).endswith(
        "2024-11-27T11:00:00+00:00"
    )
    assert spike_dedupe_key(None, "sara", _period()) == "spike:-:sara:2024-11-27T10:00:00+00:00"
    day = SpikeConfig(window="1d")
    assert _period(config=day).bucket_start() == datetime(2024, 11, 27, tzinfo=UTC)


def test_severity():
    assert spike_severity(3.0, DEFAULT, None) == "medium"
    assert spike_severity(5.99, DEFAULT, "campaign") == "medium"
    assert spike_severity(6.0, DEFAULT, None) == "high"
    assert spike_severity(3.0, DEFAULT, "voting_day") == "high"


def test_drafts_carry_the_numbers():
    ids = tuple(range(100, 130))
    pairs = [
        PairCount("Omben", "hoax", 30, 0, ids),
        PairCount("Torjun", "hoax", 3, 0, (1, 2, 3)),
        PairCount(None, "sara", 7, 168, tuple(range(7))),
    ]
    drafts = spike_drafts(pairs, _period(), DEFAULT, stage="campaign")
    assert [(d.district, d.signal) for d in drafts] == [(None, "sara"), ("Omben", "hoax")]
    none, omben = drafts
    assert omben.kind == "spike" and omben.severity == "high" and omben.stage == "campaign"
    assert omben.item_id is None and omben.dedupe_key == "spike:Omben:hoax:2024-11-27T10:00:00+00:00"
    assert omben.reason == "30 hoax items about Omben in the last 1h, expected 2.0 (15.0x, z 19.8)"
    assert omben.details["item_ids"] == list(range(100, 120))
    assert omben.details["count"] == 30 and omben.details["expected"] == 2.0
    assert omben.details["window_start"] == "2024-11-27T09:20:00+00:00"
    assert omben.details["window_end"] == "2024-11-27T10:20:00+00:00"
    assert omben.details["baseline_start"] == "2024-11-20T09:20:00+00:00"
    assert none.severity == "medium" and "no named district" in none.reason


def test_an_earlier_overlapping_spike_suppresses_until_a_window_has_passed():
    pair = [PairCount("Omben", "hoax", 30, 0)]
    first = _period(NOW - timedelta(minutes=15))
    earlier = {("Omben", "hoax"): [EarlierSpike(first.window_start, first.window_end)]}
    assert spike_drafts(pair, _period(), DEFAULT, stage=None, earlier=earlier) == []
    other_signal = {("Omben", "sara"): earlier[("Omben", "hoax")]}
    assert len(spike_drafts(pair, _period(), DEFAULT, stage=None, earlier=other_signal)) == 1
    later = _period(first.window_end + timedelta(hours=1))  # the windows only touch
    assert len(spike_drafts(pair, later, DEFAULT, stage=None, earlier=earlier)) == 1
