"""Unattended operation: crash bookkeeping on runs, the notification outbox, resumable backfills.

* ``runs``: ``host``, ``pid`` and ``heartbeat_at`` (a later run marks a run whose process is gone as
  ``crashed``), and the new status ``crashed``.
* ``notification_deliveries``: one row per (alert, channel); delivered at least once
  (see flows/notify/dispatch.py).
* ``backfills``: a period reprocessed with one model version, with its progress.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_RUN_STATUSES = "status IN ('running', 'completed', 'failed')"
_NEW_RUN_STATUSES = "status IN ('running', 'completed', 'failed', 'crashed')"


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("host", sa.String(), nullable=True))
        batch.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", _ts(), nullable=True))
        batch.drop_constraint(op.f("ck_runs_status"), type_="check")
        batch.create_check_constraint("status", _NEW_RUN_STATUSES)
    op.create_table(
        "notification_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("sent_at", _ts(), nullable=True),
        sa.Column("batch_id", sa.String(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed', 'dropped')",
            name=op.f("ck_notification_deliveries_status"),
        ),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_notification_deliveries_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_deliveries")),
        sa.UniqueConstraint("alert_id", "channel", name=op.f("uq_notification_deliveries_alert_id_channel")),
    )
    op.create_index(
        "ix_notification_deliveries_channel_status", "notification_deliveries", ["channel", "status"]
    )
    op.create_table(
        "backfills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(), nullable=False),
        sa.Column("period_start", _ts(), nullable=False),
        sa.Column("period_end", _ts(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.Column("finished_at", _ts(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('running', 'completed', 'failed')", name=op.f("ck_backfills_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backfills")),
        sa.UniqueConstraint(
            "model_version",
            "period_start",
            "period_end",
            name=op.f("uq_backfills_model_version_period_start_period_end"),
        ),
    )


def downgrade() -> None:
    op.drop_table("backfills")
    op.drop_index("ix_notification_deliveries_channel_status", table_name="notification_deliveries")
    op.drop_table("notification_deliveries")
    with op.batch_alter_table("runs") as batch:
        batch.drop_constraint(op.f("ck_runs_status"), type_="check")
        batch.create_check_constraint("status", _OLD_RUN_STATUSES)
        batch.drop_column("heartbeat_at")
        batch.drop_column("pid")
        batch.drop_column("host")
