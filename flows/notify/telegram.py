"""Posting a batch to a Telegram chat through the Bot API's ``sendMessage`` (HTML parse mode).

HTTP 429 becomes :class:`RateLimitedError` with Telegram's ``parameters.retry_after``; 5xx and network
failures :class:`RetryableSendError`; any other 4xx (bad token, unknown chat, bot removed, refused text)
:class:`ChannelRejectedError` carrying Telegram's ``description``. The token is part of the request URL
only: it is scrubbed from every error message, and a filter on the ``httpx`` logger rewrites it in the
request lines httpx logs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import httpx

from flows.notify import escalation_digest, saved_search_digest
from flows.notify.digest import telegram_message
from flows.notify.errors import ChannelRejectedError, RateLimitedError, RetryableSendError
from storage.escalation_outbox import PendingEscalation
from storage.notifications import PendingNotification
from storage.saved_search_outbox import PendingSavedSearch

_BOT_PATH = re.compile(r"/bot[^/\s]+/")


class _ScrubBotTokens(logging.Filter):
    """Replaces the token in ``/bot<token>/`` of httpx request log lines with a placeholder."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/bot" in message:
            record.msg, record.args = _BOT_PATH.sub("/bot<token>/", message), ()
        return True


def _guard_httpx_logs() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, _ScrubBotTokens) for f in logger.filters):
        logger.addFilter(_ScrubBotTokens())


class TelegramChannel:
    """One chat of one bot. ``name`` is the outbox channel key (``telegram:<chat_id>``)."""

    def __init__(
        self,
        chat_id: str,
        token: str,
        *,
        api_base: str = "https://api.telegram.org",
        timeout_seconds: float = 10.0,
        timezone: str = "Asia/Jakarta",
        transport: httpx.BaseTransport | None = None,
        organisations: Sequence[str] | None = None,
    ):
        self.chat_id = chat_id
        #: the organisations whose escalations this chat carries (None: every one)
        self.organisations = None if organisations is None else tuple(organisations)
        self.name = f"telegram:{chat_id}"
        self._token = token
        self._url = f"{api_base.rstrip('/')}/bot{token}/sendMessage"
        self._timeout = timeout_seconds
        self._timezone = timezone
        self._transport = transport
        _guard_httpx_logs()  # httpx logs each request URL at INFO, and the URL holds the token

    def __repr__(self) -> str:  # never show the token
        return f"TelegramChannel(chat_id={self.chat_id!r})"

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "<token>") if self._token else text

    def send(self, batch: Sequence[PendingNotification], batch_id: str, sent_at: datetime) -> None:
        """Send the batch as one message; raises a NotifyError subclass when it was not accepted."""
        self._post_text(telegram_message(batch, batch_id, timezone=self._timezone))

    def send_escalations(self, batch: Sequence[PendingEscalation], batch_id: str, sent_at: datetime) -> None:
        """Send a batch of escalations as one message (same errors as :meth:`send`)."""
        self._post_text(escalation_digest.telegram_message(batch, batch_id, timezone=self._timezone))

    def send_saved_searches(
        self, batch: Sequence[PendingSavedSearch], batch_id: str, sent_at: datetime
    ) -> None:
        """Send a batch of saved search notices as one message (same errors as :meth:`send`)."""
        self._post_text(saved_search_digest.telegram_message(batch, batch_id, timezone=self._timezone))

    def _post_text(self, text: str) -> None:
        body = {"chat_id": self.chat_id, "text": text, "parse_mode": "HTML", "disable_web_page_preview": True}
        try:
            with httpx.Client(timeout=self._timeout, transport=self._transport) as client:
                response = client.post(self._url, json=body)
        except httpx.HTTPError as exc:
            raise RetryableSendError(self._scrub(f"{type(exc).__name__}: {exc}"), channel=self.name) from None
        self._check(response)

    def _check(self, response: httpx.Response) -> None:
        status = response.status_code
        data: dict[str, Any] = {}
        try:
            parsed = response.json()
            data = parsed if isinstance(parsed, dict) else {}
        except ValueError:
            pass
        description = self._scrub(str(data.get("description") or response.reason_phrase or ""))[:300]
        if 200 <= status < 300 and data.get("ok", True):
            return
        if status == 429:
            params = data.get("parameters") if isinstance(data.get("parameters"), dict) else {}
            retry_after = _seconds(params.get("retry_after")) or _seconds(response.headers.get("Retry-After"))
            raise RateLimitedError(
                f"rate limited by Telegram: {description}", channel=self.name, retry_after=retry_after or 1.0
            )
        if status >= 500 or status < 400:
            raise RetryableSendError(
                f"Telegram answered HTTP {status}: {description}", channel=self.name, status=status
            )
        raise ChannelRejectedError(
            f"Telegram refused the message (HTTP {status}: {description}); check the bot token "
            f"and that the bot is a member of chat {self.chat_id}",
            channel=self.name,
            status=status,
            description=description,
        )


def _seconds(value: object) -> float | None:
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return seconds if seconds > 0 else None
