"""The errors a notification channel raises when a send fails; they carry data, never the bot token.

``RetryableSendError`` (network trouble, HTTP 5xx): the batch stays pending for the next dispatch.
``RateLimitedError`` (HTTP 429): wait ``retry_after`` seconds, then send again. ``ChannelRejectedError``
(any other 4xx: bad token, unknown chat, refused payload): the channel's configuration or the message is
wrong; retrying at once will not help, so the dispatcher stops using the channel for this dispatch.
"""

from __future__ import annotations

from pantau.domain.errors import PantauError


class NotifyError(PantauError):
    """A notification could not be delivered. ``channel`` names the outbox channel."""

    def __init__(self, message: str, *, channel: str, status: int | None = None):
        self.channel = channel
        self.status = status
        super().__init__(f"{channel}: {message}")


class RetryableSendError(NotifyError):
    """A temporary failure (connection error, timeout, HTTP 5xx)."""


class RateLimitedError(RetryableSendError):
    """The receiver asked us to slow down (HTTP 429); ``retry_after`` is in seconds."""

    def __init__(self, message: str, *, channel: str, retry_after: float, status: int | None = 429):
        self.retry_after = retry_after
        super().__init__(message, channel=channel, status=status)


class ChannelRejectedError(NotifyError):
    """The receiver refused the request (HTTP 4xx other than 429); ``description`` is its reason."""

    def __init__(self, message: str, *, channel: str, status: int | None, description: str):
        self.description = description
        super().__init__(message, channel=channel, status=status)
