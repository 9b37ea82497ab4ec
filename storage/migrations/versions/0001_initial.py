"""Initial schema: sources, runs, claims, items, sightings, scores, counter-narratives, alerts, reviews.

Also installs the triggers that make ``reviews`` append-only (UPDATE and DELETE are rejected) on both
SQLite and PostgreSQL.

Revision ID: 0001
Revises:
Create Date: 2024-08-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REVIEWS_APPEND_ONLY = "reviews are append-only: add a new review instead of changing or deleting one"


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _json() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "claims",
        _id(),
        sa.Column("canonical_text", sa.Text(), nullable=False),
        sa.Column("first_seen_at", _ts(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
    )
    op.create_table(
        "runs",
        _id(),
        sa.Column("flow_run_id", sa.String(), nullable=True),
        sa.Column("started_at", _ts(), nullable=False),
        sa.Column("finished_at", _ts(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("counts", _json(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('running', 'completed', 'failed')", name=op.f("ck_runs_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_index(op.f("ix_runs_started_at"), "runs", ["started_at"])

    op.create_table(
        "sources",
        _id(),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(), nullable=True),
        sa.Column("trust", sa.Float(), nullable=False),
        sa.Column("language", sa.String(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("last_success_at", _ts(), nullable=True),
        sa.Column("last_error_at", _ts(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_item_count", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("name", name=op.f("uq_sources_name")),
    )

    op.create_table(
        "items",
        _id(),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("first_run_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("external_id", sa.String(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(), nullable=True),
        sa.Column("published_at", _ts(), nullable=True),
        sa.Column("collected_at", _ts(), nullable=False),
        sa.Column("lang", sa.String(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(), nullable=True),
        sa.Column("districts", _json(), nullable=False),
        sa.Column("actors", _json(), nullable=False),
        sa.Column("raw", _json(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], name=op.f("fk_items_claim_id_claims")),
        sa.ForeignKeyConstraint(["first_run_id"], ["runs.id"], name=op.f("fk_items_first_run_id_runs")),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], name=op.f("fk_items_source_id_sources")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
        sa.UniqueConstraint("content_hash", name=op.f("uq_items_content_hash")),
        sa.UniqueConstraint("url", name=op.f("uq_items_url")),
    )
    for column in ("claim_id", "collected_at", "first_run_id", "published_at", "source_id", "stage"):
        op.create_index(op.f(f"ix_items_{column}"), "items", [column])

    op.create_table(
        "item_sightings",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("seen_at", _ts(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_item_sightings_item_id_items"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_item_sightings_run_id_runs")),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_item_sightings_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("item_id", "source_id", name=op.f("pk_item_sightings")),
    )
    op.create_index(op.f("ix_item_sightings_run_id"), "item_sightings", ["run_id"])
    op.create_index(op.f("ix_item_sightings_source_id"), "item_sightings", ["source_id"])

    op.create_table(
        "scores",
        _id(),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(), nullable=False),
        sa.Column("scores", _json(), nullable=False),
        sa.Column("flags", _json(), nullable=False),
        sa.Column("explanations", _json(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_scores_item_id_items"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scores")),
        sa.UniqueConstraint("item_id", "model_version", name=op.f("uq_scores_item_id_model_version")),
    )

    op.create_table(
        "counter_narratives",
        _id(),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(), nullable=True),
        sa.Column("published_at", _ts(), nullable=True),
        sa.Column("link_method", sa.String(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.CheckConstraint(
            "link_method IN ('auto', 'reviewer')", name=op.f("ck_counter_narratives_link_method")
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_counter_narratives_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_counter_narratives_item_id_items")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counter_narratives")),
        sa.UniqueConstraint("item_id", "claim_id", name=op.f("uq_counter_narratives_item_id_claim_id")),
    )
    op.create_index(op.f("ix_counter_narratives_claim_id"), "counter_narratives", ["claim_id"])

    op.create_table(
        "alerts",
        _id(),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("signal", sa.String(), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("severity", sa.String(), nullable=False),
        sa.Column("stage", sa.String(), nullable=True),
        sa.Column("district", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("details", _json(), nullable=False),
        sa.Column("dedupe_key", sa.String(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('flagged_item', 'known_hoax', 'spike', 'silent_source', 'run_failed')",
            name=op.f("ck_alerts_kind"),
        ),
        sa.CheckConstraint(
            "severity IN ('low', 'medium', 'high', 'critical')", name=op.f("ck_alerts_severity")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'acknowledged', 'resolved', 'dismissed')", name=op.f("ck_alerts_status")
        ),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], name=op.f("fk_alerts_claim_id_claims")),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_alerts_item_id_items")),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], name=op.f("fk_alerts_source_id_sources")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_alerts_dedupe_key")),
    )
    for column in ("claim_id", "created_at", "district", "item_id", "kind", "signal", "source_id", "stage"):
        op.create_index(op.f(f"ix_alerts_{column}"), "alerts", [column])
    op.create_index("ix_alerts_status_created_at", "alerts", ["status", "created_at"])

    op.create_table(
        "alert_events",
        _id(),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("at", _ts(), nullable=False),
        sa.Column("from_status", sa.String(), nullable=True),
        sa.Column("to_status", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_alert_events_alert_id_alerts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_events")),
    )
    op.create_index(op.f("ix_alert_events_alert_id"), "alert_events", ["alert_id"])

    op.create_table(
        "reviews",
        _id(),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("user_name", sa.String(), nullable=False),
        sa.Column("organisation", sa.String(), nullable=True),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("verdict", sa.String(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.CheckConstraint("item_id IS NOT NULL OR alert_id IS NOT NULL", name=op.f("ck_reviews_target")),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], name=op.f("fk_reviews_alert_id_alerts")),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_reviews_item_id_items")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
    )
    for column in ("alert_id", "created_at", "item_id"):
        op.create_index(op.f(f"ix_reviews_{column}"), "reviews", [column])

    _create_review_triggers()


def _create_review_triggers() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION pantau_reviews_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{REVIEWS_APPEND_ONLY}' USING ERRCODE = 'restrict_violation';
            END;
            $$
        """)
        op.execute("""
            CREATE TRIGGER reviews_append_only BEFORE UPDATE OR DELETE ON reviews
            FOR EACH ROW EXECUTE FUNCTION pantau_reviews_append_only()
        """)
        op.execute("""
            CREATE TRIGGER reviews_no_truncate BEFORE TRUNCATE ON reviews
            FOR EACH STATEMENT EXECUTE FUNCTION pantau_reviews_append_only()
        """)
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"""
                CREATE TRIGGER reviews_no_{event.lower()} BEFORE {event} ON reviews
                BEGIN
                    SELECT RAISE(ABORT, '{REVIEWS_APPEND_ONLY}');
                END
            """)


def _drop_review_triggers() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS reviews_no_truncate ON reviews")
        op.execute("DROP TRIGGER IF EXISTS reviews_append_only ON reviews")
        op.execute("DROP FUNCTION IF EXISTS pantau_reviews_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS reviews_no_update")
        op.execute("DROP TRIGGER IF EXISTS reviews_no_delete")


def downgrade() -> None:
    _drop_review_triggers()
    for table in (
        "reviews",
        "alert_events",
        "alerts",
        "counter_narratives",
        "scores",
        "item_sightings",
        "items",
        "sources",
        "runs",
        "claims",
    ):
        op.drop_table(table)
