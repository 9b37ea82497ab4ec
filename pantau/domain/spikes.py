"""Volume spikes: when flagged items about one district and signal suddenly outnumber their usual rate.

Pure functions, no I/O. Per (district, signal) the caller counts flagged items (by item time:
``published_at``, else ``collected_at``) in the recent window ``[now - window, now)`` and in the baseline
period before it. The expected count is the baseline rate scaled to the window, but never below
``min_expected`` (default 2): a district with no history (or a fresh database) needs ``ratio`` times
that and a Poisson z-score of ``z`` (7 items with the defaults), not just ``min_count``. A spike needs
all three: ``count >= min_count``, ``count / expected >= ratio``, ``(count - expected) / sqrt(expected)
>= z``. Severity is medium, high when the observed ratio reaches twice the configured one or the stage
is a hot one (quiet period, voting day, counting). The baseline only covers time the monitor was
running (``coverage_start``), so a young database does not make every district look quiet.

De-duplication: the dedupe key holds the window-aligned bucket of the window's end (UTC epoch
multiples of ``window``), so reruns in one bucket raise nothing new; and a pair whose earlier spike
alert's window overlaps the current window is skipped, so a spike that persists raises one alert per
window length, not one per run.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pantau.domain.alert_rules import HOT_STAGES, AlertDraft
from pantau.domain.config import SpikeConfig
from pantau.domain.durations import format_duration

MAX_ITEM_IDS = 20
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class SpikePeriod:
    """The recent window ``[window_start, window_end)`` and the baseline ``[baseline_start, window_start)``.

    ``baseline_start`` is the configured one, or when monitoring began if that is later (then the
    baseline is shorter, possibly empty).
    """

    window_start: datetime
    window_end: datetime
    baseline_start: datetime

    @classmethod
    def ending_at(
        cls, now: datetime, config: SpikeConfig, *, coverage_start: datetime | None = None
    ) -> SpikePeriod:
        """The period for a check at ``now``; ``coverage_start``: the first collection, if known."""
        end = _utc(now)
        start = end - config.window
        baseline_start = start - config.baseline
        if coverage_start is not None:
            baseline_start = min(max(baseline_start, _utc(coverage_start)), start)
        return cls(window_start=start, window_end=end, baseline_start=baseline_start)

    @property
    def window(self) -> timedelta:
        return self.window_end - self.window_start

    @property
    def baseline(self) -> timedelta:
        return self.window_start - self.baseline_start

    def bucket_start(self) -> datetime:
        """The start of the window-long UTC bucket (aligned on the epoch) that holds ``window_end``."""
        size = self.window.total_seconds()
        offset = (self.window_end - _EPOCH).total_seconds()
        return _EPOCH + timedelta(seconds=math.floor(offset / size) * size)


@dataclass(frozen=True, slots=True)
class PairCount:
    """Flagged items of one (district, signal): in the window, in the baseline, and the window's ids
    (ordered by item time). ``district`` None: items that name no district."""

    district: str | None
    signal: str
    count: int
    baseline_count: int
    item_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class SpikeTest:
    """The numbers behind a spike decision."""

    count: int
    expected: float
    ratio: float
    z: float
    is_spike: bool


@dataclass(frozen=True, slots=True)
class EarlierSpike:
    """The window of a spike alert already raised for a (district, signal)."""

    window_start: datetime
    window_end: datetime


def expected_count(baseline_count: int, period: SpikePeriod, min_expected: float) -> float:
    """The baseline rate scaled to the window, at least ``min_expected`` (also with no baseline)."""
    baseline_seconds = period.baseline.total_seconds()
    if baseline_seconds <= 0:
        return min_expected
    scaled = baseline_count * period.window.total_seconds() / baseline_seconds
    return max(scaled, min_expected)


def evaluate_pair(count: int, baseline_count: int, period: SpikePeriod, config: SpikeConfig) -> SpikeTest:
    """Whether ``count`` items in the window is a spike against ``baseline_count`` in the baseline."""
    expected = expected_count(baseline_count, period, config.min_expected)
    ratio = count / expected
    z = (count - expected) / math.sqrt(expected)
    spike = count >= config.min_count and ratio >= config.ratio and z >= config.z
    return SpikeTest(count=count, expected=expected, ratio=ratio, z=z, is_spike=spike)


def spike_severity(ratio: float, config: SpikeConfig, stage: str | None) -> str:
    """Medium; high when the ratio reaches twice the configured one or the stage is a hot one."""
    return "high" if ratio >= 2 * config.ratio or stage in HOT_STAGES else "medium"


def spike_dedupe_key(district: str | None, signal: str, period: SpikePeriod) -> str:
    """One key per (district, signal, window-aligned bucket of the window's end)."""
    return f"spike:{district or '-'}:{signal}:{period.bucket_start().isoformat()}"


def _overlaps(earlier: Iterable[EarlierSpike], period: SpikePeriod) -> bool:
    return any(
        _utc(e.window_start) < period.window_end and _utc(e.window_end) > period.window_start for e in earlier
    )


def spike_drafts(
    counts: Iterable[PairCount],
    period: SpikePeriod,
    config: SpikeConfig,
    *,
    stage: str | None,
    earlier: Mapping[tuple[str | None, str], Sequence[EarlierSpike]] | None = None,
) -> list[AlertDraft]:
    """The spike alerts to raise, one per spiking (district, signal) whose earlier spike alerts (if
    any) cover no part of this window; ordered by district, then signal."""
    earlier = earlier or {}
    drafts = []
    for pair in sorted(counts, key=lambda p: (p.district or "", p.signal)):
        result = evaluate_pair(pair.count, pair.baseline_count, period, config)
        if not result.is_spike or _overlaps(earlier.get((pair.district, pair.signal), ()), period):
            continue
        drafts.append(_draft(pair, result, period, config, stage))
    return drafts


def _draft(
    pair: PairCount, result: SpikeTest, period: SpikePeriod, config: SpikeConfig, stage: str | None
) -> AlertDraft:
    where = pair.district if pair.district else "no named district"
    reason = (
        f"{pair.count} {pair.signal} items about {where} in the last "
        f"{format_duration(period.window)}, expected {result.expected:.1f} "
        f"({result.ratio:.1f}x, z {result.z:.1f})"
    )
    return AlertDraft(
        kind="spike",
        severity=spike_severity(result.ratio, config, stage),
        reason=reason,
        dedupe_key=spike_dedupe_key(pair.district, pair.signal, period),
        signal=pair.signal,
        stage=stage,
        district=pair.district,
        details={
            "count": pair.count,
            "baseline_count": pair.baseline_count,
            "expected": round(result.expected, 3),
            "ratio": round(result.ratio, 3),
            "z": round(result.z, 3),
            "window_start": period.window_start.isoformat(),
            "window_end": period.window_end.isoformat(),
            "baseline_start": period.baseline_start.isoformat(),
            "item_ids": list(pair.item_ids[:MAX_ITEM_IDS]),
        },
    )
