"""The alert-rule steps after matching (Prefect-free): volume spikes, and one alert per claim.

After classification and matching, count flagged items per (district, signal) in the recent window
and the rolling baseline (``storage.spike_counts``), decide spikes (``pantau.domain.spikes``) and raise
one ``spike`` alert per spiking pair, created at ``now`` with the stage current at ``now``. Raising is
idempotent (the dedupe key holds the window bucket) and a pair whose earlier spike alert covers part of
the window is skipped, so rerunning the step raises nothing new. ``fold_claims`` folds the open
alerts of each claim's items into one per kind and signal (``storage.alert_dedupe``) when
``alerts.dedupe_claims`` is on.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from flows.resources import engine_for
from pantau.domain.config import PantauConfig
from pantau.domain.spikes import SpikePeriod, spike_drafts
from storage.alert_dedupe import fold_claim_alerts
from storage.alerts import raise_alert
from storage.columns import as_utc
from storage.spike_counts import coverage_start, earlier_spikes, flagged_counts


def detect_spikes(database_url: str, config: dict[str, Any], now: datetime | None = None) -> dict[str, int]:
    """Raise spike alerts for the window ending at ``now`` (default: the current time); return counts.

    Counts: ``checked`` (district, signal pairs with flagged items in the window or baseline),
    ``spikes`` (pairs that spike now, raised or already raised), ``raised`` (new alerts).
    Nothing is checked when ``alerts.spikes.enabled`` is false, nor while the baseline covers less than
    ``alerts.spikes.min_history`` of collecting (``warming_up`` is then 1).
    """
    region = PantauConfig.model_validate(config)
    spikes = region.alerts.spikes
    if not spikes.enabled:
        return {"checked": 0, "spikes": 0, "raised": 0, "warming_up": 0}
    now = as_utc(now) if now else datetime.now(UTC)
    stage = region.stage_at(now)
    with Session(engine_for(database_url)) as session, session.begin():
        period = SpikePeriod.ending_at(now, spikes, coverage_start=coverage_start(session))
        if period.baseline < spikes.min_history:
            return {"checked": 0, "spikes": 0, "raised": 0, "warming_up": 1}
        counts = flagged_counts(session, period)
        drafts = spike_drafts(counts, period, spikes, stage=stage, earlier=earlier_spikes(session, period))
        raised = 0
        for draft in drafts:
            _, created = raise_alert(
                session,
                kind=draft.kind,
                severity=draft.severity,
                reason=draft.reason,
                dedupe_key=draft.dedupe_key,
                signal=draft.signal,
                stage=draft.stage,
                district=draft.district,
                details=draft.details,
                now=now,
            )
            raised += created
    return {"checked": len(counts), "spikes": len(drafts), "raised": raised, "warming_up": 0}


def fold_claims(
    database_url: str, config: dict[str, Any], claim_ids: list[int] | None = None, now: datetime | None = None
) -> dict[str, int]:
    """Fold each claim's open alerts (or only those of ``claim_ids``) unless ``alerts.dedupe_claims`` is
    off; returns ``{"folded": n}``."""
    region = PantauConfig.model_validate(config)
    if not region.alerts.dedupe_claims:
        return {"folded": 0}
    with Session(engine_for(database_url)) as session, session.begin():
        return {"folded": fold_claim_alerts(session, claim_ids, now=now)}
