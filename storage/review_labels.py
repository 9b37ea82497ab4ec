"""Reviewers' verdicts as training labels: a labelled JSONL row per reviewed item (``pantau labels export``).

The rows use the labelled format of ``pantau eval --data``: ``text`` plus 0/1 fields named like the
signals, with provenance fields beside them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Item, Review

#: Verdict -> training labels (``pantau eval``/training JSONL fields); not_checkable teaches nothing.
VERDICT_LABELS: dict[str, dict[str, int]] = {
    "hoax": {"hoax": 1},
    "misleading": {"hoax": 1},
    "true": {"hoax": 0},
    "tension_no_hoax": {"hoax": 0},
    "not_checkable": {},
}


def verdict_labels(session: Session, *, batch: int = 500) -> Iterator[dict[str, Any]]:
    """One labelled JSONL row per item with a verdict (its latest one), in item order.

    Rows have ``text`` (title + text), the signal fields of :data:`VERDICT_LABELS` (0/1), and
    ``id``, ``verdict``, ``organisation``, ``reviewed_at`` and ``group`` (``review:<organisation>``) as
    provenance. Verdicts that teach nothing (``not_checkable``) are left out.
    """
    latest: dict[int, Review] = {}
    verdicts = (
        select(Review)
        .where(Review.action == "verdict", Review.item_id.is_not(None))
        .order_by(Review.created_at, Review.id)
    )
    for review in session.scalars(verdicts):
        latest[review.item_id] = review  # type: ignore[index]
    ids = sorted(i for i, r in latest.items() if VERDICT_LABELS.get(r.verdict or ""))
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        for item_id, title, text in session.execute(
            select(Item.id, Item.title, Item.text).where(Item.id.in_(chunk)).order_by(Item.id)
        ):
            review = latest[item_id]
            joined = text if not title or text.startswith(title) else f"{title}. {text}"
            yield {
                "id": f"item:{item_id}",
                "text": joined,
                **VERDICT_LABELS[review.verdict or ""],
                "verdict": review.verdict,
                "organisation": review.organisation,
                "reviewed_at": review.created_at.isoformat(),
                "group": f"review:{review.organisation}",
            }
