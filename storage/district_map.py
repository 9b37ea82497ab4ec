"""The kecamatan map's counts: open (or acknowledged) high and critical alerts per district, with the
analysts' filters (their ``status`` and ``district`` are the map's own and are ignored)."""

from __future__ import annotations

import dataclasses

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.alert_search import AlertFilters, _filtered
from storage.models import Alert

OPEN_STATUSES = ("open", "acknowledged")
SEVERE = ("high", "critical")


def open_severe_counts(session: Session, filters: AlertFilters) -> dict[str | None, int]:
    """District (None: no district) -> open high/critical alerts matching ``filters``."""
    f = dataclasses.replace(filters, status=None, district=None)
    stmt = _filtered(select(Alert.district, func.count(Alert.id)), f, session.get_bind().dialect.name).where(
        Alert.status.in_(OPEN_STATUSES), Alert.severity.in_(SEVERE)
    )
    return {district: int(n) for district, n in session.execute(stmt.group_by(Alert.district))}
