"""SQLAlchemy 2 models of Pantau's records, portable across SQLite and PostgreSQL.

The schema itself is created by the Alembic migrations in ``storage/migrations``; these classes must
stay in step with them (``tests/storage/test_storage_migrations.py`` checks that autogenerate finds no diff).
All timestamps are timezone-aware UTC (see :class:`storage.columns.UTCDateTime`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.columns import JSONType, UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ALERT_KINDS = ("flagged_item", "known_hoax", "spike", "silent_source", "run_failed")
SEVERITIES = ("low", "medium", "high", "critical")  # ascending
ALERT_STATUSES = ("open", "acknowledged", "resolved", "dismissed")
RUN_STATUSES = ("running", "completed", "failed")
LINK_METHODS = ("auto", "reviewer")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONType, list[str]: JSONType}


class Source(Base):
    """A configured source and its health (last success, last error, last item count)."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String, unique=True)
    kind: Mapped[str] = mapped_column(String)
    location: Mapped[str] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String)
    trust: Mapped[float] = mapped_column(Float, default=0.5)
    language: Mapped[str | None] = mapped_column(String)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_success_at: Mapped[datetime | None]
    last_error_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_item_count: Mapped[int | None] = mapped_column(Integer)


class Run(Base):
    """One monitoring run (usually one Prefect flow run) and the counts it recorded."""

    __tablename__ = "runs"
    __table_args__ = (CheckConstraint(_one_of("status", RUN_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flow_run_id: Mapped[str | None] = mapped_column(String)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String, default="running")
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class Claim(Base):
    """A cluster of items repeating one claim (near-duplicates and paraphrases)."""

    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    canonical_text: Mapped[str] = mapped_column(Text)
    first_seen_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String, default="unverified")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Item(Base):
    """One article or post, stored once however many sources and runs saw it.

    ``url`` is the canonical URL and ``content_hash`` the hash of the normalised title + text; both are
    unique, so a repeat by URL or by content collapses into this row (see :class:`ItemSighting`).
    """

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    first_run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), index=True)
    url: Mapped[str | None] = mapped_column(Text, unique=True)
    external_id: Mapped[str | None] = mapped_column(String)
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String)
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    collected_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    lang: Mapped[str | None] = mapped_column(String)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    stage: Mapped[str | None] = mapped_column(String, index=True)
    districts: Mapped[list[str]] = mapped_column(default=list)
    actors: Mapped[list[str]] = mapped_column(default=list)
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)


class ItemSighting(Base):
    """That a source (in a run) saw an item: keeps the spread across sources after duplicates collapse."""

    __tablename__ = "item_sightings"

    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), primary_key=True, index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), index=True)
    url: Mapped[str | None] = mapped_column(Text)  # where this source published it, if it had a URL
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class Score(Base):
    """The scores of one item by one model version (a probability per signal, flags, explanations)."""

    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("item_id", "model_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    model_version: Mapped[str] = mapped_column(String)
    scores: Mapped[dict[str, Any]] = mapped_column(default=dict)
    flags: Mapped[list[str]] = mapped_column(default=list)
    explanations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CounterNarrative(Base):
    """An item (debunk, clarification, fact-check) linked to the claim it answers."""

    __tablename__ = "counter_narratives"
    __table_args__ = (
        UniqueConstraint("item_id", "claim_id"),
        CheckConstraint(_one_of("link_method", LINK_METHODS), name="link_method"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    actor: Mapped[str | None] = mapped_column(String)
    published_at: Mapped[datetime | None]
    link_method: Mapped[str] = mapped_column(String, default="auto")
    confidence: Mapped[float | None] = mapped_column(Float)
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Alert(Base):
    """Why something needs eyes; ``dedupe_key`` makes raising the same alert twice a no-op."""

    __tablename__ = "alerts"
    __table_args__ = (
        CheckConstraint(_one_of("kind", ALERT_KINDS), name="kind"),
        CheckConstraint(_one_of("severity", SEVERITIES), name="severity"),
        CheckConstraint(_one_of("status", ALERT_STATUSES), name="status"),
        Index("ix_alerts_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String, index=True)
    signal: Mapped[str | None] = mapped_column(String, index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), index=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), index=True)
    severity: Mapped[str] = mapped_column(String)
    stage: Mapped[str | None] = mapped_column(String, index=True)
    district: Mapped[str | None] = mapped_column(String, index=True)
    status: Mapped[str] = mapped_column(String, default="open")
    reason: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    dedupe_key: Mapped[str] = mapped_column(String, unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlertEvent(Base):
    """One change of an alert's status (creation included: ``from_status`` is then None)."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    from_status: Mapped[str | None] = mapped_column(String)
    to_status: Mapped[str] = mapped_column(String)
    actor: Mapped[str] = mapped_column(String)
    note: Mapped[str | None] = mapped_column(Text)


class Review(Base):
    """Who decided what about an item or alert, and why. Append-only: the database rejects UPDATE and
    DELETE with triggers created by the migration.

    The column behind ``user`` is named ``user_name`` because ``user`` is a reserved word in PostgreSQL
    (``SELECT user FROM reviews`` silently returns the session user).
    """

    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint("item_id IS NOT NULL OR alert_id IS NOT NULL", name="target"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), index=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), index=True)
    user: Mapped[str] = mapped_column("user_name", String)
    organisation: Mapped[str | None] = mapped_column(String)
    action: Mapped[str] = mapped_column(String)
    verdict: Mapped[str | None] = mapped_column(String)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class HttpValidator(Base):
    """The ETag / Last-Modified of the last successful fetch of a URL (for conditional GETs)."""

    __tablename__ = "http_validators"

    url: Mapped[str] = mapped_column(Text, primary_key=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
