"""Saved search notices as a Telegram message (HTML, Bahasa Indonesia) and as a webhook JSON payload.

Pure functions, like :mod:`flows.notify.digest`. The words come from the message catalogue (context
``saved_search`` of ``pantau/locale/id/LC_MESSAGES/pantau.po``); every value filled into them that
comes from people or scraped text (the search's name, the owner, the organisation, snippets, URLs) is
cut first and then passed through :func:`html.escape`, so nothing can inject markup into Telegram's
HTML parse mode, and the message stays within Telegram's 4096 characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Any

from flows.notify.digest import SEVERITY_MARKS, SIGNAL_LABELS, TELEGRAM_LIMIT, _cut, _is_web_url, _local
from pantau import messages
from storage.saved_search_outbox import PendingSavedSearch

NAME_CHARS = 120
SNIPPET_CHARS = 140


def _text(code: str, **values: object) -> str:
    return messages.label("saved_search", code) % values


def telegram_entry(n: PendingSavedSearch, timezone: str = "Asia/Jakarta") -> str:
    """One notice as a few HTML lines (escaped): the search, its owner, the first matches."""
    lines = [
        _text("entry_head", name=escape(_cut(n.name, NAME_CHARS)), count=n.match_count),
        _text("entry_owner", owner=escape(_cut(n.owner, 60)), organisation=escape(_cut(n.organisation, 80))),
    ]
    for m in n.matches:
        if m.alert_id is not None:
            what = SIGNAL_LABELS.get(m.signal or "", m.signal) or messages.label("signal", m.kind)
            head, ref = f"{SEVERITY_MARKS.get(m.severity or '', '')} {escape(what)}", f"#{m.alert_id}"
        else:  # a search saved from the item search page matches items
            head, ref = "📰 Item", f"item #{m.item_id}"
        if m.district:
            head += f" · Kec. {escape(_cut(m.district, 60))}"
        head += f" · {_local(m.created_at, timezone)}"
        snippet = escape(_cut(m.snippet, SNIPPET_CHARS)) or ref
        if _is_web_url(m.item_url):
            snippet = f'<a href="{escape(m.item_url or "", quote=True)}">{snippet}</a>'
        lines.append(f"{head}\n{snippet} ({ref})")
    rest = n.match_count - len(n.matches)
    if rest > 0:
        lines.append(_text("entry_more", count=rest))
    return "\n".join(lines)


def telegram_message(
    batch: Sequence[PendingSavedSearch],
    batch_id: str,
    *,
    timezone: str = "Asia/Jakarta",
    limit: int = TELEGRAM_LIMIT,
) -> str:
    """The batch as one Telegram HTML message of at most ``limit`` characters."""
    header = f"<b>{_text('header')}</b>"
    footer = f"{_text('footer')}\nRef: <code>{escape(batch_id[:12])}</code>"
    body: list[str] = []
    n = len(batch)
    for i, entry in enumerate(telegram_entry(x, timezone) for x in batch):
        left = n - i - 1
        more = [_text("more_searches", count=left)] if left else []
        if len("\n\n".join([header, *body, entry, *more, footer])) > limit:
            break
        body.append(entry)
    omitted = n - len(body)
    tail = [_text("more_searches", count=omitted)] if omitted else []
    return "\n\n".join([header, *body, *tail, footer])


def webhook_payload(batch: Sequence[PendingSavedSearch], batch_id: str, sent_at: datetime) -> dict[str, Any]:
    """The batch as the webhook's JSON document: ``saved_searches`` (and an empty ``alerts`` list, so a
    receiver written for alert batches keeps working)."""
    return {
        "batch_id": batch_id,
        "sent_at": sent_at.isoformat(),
        "alerts": [],
        "saved_searches": [
            {
                "notice_id": n.notice_id,
                "saved_search_id": n.saved_search_id,
                "name": n.name,
                "owner": n.owner,
                "organisation": n.organisation,
                "view": n.view,
                "filters": n.query,
                "new_matches": n.match_count,
                "created_at": n.created_at.isoformat(),
                "matches": [
                    {
                        "alert_id": m.alert_id,
                        "kind": m.kind,
                        "signal": m.signal,
                        "severity": m.severity,
                        "district": m.district,
                        "created_at": m.created_at.isoformat(),
                        "item": {"id": m.item_id, "url": m.item_url, "snippet": m.snippet}
                        if m.item_id is not None
                        else None,
                    }
                    for m in n.matches
                ],
            }
            for n in batch
        ],
    }
