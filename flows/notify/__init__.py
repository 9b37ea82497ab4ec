"""Alert notifications: the outbox (storage.notifications) delivered to a webhook and a Telegram bot.

Prefect-free plain functions and small classes: ``digest`` formats a batch, ``telegram`` and ``webhook``
send it, ``ratelimit`` paces messages per channel, and ``dispatch`` ties them together (called at the
end of each monitoring run, by ``pantau serve`` between runs and by the run failure hooks).
"""

from flows.notify.dispatch import dispatch
from flows.notify.errors import ChannelRejectedError, NotifyError, RateLimitedError, RetryableSendError

__all__ = ["ChannelRejectedError", "NotifyError", "RateLimitedError", "RetryableSendError", "dispatch"]
