"""Saved searches that alert (issue 18).

* ``saved_searches``: a user's named filter of the alerts view (the URL's filter parameters as JSON),
  whether it notifies, and its two watermarks (``watermark``: the alert id the next scan starts above;
  ``high_water``: the highest alert id the last scan saw; item ids for a search saved from the item
  search page). See ``storage/saved_searches.py``.
* ``saved_search_notices``: one notification per saved search per matching run that found something.
* ``saved_search_matches``: each (saved search, alert) pair once, or for a search saved from the item
  search page each (saved search, item) pair once (unique constraints), with the notice that carried
  it and when its owner saw it.
* ``notification_deliveries.notice_id``: the outbox carries notices as well as alerts
  and escalations.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_TARGET = "alert_id IS NOT NULL OR escalation_id IS NOT NULL"
_NEW_TARGET = "alert_id IS NOT NULL OR escalation_id IS NOT NULL OR notice_id IS NOT NULL"


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _json() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "saved_searches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("view", sa.String(), server_default="alerts", nullable=False),
        sa.Column("filters", _json(), nullable=False),
        sa.Column("notify", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("watermark", sa.Integer(), server_default="0", nullable=False),
        sa.Column("high_water", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.Column("checked_at", _ts(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_saved_searches_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_searches")),
    )
    op.create_index("ix_saved_searches_user_id", "saved_searches", ["user_id"])
    op.create_table(
        "saved_search_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("saved_search_id", sa.Integer(), nullable=False),
        sa.Column("organisation", sa.String(), nullable=False),
        sa.Column("match_count", sa.Integer(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.ForeignKeyConstraint(
            ["saved_search_id"],
            ["saved_searches.id"],
            name=op.f("fk_saved_search_notices_saved_search_id_saved_searches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_search_notices")),
    )
    op.create_index("ix_saved_search_notices_saved_search_id", "saved_search_notices", ["saved_search_id"])
    op.create_table(
        "saved_search_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("saved_search_id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.Column("matched_at", _ts(), nullable=False),
        sa.Column("seen_at", _ts(), nullable=True),
        sa.CheckConstraint(
            "alert_id IS NOT NULL OR item_id IS NOT NULL", name=op.f("ck_saved_search_matches_target")
        ),
        sa.ForeignKeyConstraint(
            ["saved_search_id"],
            ["saved_searches.id"],
            name=op.f("fk_saved_search_matches_saved_search_id_saved_searches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_saved_search_matches_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_saved_search_matches_item_id_items"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["saved_search_notices.id"],
            name=op.f("fk_saved_search_matches_notice_id_saved_search_notices"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_search_matches")),
        sa.UniqueConstraint(
            "saved_search_id", "alert_id", name=op.f("uq_saved_search_matches_saved_search_id_alert_id")
        ),
        sa.UniqueConstraint(
            "saved_search_id", "item_id", name=op.f("uq_saved_search_matches_saved_search_id_item_id")
        ),
    )
    op.create_index("ix_saved_search_matches_alert_id", "saved_search_matches", ["alert_id"])
    op.create_index("ix_saved_search_matches_item_id", "saved_search_matches", ["item_id"])
    op.create_index("ix_saved_search_matches_notice_id", "saved_search_matches", ["notice_id"])
    op.create_index(
        "ix_saved_search_matches_saved_search_id_seen_at",
        "saved_search_matches",
        ["saved_search_id", "seen_at"],
    )
    with op.batch_alter_table("notification_deliveries") as batch:
        batch.add_column(sa.Column("notice_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_notification_deliveries_notice_id_saved_search_notices"),
            "saved_search_notices",
            ["notice_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_unique_constraint(
            op.f("uq_notification_deliveries_notice_id_channel"),
            ["notice_id", "channel"],
        )
        batch.drop_constraint(op.f("ck_notification_deliveries_target"), type_="check")
        batch.create_check_constraint("target", _NEW_TARGET)


def downgrade() -> None:
    op.execute("DELETE FROM notification_deliveries WHERE alert_id IS NULL AND escalation_id IS NULL")
    with op.batch_alter_table("notification_deliveries") as batch:
        batch.drop_constraint(op.f("ck_notification_deliveries_target"), type_="check")
        batch.drop_constraint(op.f("uq_notification_deliveries_notice_id_channel"), type_="unique")
        batch.drop_constraint(
            op.f("fk_notification_deliveries_notice_id_saved_search_notices"),
            type_="foreignkey",
        )
        batch.drop_column("notice_id")
        batch.create_check_constraint("target", _OLD_TARGET)
    op.drop_index("ix_saved_search_matches_saved_search_id_seen_at", table_name="saved_search_matches")
    op.drop_index("ix_saved_search_matches_notice_id", table_name="saved_search_matches")
    op.drop_index("ix_saved_search_matches_item_id", table_name="saved_search_matches")
    op.drop_index("ix_saved_search_matches_alert_id", table_name="saved_search_matches")
    op.drop_table("saved_search_matches")
    op.drop_index("ix_saved_search_notices_saved_search_id", table_name="saved_search_notices")
    op.drop_table("saved_search_notices")
    op.drop_index("ix_saved_searches_user_id", table_name="saved_searches")
    op.drop_table("saved_searches")
