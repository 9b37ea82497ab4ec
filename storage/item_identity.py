"""Which copy of an item storage keeps, and what a URL means for each kind of source (issue 15).

* **URL classes.** A publisher's URL (a news feed, an article page, a fact-check feed) is the
  address of the item itself. A social post's URL is its permalink, or in some exports the link it
  shares. A tip's URL is always a link the member forwards. So a URL is an identity only between
  items of the same class; a tip never owns one (its link goes to ``items.link_url``), and when a
  post and a publisher's item share a URL, the publisher's item holds it and the post keeps it as its
  ``link_url``, whichever arrived first. A fact-check whose link was forwarded before the feed was
  collected therefore still lands as its own item (and counter-narrative); the tip or post that
  carried the link is recorded as a sighting of it.
* **Precedence.** Among copies of one item (same content, or same URL within a class) the one
  published earliest is kept as the item's URL, source and date; ties are broken by source name,
  then URL, then content hash, so the stored record does not depend on the order in which sources
  were collected. A copy that arrives after the item was scored does not replace it (what reviewers
  saw stays); it is kept as a sighting.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pantau.domain.records import CollectedItem

PUBLISHER = "publisher"
POST = "post"
CARRIER = "carrier"

#: Kinds whose item URL is the address of a published page.
PUBLISHER_KINDS = frozenset({"rss", "html", "factcheck_feed", "yudistira"})
#: Kinds whose URL is a link the message forwards, never the item's own address.
CARRIER_KINDS = frozenset({"tipline", "whatsapp_export"})

_NO_DATE = datetime.max.replace(tzinfo=UTC)


def url_class(kind: str | None) -> str:
    """The URL class of a source kind: publisher, carrier, or post (every other kind)."""
    if kind in PUBLISHER_KINDS:
        return PUBLISHER
    if kind in CARRIER_KINDS:
        return CARRIER
    return POST


def precedence(
    published_at: datetime | None, source_name: str, url: str | None, content_hash: str
) -> tuple[datetime, str, str, str]:
    """Sort key of a copy: the smallest is the one kept (earliest published; undated copies last)."""
    when = (
        _NO_DATE
        if published_at is None
        else (published_at if published_at.tzinfo else published_at.replace(tzinfo=UTC)).astimezone(UTC)
    )
    return when, source_name, url or "", content_hash


def item_precedence(item: CollectedItem, source_name: str, url: str | None) -> tuple[datetime, str, str, str]:
    """:func:`precedence` of a collected item (``url``: its identity URL, or None)."""
    return precedence(item.published_at, source_name, url, item.content_hash)
