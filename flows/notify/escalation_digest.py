"""Escalations as a Telegram message (HTML, Bahasa Indonesia) and as a webhook JSON payload.

Pure functions, like :mod:`flows.notify.digest`: every field that comes from people or scraped text
(titles, notes, user and organisation names, URLs) is cut first and then passed through
:func:`html.escape`, so nothing can inject markup into Telegram's HTML parse mode, and the message
stays within Telegram's 4096 characters ("… dan N eskalasi lain" for the rest).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Any

from flows.notify.digest import TELEGRAM_LIMIT, _cut, _is_web_url, _local
from storage.escalation_outbox import PendingEscalation

TITLE_CHARS = 140
NOTE_CHARS = 300


def telegram_entry(e: PendingEscalation, timezone: str = "Asia/Jakarta") -> str:
    """One escalation as a few HTML lines (escaped)."""
    sender = escape(_cut(e.from_user, 60)) + (
        f" ({escape(_cut(e.from_organisation, 80))})" if e.from_organisation else ""
    )
    when = _local(e.created_at, timezone)
    lines = [f"📨 <b>Untuk {escape(_cut(e.to_organisation, 80))}</b> · dari {sender} · {when}"]
    title = _cut(e.item_title or e.item_snippet, TITLE_CHARS) or f"Item {e.item_id}"
    if _is_web_url(e.item_url):
        href = escape(e.item_url or "", quote=True)
        lines.append(f'<a href="{href}">{escape(title)}</a> (item #{e.item_id})')
    else:
        lines.append(f"{escape(title)} (item #{e.item_id})")
    if e.note:
        lines.append(f"Alasan: <i>{escape(_cut(e.note, NOTE_CHARS))}</i>")
    return "\n".join(lines)


def telegram_message(
    batch: Sequence[PendingEscalation],
    batch_id: str,
    *,
    timezone: str = "Asia/Jakarta",
    limit: int = TELEGRAM_LIMIT,
) -> str:
    """The batch as one Telegram HTML message of at most ``limit`` characters."""
    n = len(batch)
    header = f"<b>Pantau: {n} eskalasi baru</b>"
    footer = (
        "Buka Pantau, Antrean tinjauan → eskalasi ke organisasi Anda, lalu terima atau tutup.\n"
        f"Ref: <code>{escape(batch_id[:12])}</code>"
    )
    body: list[str] = []
    for i, entry in enumerate(telegram_entry(e, timezone) for e in batch):
        left = n - i - 1
        more = [f"… dan {left} eskalasi lain"] if left else []
        candidate = "\n\n".join([header, *body, entry, *more, footer])
        if len(candidate) > limit:
            break
        body.append(entry)
    omitted = n - len(body)
    return "\n\n".join([header, *body, *([f"… dan {omitted} eskalasi lain"] if omitted else []), footer])


def webhook_payload(batch: Sequence[PendingEscalation], batch_id: str, sent_at: datetime) -> dict[str, Any]:
    """The batch as the webhook's JSON document: ``escalations`` (and an empty ``alerts`` list, so a
    receiver written for alert batches keeps working)."""
    return {
        "batch_id": batch_id,
        "sent_at": sent_at.isoformat(),
        "alerts": [],
        "escalations": [
            {
                "id": e.escalation_id,
                "to_organisation": e.to_organisation,
                "from_user": e.from_user,
                "from_organisation": e.from_organisation,
                "note": e.note,
                "created_at": e.created_at.isoformat(),
                "item": {"id": e.item_id, "title": e.item_title, "url": e.item_url},
            }
            for e in batch
        ],
    }
