"""The ``yudistira`` source kind: debunks from Mafindo's Yudistira API (turnbackhoax.id's database).

UNVERIFIED SHAPE: written from the public description of the API, without access to a key. We expect
a JSON list (or ``{"data": [...]}`` / ``{"results": [...]}``) of records with ``id``, ``title``,
``content`` (the claim), ``fact`` (the debunk), ``conclusion``, ``references``, ``date`` and
``url``; a user with a key must check the real field names, the base URL and how the key is sent
(here: the ``X-API-Key`` header, or a query parameter named by ``key_query_param``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from pantau.domain.config import SourceConfig
from pantau.domain.errors import FetchError
from pantau.domain.records import CollectedItem, CollectResult, Skipped, SkipReason
from sources.base import check_options, failed
from sources.dates import parse_datetime
from sources.factcheck import verdict_of
from sources.guard import Refusal, looks_binary, parse_json
from sources.html_text import html_to_text
from sources.http import HttpFetcher
from sources.registry import register

KEY_ENV = "PANTAU_YUDISTIRA_KEY"
DEFAULT_BASE_URL = "https://yudistira.turnbackhoax.id/api/antihoax/"  # unverified, see the docstring
OPTIONS = ("api_key", "base_url", "key_query_param")
WIB = ZoneInfo("Asia/Jakarta")


@register("yudistira")
class YudistiraSource:
    """Fetch the latest debunks. ``location`` is the API URL (or empty for ``base_url``'s default)."""

    name = "yudistira"

    def collect(self, config: SourceConfig, fetcher: HttpFetcher) -> CollectResult:
        options = check_options(config, OPTIONS)
        key = options.get("api_key") or os.environ.get(KEY_ENV)
        if not key:
            return CollectResult(
                source=config.name,
                error_reason=SkipReason.FETCH_ERROR,
                error=f"no Yudistira API key: set options.api_key or the {KEY_ENV} "
                "environment variable (ask Mafindo for a key)",
            )
        url = (config.location or "").strip() or options.get("base_url") or DEFAULT_BASE_URL
        headers: dict[str, str] = {}
        if options.get("key_query_param"):
            url += ("&" if "?" in url else "?") + urlencode({options["key_query_param"]: key})
        else:
            headers["X-API-Key"] = str(key)
        try:
            doc = fetcher.fetch(url, conditional=False, headers=headers)
        except FetchError as exc:
            return failed(
                config.name,
                FetchError(
                    str(exc).replace(str(key), "***"),
                    location="yudistira",
                    status=exc.status,
                    reason=exc.reason,
                ),
            )
        return parse_yudistira(doc.content, source=config.name, actor=config.actor or "mafindo")


def parse_yudistira(content: bytes, *, source: str, actor: str | None = "mafindo") -> CollectResult:
    """Items of a Yudistira API answer; never raises for bad bytes."""
    result = CollectResult(source=source)
    if looks_binary(content):
        result.error, result.error_reason = "not JSON (binary bytes)", SkipReason.BINARY
        return result
    data = parse_json(content.decode("utf-8", errors="replace").lstrip("\ufeff"))
    if isinstance(data, Refusal):
        result.error, result.error_reason = f"not JSON: {data.detail}", data.reason
        return result
    if isinstance(data, Mapping):
        data = next((data[k] for k in ("data", "results", "items") if isinstance(data.get(k), list)), None)
    if not isinstance(data, list):
        result.error = "expected a JSON list of debunks (or {'data': [...]})"
        result.error_reason = SkipReason.MALFORMED
        return result
    seen: set[str] = set()
    for index, record in enumerate(data, start=1):
        _add_record(result, record, f"record {index}", actor, seen)
    return result


def _add_record(result: CollectResult, record: Any, position: str, actor: str | None, seen: set[str]) -> None:
    source = result.source
    if not isinstance(record, Mapping):
        result.skipped.append(Skipped(source, SkipReason.MALFORMED, "record is not an object", position))
        return
    title = _text(record.get("title")) or None
    parts = [_text(record.get(k)) for k in ("content", "fact", "conclusion")]
    text = "\n\n".join(p for p in parts if p)
    if not title and not text:
        result.skipped.append(Skipped(source, SkipReason.EMPTY_TEXT, "no title, content or fact", position))
        return
    record_id = _text(record.get("id")) or None
    if record_id and record_id in seen:
        result.skipped.append(
            Skipped(source, SkipReason.DUPLICATE_IN_BATCH, f"id {record_id} repeated", position)
        )
        return
    seen.add(record_id or "")
    published_at = parse_datetime(record.get("date"), default_tz=WIB)
    if record.get("date") and published_at is None:
        result.skipped.append(
            Skipped(
                source, SkipReason.BAD_DATE, f"unparseable date {record.get('date')!r}; item kept", position
            )
        )
    verdict, label = verdict_of(title)
    references = record.get("references")
    raw: dict[str, Any] = {
        "counter_narrative_producer": True,
        "actor": actor,
        "verdict": verdict,
        "verdict_label": label,
        "yudistira_id": record_id,
        "conclusion": _text(record.get("conclusion")) or None,
        "references": [str(r) for r in references]
        if isinstance(references, list)
        else ([str(references)] if references else []),
    }
    url = _text(record.get("url")) or None
    result.items.append(
        CollectedItem(
            source=source,
            text=text,
            title=title,
            url=url,
            external_id=f"yudistira:{record_id}" if record_id else None,
            published_at=published_at,
            raw=raw,
        )
    )


def _text(value: Any) -> str:
    if value is None or isinstance(value, dict | list | bool | float):
        return ""
    return html_to_text(str(value))
