"""Claims: spread columns on claims, reviewer state on counter-narratives, item-to-fact-check matches.

* ``claims`` gains ``last_seen_at``, ``item_count``, ``source_count``, ``districts`` (the spread, kept
  up to date by ``storage.claims.refresh_claim_spread``) and ``updated_at``.
* ``counter_narratives`` gains ``actor_category`` (media, polres, kodim, kpu, bawaslu, nu, other),
  ``rejected`` (a reviewer said the link is wrong; it is kept so automatic linking does not re-create
  it) and an index on ``item_id``.
* ``item_matches``: one row per (item, matched fact-check or counter-narrative item) with its calibrated
  score, the evidence behind a ``known_hoax`` alert.
* ``item_match_checks``: that the matching step has handled an item and in which role (``claim``,
  ``answer`` or ``other``), so items left unmatched by a crashed run are picked up by the next one.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _json() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.add_column("claims", sa.Column("last_seen_at", _ts(), nullable=True))
    op.add_column("claims", sa.Column("item_count", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("claims", sa.Column("source_count", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("claims", sa.Column("districts", _json(), nullable=False, server_default=sa.text("'[]'")))
    op.add_column("claims", sa.Column("updated_at", _ts(), nullable=True))

    op.add_column("counter_narratives", sa.Column("actor_category", sa.String(), nullable=True))
    op.add_column(
        "counter_narratives", sa.Column("rejected", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.create_index(op.f("ix_counter_narratives_item_id"), "counter_narratives", ["item_id"])

    op.create_table(
        "item_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("matched_item_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("backend", sa.String(), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_item_matches_item_id_items"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["matched_item_id"],
            ["items.id"],
            name=op.f("fk_item_matches_matched_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_matches")),
        sa.UniqueConstraint(
            "item_id", "matched_item_id", name=op.f("uq_item_matches_item_id_matched_item_id")
        ),
    )
    op.create_index(op.f("ix_item_matches_matched_item_id"), "item_matches", ["matched_item_id"])

    op.create_table(
        "item_match_checks",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("checked_at", _ts(), nullable=False),
        sa.CheckConstraint("role IN ('claim', 'answer', 'other')", name=op.f("ck_item_match_checks_role")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_item_match_checks_item_id_items"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_item_match_checks")),
    )


def downgrade() -> None:
    op.drop_table("item_match_checks")
    op.drop_index(op.f("ix_item_matches_matched_item_id"), table_name="item_matches")
    op.drop_table("item_matches")
    op.drop_index(op.f("ix_counter_narratives_item_id"), table_name="counter_narratives")
    with op.batch_alter_table("counter_narratives") as batch:
        batch.drop_column("rejected")
        batch.drop_column("actor_category")
    with op.batch_alter_table("claims") as batch:
        for column in ("updated_at", "districts", "source_count", "item_count", "last_seen_at"):
            batch.drop_column(column)
