"""Deliver pending notifications (alerts and escalations): queue, wait out the batch window, claim, pace,
send, mark.

``dispatch`` is called once at the end of each monitoring run, by ``pantau serve`` between runs and by
the run failure hooks. Per call: queue open alerts younger than ``max_age`` for every usable channel;
if the oldest waiting alert is younger than ``batch_window``, sleep until it is that old (at most one
window per call) so a burst goes out as one message; then, per channel and under the channel's lock,
send batches of up to ``max_batch`` alerts while the token bucket allows (waiting at most
``max_wait`` in total; the rest goes out next call).

Delivery is **at least once**: a batch is claimed (batch id and attempt written and committed) before
it is sent and marked sent after. A process killed in between leaves the batch pending under its id;
the next dispatch sends it again with the same ``X-Pantau-Batch`` header (webhook receivers drop the
repeat) — a Telegram chat then sees the message twice, with the same ``Ref`` code. Channels without a
token (or a configured but missing webhook secret) are skipped with a counted reason, never an error.

Escalations: each dispatch also queues the open escalations younger than ``max_age`` for the channels
that carry their receiving organisation (a channel's ``organisations``; none given: every channel), and
sends them first, in their own messages, under the same rate limit and guarantee. Saved search notices
(queued by the monitoring run's saved search step for the channels of the owner's organisation) go out
after the alerts, in their own messages, likewise.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import httpx
from pydantic import ValidationError

from flows.failpoints import failpoint
from flows.notify.errors import ChannelRejectedError, NotifyError, RateLimitedError
from flows.notify.ratelimit import SystemClock, TokenBucket
from flows.notify.telegram import TelegramChannel
from flows.notify.webhook import WebhookChannel
from pantau.domain.config import NotificationsConfig, PantauConfig
from pantau.domain.errors import ConfigError
from storage import escalation_outbox, saved_search_outbox
from storage.db import make_engine, session_factory
from storage.escalations import enqueue_open as enqueue_escalations
from storage.notifications import (
    PendingNotification,
    batches_sent_since,
    channel_lock,
    claim_batch,
    enqueue,
    has_pending,
    mark_failed,
    mark_sent,
    oldest_fresh_pending,
)

log = logging.getLogger(__name__)
MAX_RATE_LIMIT_RETRIES = 3
DEFAULT_TIMEZONE = "Asia/Jakarta"


class Clock(Protocol):
    def now(self) -> float: ...
    def sleep(self, seconds: float) -> None: ...


class Channel(Protocol):
    name: str

    organisations: tuple[str, ...] | None

    def send(self, batch: list[PendingNotification], batch_id: str, sent_at: datetime) -> None: ...
    def send_escalations(self, batch: list[Any], batch_id: str, sent_at: datetime) -> None: ...
    def send_saved_searches(self, batch: list[Any], batch_id: str, sent_at: datetime) -> None: ...


def _settings(config: Any) -> tuple[NotificationsConfig, str]:
    """The notifications settings and the time zone from any of the accepted config shapes."""
    if isinstance(config, PantauConfig):
        return config.notifications, config.timezone
    if isinstance(config, NotificationsConfig):
        return config, DEFAULT_TIMEZONE
    data = dict(config or {})
    timezone = DEFAULT_TIMEZONE
    if not set(data) <= set(NotificationsConfig.model_fields):  # a whole config (or a Settings dump)
        timezone = str(data.get("timezone") or DEFAULT_TIMEZONE)
        data = dict(data.get("notifications") or {})
    try:
        return NotificationsConfig.model_validate(data), timezone
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in ("notifications", *first["loc"]))
        raise ConfigError(first["msg"], field=where) from None


def build_channels(
    settings: NotificationsConfig,
    env: Mapping[str, str],
    *,
    timezone: str = DEFAULT_TIMEZONE,
    transport: httpx.BaseTransport | None = None,
) -> tuple[list[Channel], dict[str, str]]:
    """The usable channels, and the configured ones skipped (channel -> reason)."""
    channels: list[Channel] = []
    skipped: dict[str, str] = {}
    if settings.telegram is not None:
        tg = settings.telegram
        token = env.get(tg.token_env, "").strip()
        if token:
            channels.append(
                TelegramChannel(
                    tg.chat_id,
                    token,
                    api_base=tg.api_base,
                    timeout_seconds=tg.timeout_seconds,
                    timezone=timezone,
                    transport=transport,
                    organisations=tg.organisations,
                )
            )
        else:
            skipped[f"telegram:{tg.chat_id}"] = f"missing_token: ${tg.token_env} is not set"
    if settings.webhook is not None:
        wh = settings.webhook
        secret = env.get(wh.secret_env, "") if wh.secret_env else ""
        channel = WebhookChannel(
            wh.url,
            secret=secret.encode() or None,
            timeout_seconds=wh.timeout_seconds,
            transport=transport,
            organisations=wh.organisations,
        )
        if wh.secret_env and not secret:
            skipped[channel.name] = f"missing_secret: ${wh.secret_env} is not set"
        else:
            channels.append(channel)
    return channels, skipped


def dispatch(
    database_url: str,
    config: Any,
    *,
    now: datetime | None = None,
    clock: Clock | None = None,
    env: Mapping[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
    wait_for_window: bool = True,
) -> dict[str, Any]:
    """Send what is pending; returns counts (plain data). ``config``: the notifications section (dict or
    NotificationsConfig), or a whole config (PantauConfig/Settings, or its dict: any key that is not a
    notifications field makes it one; ``timezone`` is then used too). An invalid section raises
    ConfigError naming the field.

    ``now`` is the wall time at the start (default: now, UTC); ``clock`` paces and sleeps (default: real);
    ``env`` holds the token and secret variables (default: ``os.environ``). ``wait_for_window=False``
    sends at once (for the run failure hooks: a failed run should be reported now).
    """
    settings, timezone = _settings(config)
    clock = clock or SystemClock()
    env = os.environ if env is None else env
    start_wall = now.astimezone(UTC) if now else datetime.now(UTC)
    start_tick = clock.now()

    def wall() -> datetime:
        return start_wall + timedelta(seconds=clock.now() - start_tick)

    channels, skipped = build_channels(settings, env, timezone=timezone, transport=transport)
    counts: dict[str, Any] = {
        "queued": 0,
        "escalations_queued": 0,
        "escalations": 0,
        "saved_searches": 0,
        "messages": 0,
        "sent": 0,
        "retry_later": 0,
        "failed": 0,
        "rejected": 0,
        "rate_limited": 0,
        "deferred": 0,
        "window_wait_seconds": 0.0,
        "rate_wait_seconds": 0.0,
        "skipped": skipped,
        "errors": [],
        "channels": {},
    }
    if not channels:
        return counts
    engine = make_engine(database_url)
    make_session = session_factory(engine)
    names = [c.name for c in channels]
    try:
        counts["queued"] += _enqueue(make_session, names, settings, wall())
        counts["escalations_queued"] += _enqueue_escalations(make_session, channels, settings, wall())
        if wait_for_window:
            waited = _wait_for_window(make_session, names, settings.batch_window, wall(), clock)
            if waited:
                counts["window_wait_seconds"] = waited
                counts["queued"] += _enqueue(make_session, names, settings, wall())
        for channel in channels:
            with channel_lock(engine, channel.name) as mine:
                if not mine:
                    skipped[channel.name] = "busy: another dispatcher holds this channel"
                    continue
                per = _deliver(channel, make_session, settings, clock, wall, counts)
                counts["channels"][channel.name] = per
    finally:
        engine.dispose()
    return counts


def dispatch_safely(database_url: str, config: Any, *, now: datetime | None = None) -> dict[str, Any]:
    """:func:`dispatch` at once (no batch-window wait), for the monitoring run, ``pantau serve`` between
    runs and the failure hooks: trouble is logged and returned as ``{"error": ...}``, never raised, so a
    channel's problem cannot stop monitoring (the outbox keeps what was not sent)."""
    try:
        return dispatch(database_url, config, now=now, wait_for_window=False)
    except Exception as exc:  # noqa: BLE001 - see the docstring
        log.exception("notification dispatch failed")
        return {"error": f"{type(exc).__name__}: {exc}"}


def _enqueue(make_session, names: list[str], settings: NotificationsConfig, at: datetime) -> int:
    with make_session() as session:
        n = enqueue(
            session, names, settings.min_severity, settings.kinds, since=at - settings.max_age, now=at
        )
        session.commit()
    return n


def _enqueue_escalations(
    make_session, channels: list[Channel], settings: NotificationsConfig, at: datetime
) -> int:
    with make_session() as session:
        n = sum(
            enqueue_escalations(session, c.name, c.organisations, since=at - settings.max_age, now=at)
            for c in channels
        )
        session.commit()
    return n


def _wait_for_window(make_session, names: list[str], window: timedelta, at: datetime, clock: Clock) -> float:
    with make_session() as session:
        oldest = [t for t in (oldest_fresh_pending(session, n) for n in names) if t is not None]
    if not oldest:
        return 0.0
    wait = (min(oldest) + window - at).total_seconds()
    if wait <= 0:
        return 0.0
    wait = min(wait, window.total_seconds())
    clock.sleep(wait)
    return wait


def _deliver(
    channel: Channel, make_session, settings: NotificationsConfig, clock: Clock, wall, counts: dict[str, Any]
) -> dict[str, int]:
    per = {
        "messages": 0,
        "sent": 0,
        "escalations": 0,
        "saved_searches": 0,
        "retry_later": 0,
        "failed": 0,
        "rejected": 0,
    }
    budget = settings.max_wait.total_seconds()
    with make_session() as session:
        used = batches_sent_since(session, channel.name, wall() - timedelta(minutes=1))
    bucket = TokenBucket(settings.max_per_minute, clock.now, clock.sleep, already_used=used)
    outboxes = [  # escalations first: each asks a named organisation to act
        (
            escalation_outbox.has_pending,
            escalation_outbox.claim_batch,
            channel.send_escalations,
            "escalations",
        ),
        (has_pending, claim_batch, channel.send, None),
        (
            saved_search_outbox.has_pending,
            saved_search_outbox.claim_batch,
            channel.send_saved_searches,
            "saved_searches",
        ),
    ]
    try:
        for outbox in outboxes:
            if not _drain(channel.name, outbox, make_session, settings, bucket, budget, wall, counts, per):
                break
    finally:
        counts["rate_wait_seconds"] += bucket.waited
    for key in per:
        counts[key] += per[key]
    return per


def _drain(
    name: str,
    outbox: tuple,
    make_session,
    settings: NotificationsConfig,
    bucket: TokenBucket,
    budget: float,
    wall,
    counts: dict[str, Any],
    per: dict[str, int],
) -> bool:
    """Send one outbox's batches on a channel; False when the channel should rest (deferred, failed)."""
    pending, claim, send, tally = outbox
    while True:
        with make_session() as session:
            if not pending(session, name):
                return True
        if not bucket.acquire(max_wait=budget - bucket.waited):
            counts["deferred"] += 1
            return False
        with make_session() as session:
            batch = claim(session, name, settings.max_batch, max_attempts=settings.max_attempts)
            session.commit()
        if not batch:
            return True
        if not _send_one(send, batch, make_session, settings, bucket, budget, wall, counts, per):
            return False
        if tally:
            per[tally] += len(batch)


def _send_one(
    send,
    batch: list[Any],
    make_session,
    settings,
    bucket: TokenBucket,
    budget: float,
    wall,
    counts: dict[str, Any],
    per: dict[str, int],
) -> bool:
    """Send one claimed batch and record the outcome; False when the channel should rest."""
    batch_id = batch[0].batch_id
    ids = [p.delivery_id for p in batch]
    error: NotifyError | None = None
    for _ in range(MAX_RATE_LIMIT_RETRIES + 1):
        try:
            send(batch, batch_id, wall())
            error = None
            break
        except RateLimitedError as exc:
            counts["rate_limited"] += 1
            error = exc
            if exc.retry_after > budget - bucket.waited:
                break
            bucket.pause(exc.retry_after)
        except NotifyError as exc:
            error = exc
            break
    if error is None:
        failpoint("notify.after_send")
        with make_session() as session:
            mark_sent(session, ids, batch_id, wall())
            session.commit()
        per["messages"] += 1
        per["sent"] += len(ids)
        return True
    log.warning("notification batch %s not delivered: %s", batch_id, error)
    counts["errors"].append(str(error))
    with make_session() as session:
        gave_up = mark_failed(session, ids, str(error), wall(), settings.max_attempts)
        session.commit()
    per["failed"] += gave_up
    per["retry_later"] += len(ids) - gave_up
    if isinstance(error, ChannelRejectedError):
        per["rejected"] += len(ids)
    return False
