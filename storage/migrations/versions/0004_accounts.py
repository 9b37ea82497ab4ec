"""Accounts and review work: organisations, users, API tokens, review locks, counter-narrative links,
escalations (the web app for reviewers and analysts), and an index on alerts (severity, created_at) for
the analyst views.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("name", name=op.f("uq_organisations_name")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("last_login_at", _ts(), nullable=True),
        sa.CheckConstraint("role IN ('admin', 'reviewer', 'analyst')", name=op.f("ck_users_role")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_users_organisation_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_index(op.f("ix_users_organisation_id"), "users", ["organisation_id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("last_used_at", _ts(), nullable=True),
        sa.Column("revoked_at", _ts(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(op.f("ix_api_tokens_user_id"), "api_tokens", ["user_id"])
    op.create_table(
        "review_locks",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("acquired_at", _ts(), nullable=False),
        sa.Column("expires_at", _ts(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_review_locks_item_id_items"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_review_locks_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_review_locks")),
    )
    op.create_index(op.f("ix_review_locks_user_id"), "review_locks", ["user_id"])
    op.create_table(
        "counter_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("counter_item_id", sa.Integer(), nullable=True),
        sa.Column("user_name", sa.String(), nullable=False),
        sa.Column("organisation", sa.String(), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.CheckConstraint(
            "url IS NOT NULL OR counter_item_id IS NOT NULL", name=op.f("ck_counter_links_target")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_counter_links_item_id_items"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["counter_item_id"], ["items.id"], name=op.f("fk_counter_links_counter_item_id_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counter_links")),
    )
    op.create_index(op.f("ix_counter_links_item_id"), "counter_links", ["item_id"])
    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("to_organisation_id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(), nullable=False),
        sa.Column("organisation", sa.String(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_escalations_item_id_items"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["to_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_escalations_to_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
    )
    op.create_index(op.f("ix_escalations_item_id"), "escalations", ["item_id"])
    op.create_index(op.f("ix_escalations_to_organisation_id"), "escalations", ["to_organisation_id"])
    op.create_index("ix_alerts_severity_created_at", "alerts", ["severity", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_alerts_severity_created_at", table_name="alerts")
    for table in ("escalations", "counter_links", "review_locks", "api_tokens", "users", "organisations"):
        op.drop_table(table)
