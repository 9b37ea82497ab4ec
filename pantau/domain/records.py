"""Plain records passed between layers: what a source collected, what it skipped, what a model scored.

These are transport types (dataclasses), not database rows; ``storage`` maps them to its models.
Every string an item carries (text, title, url, ids, author, lang and the strings inside ``raw``) is
cleaned when the item is built (:func:`~pantau.domain.text.clean_text`): NUL removed, lone surrogates
replaced by U+FFFD, so SQLite and PostgreSQL store the same thing and neither refuses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pantau.domain.text import canonical_url, clean_json, clean_text, content_hash


class SkipReason(StrEnum):
    """Why a record (a feed entry, an export line, a whole source) was not turned into an item."""

    FETCH_ERROR = "fetch_error"  # the bytes could not be fetched (network, status, missing file)
    TOO_LARGE = "too_large"  # the response or file exceeded the size limit
    MALFORMED = "malformed"  # unparseable record (bad JSON line, broken CSV row, bad XML)
    TOO_DEEP = "too_deep"  # a record nested deeper than the limit (e.g. 100,000 "[")
    BINARY = "binary"  # bytes that are not text at all (random, compressed, an image)
    BAD_ENCODING = "bad_encoding"  # bytes that do not decode in the declared/detected encoding
    EMPTY_TEXT = "empty_text"  # a record with neither title nor text
    MISSING_FIELD = "missing_field"  # a required field is absent
    BAD_DATE = "bad_date"  # a date that could not be parsed (the item is kept, date None)
    DUPLICATE_IN_BATCH = "duplicate_in_batch"  # the same content twice within one source's output


@dataclass(slots=True)
class Skipped:
    """One record that was not turned into an item, with a typed reason and where it was."""

    source: str
    reason: SkipReason
    detail: str = ""
    position: str | None = None  # e.g. "line 17", "entry 3", a URL; "feed" for the whole document

    def __post_init__(self) -> None:
        self.detail = clean_text(self.detail)
        self.position = clean_text(self.position) if self.position is not None else None

    @property
    def kept(self) -> bool:
        """True for a problem noted on data that was still kept (an item without a parseable date,
        a feed-level parse or encoding problem with its entries extracted): a note, not a loss."""
        return self.reason == SkipReason.BAD_DATE or self.position == "feed"


@dataclass(slots=True)
class CollectedItem:
    """One article or post as a source extracted it, before storage.

    ``author`` is already pseudonymised for social posts where the source does so.
    ``raw`` keeps source-specific extras (view counts, platform, original ids) as plain JSON data.
    """

    source: str
    text: str
    title: str | None = None
    url: str | None = None
    external_id: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    lang: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.text = clean_text(self.text)
        for name in ("title", "url", "external_id", "author", "lang"):
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, clean_text(value))
        self.raw = clean_json(self.raw)

    @property
    def content_hash(self) -> str:
        return content_hash(self.text, self.title)

    @property
    def canonical_url(self) -> str | None:
        return canonical_url(self.url)

    def to_json(self) -> dict[str, Any]:
        """The ``pantau fetch`` output shape: url, title, text, published_at (ISO 8601), author."""
        out: dict[str, Any] = {
            "url": self.url,
            "title": self.title,
            "text": self.text,
            "published_at": self.published_at.isoformat() if self.published_at else None,
        }
        if self.author:
            out["author"] = self.author
        if self.external_id:
            out["external_id"] = self.external_id
        return out


@dataclass(slots=True)
class CollectResult:
    """What one run of one source produced: items, skips with reasons, and a fatal error if any."""

    source: str
    items: list[CollectedItem] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    error: str | None = None  # set when the whole source failed (the run goes on)
    error_reason: SkipReason | None = None

    @property
    def fetched(self) -> int:
        """Records read: the items plus the records dropped (notes on kept items do not count)."""
        return len(self.items) + sum(1 for s in self.skipped if not s.kept)

    def skip_counts(self) -> dict[str, int]:
        """Dropped records (and a whole-source failure) by reason."""
        counts: dict[str, int] = {}
        for s in self.skipped:
            if not s.kept:
                counts[s.reason.value] = counts.get(s.reason.value, 0) + 1
        if self.error_reason is not None:
            counts[self.error_reason.value] = counts.get(self.error_reason.value, 0) + 1
        return counts

    def note_counts(self) -> dict[str, int]:
        """Problems noted on data that was kept, by reason (see :attr:`Skipped.kept`)."""
        counts: dict[str, int] = {}
        for s in self.skipped:
            if s.kept:
                counts[s.reason.value] = counts.get(s.reason.value, 0) + 1
        return counts


@dataclass(slots=True)
class ScoreResult:
    """The scores of one text: a probability per signal, the flags over threshold and why.

    ``explanations`` maps a signal to the words or rules that drove it (most important first).
    """

    scores: dict[str, float]
    flags: list[str]
    lang: str
    explanations: dict[str, list[str]] = field(default_factory=dict)
    model_version: str = ""
