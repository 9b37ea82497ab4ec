"""POSTing a batch as JSON to a partner's webhook, signed with HMAC-SHA256 when a secret is configured.

Headers: ``X-Pantau-Batch`` (the batch id; the same on every retry of the batch, so the receiver can
drop repeats) and ``X-Pantau-Signature: sha256=<hex HMAC of the exact body>``. Status handling mirrors
the Telegram channel: 429 (``Retry-After``) and 5xx are retryable, other 4xx reject the channel.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import httpx

from flows.notify import escalation_digest, saved_search_digest
from flows.notify.digest import webhook_payload
from flows.notify.errors import ChannelRejectedError, RateLimitedError, RetryableSendError
from pantau.domain.config import webhook_channel_key
from storage.escalation_outbox import PendingEscalation
from storage.notifications import PendingNotification
from storage.saved_search_outbox import PendingSavedSearch

BATCH_HEADER = "X-Pantau-Batch"
SIGNATURE_HEADER = "X-Pantau-Signature"


def sign(secret: bytes, body: bytes) -> str:
    """The ``X-Pantau-Signature`` value for ``body``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def channel_key(url: str) -> str:
    """The outbox channel key of a webhook URL (a hash, so a secret in the URL is not stored)."""
    return webhook_channel_key(url)


class WebhookChannel:
    """One webhook endpoint."""

    def __init__(
        self,
        url: str,
        *,
        secret: bytes | None = None,
        timeout_seconds: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        organisations: Sequence[str] | None = None,
    ):
        self.url = url
        #: the organisations whose escalations this webhook receives (None: every one)
        self.organisations = None if organisations is None else tuple(organisations)
        self.name = channel_key(url)
        self._secret = secret
        self._timeout = timeout_seconds
        self._transport = transport

    def __repr__(self) -> str:
        return f"WebhookChannel(name={self.name!r})"

    def send(self, batch: Sequence[PendingNotification], batch_id: str, sent_at: datetime) -> None:
        """POST the batch; raises a NotifyError subclass unless the receiver answered 2xx."""
        self._post(webhook_payload(batch, batch_id, sent_at), batch_id)

    def send_escalations(self, batch: Sequence[PendingEscalation], batch_id: str, sent_at: datetime) -> None:
        """POST a batch of escalations (``escalations`` in the body; headers and errors as :meth:`send`)."""
        self._post(escalation_digest.webhook_payload(batch, batch_id, sent_at), batch_id)

    def send_saved_searches(
        self, batch: Sequence[PendingSavedSearch], batch_id: str, sent_at: datetime
    ) -> None:
        """POST a batch of saved search notices (``saved_searches`` in the body; as :meth:`send`)."""
        self._post(saved_search_digest.webhook_payload(batch, batch_id, sent_at), batch_id)

    def _post(self, payload: dict[str, Any], batch_id: str) -> None:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", BATCH_HEADER: batch_id}
        if self._secret:
            headers[SIGNATURE_HEADER] = sign(self._secret, body)
        try:
            with httpx.Client(timeout=self._timeout, transport=self._transport) as client:
                response = client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise RetryableSendError(f"{type(exc).__name__}: {exc}", channel=self.name) from None
        status = response.status_code
        if 200 <= status < 300:
            return
        text = response.text[:300]
        if status == 429:
            try:
                retry_after = max(float(response.headers.get("Retry-After", "1")), 0.0)
            except ValueError:
                retry_after = 1.0
            raise RateLimitedError(
                f"rate limited by the webhook: {text}", channel=self.name, retry_after=retry_after or 1.0
            )
        if status >= 500 or status < 400:
            raise RetryableSendError(
                f"webhook answered HTTP {status}: {text}", channel=self.name, status=status
            )
        raise ChannelRejectedError(
            f"webhook refused the batch (HTTP {status}): {text}",
            channel=self.name,
            status=status,
            description=text,
        )
