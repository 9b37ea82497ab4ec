"""The forum's record (issue 15): links items carry, attribution, escalations that stay open,
assignments, reviewer claims, notifications for escalations.

* ``items.link_url``: a URL a tip or post carries but does not own (never used as an identity).
* ``counter_narratives``: ``item_id`` may be empty when a reviewer recorded a URL (``url``);
  ``attribution`` (why the actor is credited), ``confirmed_by`` / ``confirmed_at``, and for a URL
  answer ``fetch_attempts`` / ``fetched_at`` / ``fetch_error`` (its page fetched by the monitoring run).
* ``claims``: ``origin`` (auto, reviewer, split) and ``merged_into_id``.
* ``escalations``: ``status`` (open until the receiving organisation acknowledges or closes it),
  ``resolved_at``, ``resolved_by``, ``resolution_note``.
* ``item_assignments``: who owns an item in the review queue.
* ``notification_deliveries``: rows for an escalation (``escalation_id``) as well as for an alert.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ATTRIBUTIONS = "attribution IS NULL OR attribution IN ('source', 'confirmed', 'reviewer', 'mentioned')"


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("link_url", sa.Text(), nullable=True))
        batch.create_index("ix_items_link_url", ["link_url"])
    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("origin", sa.String(), server_default="auto", nullable=False))
        batch.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_claims_merged_into_id_claims"), "claims", ["merged_into_id"], ["id"]
        )
        batch.create_index("ix_claims_merged_into_id", ["merged_into_id"])
        batch.create_check_constraint("origin", "origin IN ('auto', 'reviewer', 'split')")
    with op.batch_alter_table("counter_narratives") as batch:
        batch.alter_column("item_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("url", sa.Text(), nullable=True))
        batch.add_column(sa.Column("attribution", sa.String(), nullable=True))
        batch.add_column(sa.Column("fetch_attempts", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("fetched_at", _ts(), nullable=True))
        batch.add_column(sa.Column("fetch_error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("confirmed_by", sa.String(), nullable=True))
        batch.add_column(sa.Column("confirmed_at", _ts(), nullable=True))
        batch.create_unique_constraint(op.f("uq_counter_narratives_url_claim_id"), ["url", "claim_id"])
        batch.create_check_constraint("target", "item_id IS NOT NULL OR url IS NOT NULL")
        batch.create_check_constraint("attribution", _ATTRIBUTIONS)
    with op.batch_alter_table("escalations") as batch:
        batch.add_column(sa.Column("status", sa.String(), server_default="open", nullable=False))
        batch.add_column(sa.Column("resolved_at", _ts(), nullable=True))
        batch.add_column(sa.Column("resolved_by", sa.String(), nullable=True))
        batch.add_column(sa.Column("resolution_note", sa.Text(), nullable=True))
        batch.create_check_constraint("status", "status IN ('open', 'acknowledged', 'closed')")
        batch.create_index("ix_escalations_to_organisation_id_status", ["to_organisation_id", "status"])
    op.create_table(
        "item_assignments",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by", sa.String(), nullable=False),
        sa.Column("assigned_at", _ts(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_item_assignments_item_id_items"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_item_assignments_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_item_assignments")),
    )
    op.create_index("ix_item_assignments_user_id", "item_assignments", ["user_id"])
    with op.batch_alter_table("notification_deliveries") as batch:
        batch.alter_column("alert_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("escalation_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_notification_deliveries_escalation_id_escalations"),
            "escalations",
            ["escalation_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_unique_constraint(
            op.f("uq_notification_deliveries_escalation_id_channel"), ["escalation_id", "channel"]
        )
        batch.create_check_constraint("target", "alert_id IS NOT NULL OR escalation_id IS NOT NULL")


def downgrade() -> None:
    op.execute("DELETE FROM notification_deliveries WHERE alert_id IS NULL")
    with op.batch_alter_table("notification_deliveries") as batch:
        batch.drop_constraint(op.f("ck_notification_deliveries_target"), type_="check")
        batch.drop_constraint(op.f("uq_notification_deliveries_escalation_id_channel"), type_="unique")
        batch.drop_constraint(
            op.f("fk_notification_deliveries_escalation_id_escalations"), type_="foreignkey"
        )
        batch.drop_column("escalation_id")
        batch.alter_column("alert_id", existing_type=sa.Integer(), nullable=False)
    op.drop_index("ix_item_assignments_user_id", table_name="item_assignments")
    op.drop_table("item_assignments")
    with op.batch_alter_table("escalations") as batch:
        batch.drop_index("ix_escalations_to_organisation_id_status")
        batch.drop_constraint(op.f("ck_escalations_status"), type_="check")
        for column in ("resolution_note", "resolved_by", "resolved_at", "status"):
            batch.drop_column(column)
    op.execute("DELETE FROM counter_narratives WHERE item_id IS NULL")
    with op.batch_alter_table("counter_narratives") as batch:
        batch.drop_constraint(op.f("ck_counter_narratives_attribution"), type_="check")
        batch.drop_constraint(op.f("ck_counter_narratives_target"), type_="check")
        batch.drop_constraint(op.f("uq_counter_narratives_url_claim_id"), type_="unique")
        for column in (
            "fetch_error",
            "fetched_at",
            "fetch_attempts",
            "confirmed_at",
            "confirmed_by",
            "attribution",
            "url",
        ):
            batch.drop_column(column)
        batch.alter_column("item_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("claims") as batch:
        batch.drop_constraint(op.f("ck_claims_origin"), type_="check")
        batch.drop_index("ix_claims_merged_into_id")
        batch.drop_constraint(op.f("fk_claims_merged_into_id_claims"), type_="foreignkey")
        batch.drop_column("merged_into_id")
        batch.drop_column("origin")
    with op.batch_alter_table("items") as batch:
        batch.drop_index("ix_items_link_url")
        batch.drop_column("link_url")
