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
    false,
    text,
    true,
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
RUN_STATUSES = ("running", "completed", "failed", "crashed")
DELIVERY_STATUSES = ("pending", "sent", "failed", "dropped")
BACKFILL_STATUSES = ("running", "completed", "failed")
LINK_METHODS = ("auto", "reviewer")
# Why a counter-narrative is credited to its actor (issue 15), strongest first: the source's configured
# actor published it, the organisation that confirmed the link published it, a reviewer's organisation
# recorded it (a URL), or only the text names the actor.
ATTRIBUTIONS = ("source", "confirmed", "reviewer", "mentioned")
ESCALATION_STATUSES = ("open", "acknowledged", "closed")
CLAIM_ORIGINS = ("auto", "reviewer", "split")
MATCH_ROLES = ("claim", "answer", "other")


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
    # Where the run's process lives, so a later run can tell a crashed run from one still going.
    host: Mapped[str | None] = mapped_column(String)
    pid: Mapped[int | None] = mapped_column(Integer)
    heartbeat_at: Mapped[datetime | None]


class Claim(Base):
    """A cluster of items repeating one claim (near-duplicates and paraphrases)."""

    __tablename__ = "claims"
    __table_args__ = (CheckConstraint(_one_of("origin", CLAIM_ORIGINS), name="origin"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    canonical_text: Mapped[str] = mapped_column(Text)
    first_seen_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String, default="unverified")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The spread, recomputed from the member items by storage.claims.refresh_claim_spread.
    last_seen_at: Mapped[datetime | None]
    item_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # how the claim started: the matching step ('auto'), a reviewer's hoax verdict, or a split
    origin: Mapped[str] = mapped_column(String, default="auto", server_default="auto")
    # set when a reviewer merged this claim into another (its items and links moved there)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)
    source_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    districts: Mapped[list[str]] = mapped_column(default=list, server_default=text("'[]'"))
    updated_at: Mapped[datetime | None] = mapped_column(default=utcnow)


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
    # a URL the item carries but does not own (a tip or post that shares a link): never an identity
    link_url: Mapped[str | None] = mapped_column(Text, index=True)
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
    """An item (debunk, clarification, fact-check), or a URL a reviewer recorded, answering a claim
    (once the monitoring run fetched a URL answer's page, ``item_id`` holds the stored page too).

    ``attribution`` (one of ``ATTRIBUTIONS``) says why ``actor`` gets the credit; ``confirmed_by`` is
    the organisation that confirmed the link.

    ``rejected`` marks a link a reviewer turned down: it is kept (so automatic linking does not bring
    it back) but leaves the outcome measures. ``actor_category`` is one of ``ACTOR_CATEGORIES``.
    """

    __tablename__ = "counter_narratives"
    __table_args__ = (
        UniqueConstraint("item_id", "claim_id"),
        UniqueConstraint("url", "claim_id"),
        CheckConstraint(_one_of("link_method", LINK_METHODS), name="link_method"),
        CheckConstraint("item_id IS NOT NULL OR url IS NOT NULL", name="target"),
        CheckConstraint("attribution IS NULL OR " + _one_of("attribution", ATTRIBUTIONS), name="attribution"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), index=True)
    url: Mapped[str | None] = mapped_column(Text)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    actor: Mapped[str | None] = mapped_column(String)
    published_at: Mapped[datetime | None]
    link_method: Mapped[str] = mapped_column(String, default="auto")
    confidence: Mapped[float | None] = mapped_column(Float)
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_category: Mapped[str | None] = mapped_column(String)
    rejected: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    attribution: Mapped[str | None] = mapped_column(String)
    confirmed_by: Mapped[str | None] = mapped_column(String)
    confirmed_at: Mapped[datetime | None]
    #: a URL answer's page, fetched by the monitoring run (flows/url_answers.py): tries, when, last error
    fetch_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    fetched_at: Mapped[datetime | None]
    fetch_error: Mapped[str | None] = mapped_column(Text)


class ItemMatch(Base):
    """That an item matched a stored fact-check or counter-narrative item, with the calibrated score."""

    __tablename__ = "item_matches"
    __table_args__ = (UniqueConstraint("item_id", "matched_item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    matched_item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(Float)
    backend: Mapped[str | None] = mapped_column(String)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ItemMatchCheck(Base):
    """That the matching step handled an item, and as what: a ``claim`` (it was clustered into one), an
    ``answer`` (a counter-narrative, linked to the claims it answers) or ``other``."""

    __tablename__ = "item_match_checks"
    __table_args__ = (CheckConstraint(_one_of("role", MATCH_ROLES), name="role"),)

    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String)
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)


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
    __table_args__ = (CheckConstraint("item_id IS NOT NULL OR alert_id IS NOT NULL", name="target"),)

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


# --- accounts and review work (migration 0004) -----------------------------------------------------

ROLES = ("admin", "reviewer", "analyst")


class Organisation(Base):
    """A partner organisation (a newsroom, Polres, Kodim, KPU, Bawaslu, NU, ...); every user has one."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String, unique=True)
    kind: Mapped[str | None] = mapped_column(String)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    """A web app account: an argon2 password hash, one role, one organisation. ``session_version`` is
    raised to end every session cookie issued before (sign-out, deactivation, password or role change)."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_one_of("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String, unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ApiToken(Base):
    """A bearer token of a user for the JSON API; only the SHA-256 of the secret is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class ReviewLock(Base):
    """Who is working on an item right now, until ``expires_at`` (one row per locked item)."""

    __tablename__ = "review_locks"

    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class ItemAssignment(Base):
    """Who owns an item in the review queue ("ambil" / "tugaskan ke"), until released or reassigned."""

    __tablename__ = "item_assignments"

    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    assigned_by: Mapped[str] = mapped_column(String)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)


class CounterLink(Base):
    """A counter-narrative a reviewer linked to a flagged item: a URL they published or a stored item."""

    __tablename__ = "counter_links"
    __table_args__ = (CheckConstraint("url IS NOT NULL OR counter_item_id IS NOT NULL", name="target"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    url: Mapped[str | None] = mapped_column(Text)
    counter_item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    user_name: Mapped[str] = mapped_column(String)
    organisation: Mapped[str | None] = mapped_column(String)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Escalation(Base):
    """That a reviewer handed an item to another organisation: open (in that organisation's queue,
    whatever verdicts are given) until the receiving organisation acknowledges or closes it."""

    __tablename__ = "escalations"
    __table_args__ = (
        CheckConstraint(_one_of("status", ESCALATION_STATUSES), name="status"),
        Index("ix_escalations_to_organisation_id_status", "to_organisation_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    to_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_name: Mapped[str] = mapped_column(String)
    organisation: Mapped[str | None] = mapped_column(String)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String, default="open", server_default="open")
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String)
    resolution_note: Mapped[str | None] = mapped_column(Text)


# The analyst views read alerts one severity at a time, newest first (storage.alert_search.search_page).
Index("ix_alerts_severity_created_at", Alert.severity, Alert.created_at)
# ... and so does the JSON API's keyset list, also within one signal or district (migration 0010).
Index("ix_alerts_signal_severity_created_at", Alert.signal, Alert.severity, Alert.created_at)
Index("ix_alerts_district_severity_created_at", Alert.district, Alert.severity, Alert.created_at)


class NotificationDelivery(Base):
    """The outbox of notifications: one row per (alert, channel), (escalation, channel) or (saved search
    notice, channel), delivered at least once (a batch interrupted between sending and marking is resent
    under the same batch id)."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        UniqueConstraint("alert_id", "channel"),
        UniqueConstraint("escalation_id", "channel"),
        UniqueConstraint("notice_id", "channel"),
        CheckConstraint(
            "alert_id IS NOT NULL OR escalation_id IS NOT NULL OR notice_id IS NOT NULL", name="target"
        ),
        CheckConstraint(_one_of("status", DELIVERY_STATUSES), name="status"),
        Index("ix_notification_deliveries_channel_status", "channel", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    escalation_id: Mapped[int | None] = mapped_column(ForeignKey("escalations.id", ondelete="CASCADE"))
    # a saved search's notice (migration 0009, storage.saved_searches)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("saved_search_notices.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    batch_id: Mapped[str | None] = mapped_column(String)
    last_error: Mapped[str | None] = mapped_column(Text)


class Backfill(Base):
    """A reprocessing job: one period of items scored again with one model version (resumable)."""

    __tablename__ = "backfills"
    __table_args__ = (
        UniqueConstraint("model_version", "period_start", "period_end"),
        CheckConstraint(_one_of("status", BACKFILL_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_version: Mapped[str] = mapped_column(String)
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    status: Mapped[str] = mapped_column(String, default="running")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)


# --- saved searches that alert (migration 0009, storage.saved_searches) ----------------------------


class SavedSearch(Base):
    """A user's named filter of the alerts view or the item search (``view``; ``filters``: the URL's filter
    parameters). ``watermark``: the next scan reads alerts (items, for ``search``) above this id;
    ``high_water``: the highest id the last scan saw (the next scan starts there, so a row committed
    late, below it, is still read once more)."""

    __tablename__ = "saved_searches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String)
    view: Mapped[str] = mapped_column(String, default="alerts", server_default="alerts")
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    notify: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    watermark: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    high_water: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    checked_at: Mapped[datetime | None]


class SavedSearchNotice(Base):
    """One notification of a saved search: the matches one run found (sent to the owner's organisation)."""

    __tablename__ = "saved_search_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    saved_search_id: Mapped[int] = mapped_column(
        ForeignKey("saved_searches.id", ondelete="CASCADE"), index=True
    )
    organisation: Mapped[str] = mapped_column(String)
    match_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SavedSearchMatch(Base):
    """An alert (or, for a search saved from the item search page, an item) a saved search matched,
    recorded once per search (the unique constraints); ``seen_at``: when its owner opened the search."""

    __tablename__ = "saved_search_matches"
    __table_args__ = (
        UniqueConstraint("saved_search_id", "alert_id"),
        UniqueConstraint("saved_search_id", "item_id"),
        CheckConstraint("alert_id IS NOT NULL OR item_id IS NOT NULL", name="target"),
        Index("ix_saved_search_matches_saved_search_id_seen_at", "saved_search_id", "seen_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    saved_search_id: Mapped[int] = mapped_column(ForeignKey("saved_searches.id", ondelete="CASCADE"))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    notice_id: Mapped[int | None] = mapped_column(
        ForeignKey("saved_search_notices.id", ondelete="SET NULL"), index=True
    )
    matched_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime | None]
