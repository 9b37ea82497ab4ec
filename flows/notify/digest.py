"""One batch of alerts as a Telegram message (HTML, Bahasa Indonesia) and as a webhook JSON payload.

Pure functions. Every field that can come from scraped text or configuration (titles, reasons,
districts, URLs, source names) is passed through :func:`html.escape` after truncation, so a hostile
title cannot inject markup and a cut never splits an entity. The message stays within Telegram's
4096-character limit: alerts that do not fit are summarised as "dan N peringatan lain".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from pantau import messages
from pantau.domain.signals import SIGNALS
from storage.models import ALERT_KINDS
from storage.notifications import PendingNotification

TELEGRAM_LIMIT = 4096
TITLE_CHARS = 140
REASON_CHARS = 200

# The words come from the shared message catalogue (pantau.messages), as on the web pages and the report.
SEVERITY_LABELS = {code: text.upper() for code, text in messages.table("severity").items()}
SEVERITY_MARKS = {"low": "⚪", "medium": "🟡", "high": "🟠", "critical": "🔴"}
KIND_LABELS = {code: messages.label("signal", code) for code in ALERT_KINDS}
SIGNAL_LABELS = {code: messages.label("signal", code) for code in SIGNALS}


def _cut(text: str | None, limit: int) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _local(when: datetime, timezone: str) -> str:
    local = when.astimezone(ZoneInfo(timezone))
    return f"{local:%d/%m %H:%M} {local.tzname() or ''}".strip()


def _is_web_url(url: str | None) -> bool:
    return bool(url) and len(url or "") <= 1000 and (url or "").lower().startswith(("http://", "https://"))


def telegram_entry(alert: PendingNotification, timezone: str = "Asia/Jakarta") -> str:
    """One alert as a few HTML lines (escaped)."""
    label = SIGNAL_LABELS.get(alert.signal or "", alert.signal) if alert.signal else None
    what = KIND_LABELS.get(alert.kind, alert.kind)
    head = [
        f"{SEVERITY_MARKS.get(alert.severity, '')} <b>{SEVERITY_LABELS.get(alert.severity, '?')}</b>",
        escape(label or what),
    ]
    if alert.district:
        head.append(f"Kec. {escape(_cut(alert.district, 60))}")
    head.append(_local(alert.created_at, timezone))
    lines = [" · ".join(head)]
    title = _cut(alert.item_title or alert.item_snippet, TITLE_CHARS)
    if title:
        if _is_web_url(alert.item_url):
            lines.append(f'<a href="{escape(alert.item_url or "", quote=True)}">{escape(title)}</a>')
        else:
            lines.append(escape(title))
    elif alert.source_name:
        lines.append(f"Sumber: {escape(_cut(alert.source_name, 80))}")
    reason = messages.reason_label(alert.reason)
    lines.append(f"<i>{escape(_cut(reason, REASON_CHARS))}</i> (#{alert.alert_id})")
    return "\n".join(lines)


def telegram_message(
    batch: Sequence[PendingNotification],
    batch_id: str,
    *,
    timezone: str = "Asia/Jakarta",
    limit: int = TELEGRAM_LIMIT,
) -> str:
    """The batch as one Telegram HTML message of at most ``limit`` characters."""
    n = len(batch)
    header = f"<b>Pantau: {n} peringatan baru</b>" if n != 1 else "<b>Pantau: 1 peringatan baru</b>"
    footer = f"Ref: <code>{escape(batch_id[:12])}</code>"
    entries = [telegram_entry(a, timezone) for a in batch]
    body: list[str] = []
    for i, entry in enumerate(entries):
        left = n - i - 1
        more = f"… dan {left} peringatan lain" if left else ""
        candidate = "\n\n".join([header, *body, entry, *([more] if more else []), footer])
        if len(candidate) > limit:
            break
        body.append(entry)
    omitted = n - len(body)
    tail = [f"… dan {omitted} peringatan lain"] if omitted else []
    return "\n\n".join([header, *body, *tail, footer])


def webhook_payload(batch: Sequence[PendingNotification], batch_id: str, sent_at: datetime) -> dict[str, Any]:
    """The batch as the webhook's JSON document (plain data, no markup)."""
    return {
        "batch_id": batch_id,
        "sent_at": sent_at.isoformat(),
        "alerts": [
            {
                "id": a.alert_id,
                "kind": a.kind,
                "signal": a.signal,
                "severity": a.severity,
                "stage": a.stage,
                "district": a.district,
                "reason": a.reason,
                "created_at": a.created_at.isoformat(),
                "item": (
                    {"id": a.item_id, "title": a.item_title, "url": a.item_url}
                    if a.item_id is not None
                    else None
                ),
            }
            for a in batch
        ],
    }
