"""Stored URLs in the canonical form of issue 17 (courlan plus Pantau's short list: tracking and AMP
parameters, ``/amp`` suffixes, ``www.``/``m.``/``mobile.``/``amp.`` hosts folded, punycode hosts).

``items.url``, ``items.link_url`` and ``item_sightings.url`` hold ``canonical_url`` values and are
matched by equality, so rows written before the change would no longer meet a new copy of the same
page. Each is recomputed. ``items.url`` is unique: when two stored items fold to one URL (a ``www.``
row and an ``m.`` row of one article), the one whose URL is already canonical, else the oldest, takes
it, and the others keep their old URL (they stay separate items, as they were; merging stored items
is not a migration's job). The downgrade leaves the URLs as they are (the old form cannot be
recovered, and the old code reads the new form fine).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from pantau.domain.text import canonical_url

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 2000


def upgrade() -> None:
    bind = op.get_bind()
    items = sa.table(
        "items", sa.column("id", sa.Integer), sa.column("url", sa.Text), sa.column("link_url", sa.Text)
    )
    sightings = sa.table(
        "item_sightings",
        sa.column("item_id", sa.Integer),
        sa.column("source_id", sa.Integer),
        sa.column("url", sa.Text),
    )

    rows = bind.execute(
        sa.select(items.c.id, items.c.url).where(items.c.url.is_not(None)).order_by(items.c.id)
    )
    changes = [(row_id, url, canonical_url(url)) for row_id, url in rows]
    taken = {url for _, url, new in changes if new == url}  # already canonical: they keep their URL
    updates = []
    for row_id, url, new in changes:
        if new != url and new and new not in taken:
            taken.add(new)
            updates.append({"b_k0": row_id, "b_url": new})
    _update(bind, items, ("id",), "url", updates)

    rows = bind.execute(sa.select(items.c.id, items.c.link_url).where(items.c.link_url.is_not(None)))
    _update(bind, items, ("id",), "link_url", _changed(rows, 1))
    rows = bind.execute(
        sa.select(sightings.c.item_id, sightings.c.source_id, sightings.c.url).where(
            sightings.c.url.is_not(None)
        )
    )
    _update(bind, sightings, ("item_id", "source_id"), "url", _changed(rows, 2))


def _changed(rows: sa.CursorResult, keys: int) -> list[dict]:
    """Bind values for the rows whose URL (the last column) changes form."""
    values = []
    for row in rows:
        new = canonical_url(row[-1])
        if new and new != row[-1]:
            values.append({**{f"b_k{i}": row[i] for i in range(keys)}, "b_url": new})
    return values


def _update(
    bind: sa.Connection, table: sa.TableClause, keys: tuple[str, ...], column: str, values: list[dict]
) -> None:
    where = sa.and_(*(table.c[key] == sa.bindparam(f"b_k{i}") for i, key in enumerate(keys)))
    statement = table.update().where(where).values({column: sa.bindparam("b_url")})
    for start in range(0, len(values), _BATCH):
        bind.execute(statement, values[start : start + _BATCH])


def downgrade() -> None:
    pass
