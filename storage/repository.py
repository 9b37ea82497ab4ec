"""Repository functions for sources, items, tags and scores (alerts, reviews and runs are re-exported).

Every function takes a :class:`~sqlalchemy.orm.Session` and leaves committing to the caller. Writes that
may race with another process use ``INSERT ... ON CONFLICT`` so concurrent runs never create duplicates
or fail on unique violations.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, exists, or_, select, text, update
from sqlalchemy.orm import Session

from pantau.domain.records import CollectedItem, ScoreResult
from storage import item_identity as identity
from storage.alerts import AlertView, add_review, query_alerts, raise_alert, raise_alerts, set_alert_status
from storage.columns import as_utc, utcnow
from storage.dialect import upsert_insert
from storage.errors import InvalidValueError, StorageError
from storage.models import Item, ItemSighting, Score, Source
from storage.runs import (
    clean_run_starts,
    finish_run,
    heartbeat,
    last_new_item_at,
    latest_runs,
    mark_crashed_runs,
    record_source_result,
    run_summary,
    start_run,
)

if TYPE_CHECKING:  # pydantic is only needed by callers that build configs
    from pantau.domain.config import SourceConfig

__all__ = [
    "AlertView",
    "ItemForScoring",
    "UpsertResult",
    "add_review",
    "clean_run_starts",
    "finish_run",
    "heartbeat",
    "items_needing_scores",
    "last_new_item_at",
    "latest_runs",
    "mark_crashed_runs",
    "query_alerts",
    "raise_alert",
    "raise_alerts",
    "record_source_result",
    "run_summary",
    "save_scores",
    "set_alert_status",
    "set_item_tags",
    "set_tags",
    "source_ids",
    "start_run",
    "sync_sources",
    "upsert_items",
]

#: Canonical URLs longer than this are not used as an identity (btree index entries are limited in
#: PostgreSQL); such an item is identified by its content hash and keeps its URL in ``raw["url"]``.
MAX_URL_LENGTH = 2000
TAG_FIELDS = ("lang", "stage", "districts", "actors")
_LOOKUP_CHUNK = 400
_PG_ITEM_LOCK = (7_461_636, 2)  # (namespace, key) for pg_advisory_xact_lock


# --- sources ------------------------------------------------------------------------------------


def sync_sources(session: Session, configs: Sequence[SourceConfig]) -> dict[str, int]:
    """Insert or update one row per configured source (matched by name); returns name -> id.

    Sources missing from ``configs`` are left as they are (their history stays referenced).
    """
    ids: dict[str, int] = {}
    for cfg in configs:
        values = {
            "kind": cfg.kind,
            "location": cfg.location,
            "actor": cfg.actor,
            "trust": cfg.trust,
            "language": cfg.language,
            "enabled": cfg.enabled,
        }
        stmt = upsert_insert(session, Source.__table__).values(name=cfg.name, created_at=utcnow(), **values)
        stmt = stmt.on_conflict_do_update(index_elements=["name"], set_=values).returning(Source.id)
        ids[cfg.name] = session.execute(stmt).scalar_one()
    return ids


def source_ids(session: Session) -> dict[str, int]:
    """Every stored source's id by name."""
    return {name: sid for sid, name in session.execute(select(Source.id, Source.name)).all()}


# --- items --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UpsertResult:
    """What :func:`upsert_items` did with a batch.

    * ``ids``: the stored item id of every input item, parallel to the input (repeats share an id).
    * ``new_ids``: items this call inserted, in input order, each once.
    * ``duplicate_ids``: items that were already stored (by an earlier run, another source or a
      concurrent writer) and matched by canonical URL or content hash, in input order, each once.
    * ``batch_repeats``: input items that repeated an earlier item of the same batch.
    """

    ids: list[int]
    new_ids: list[int]
    duplicate_ids: list[int]
    batch_repeats: int = 0


@dataclass(frozen=True, slots=True)
class ItemForScoring:
    """The fields a classifier needs from an item that has no score for a model version yet."""

    id: int
    title: str | None
    text: str
    url: str | None
    published_at: datetime | None
    source_id: int
    source_trust: float


def _identity(item: CollectedItem, cls: str) -> tuple[str | None, str]:
    """``(identity URL or None, content hash)``; a carrier's URL is never an identity."""
    url = item.canonical_url
    if url is not None and (len(url) > MAX_URL_LENGTH or cls == identity.CARRIER):
        url = None
    return url, item.content_hash


def _link(item: CollectedItem, cls: str) -> str | None:
    url = item.canonical_url
    return url if cls == identity.CARRIER and url is not None and len(url) <= MAX_URL_LENGTH else None


_RANK = {identity.CARRIER: 0, identity.POST: 1, identity.PUBLISHER: 2}


def upsert_items(
    session: Session,
    source_id: int,
    run_id: int | None,
    items: Sequence[CollectedItem],
    *,
    now: datetime | None = None,
) -> UpsertResult:
    """Store a source's items once each, and record that this source saw them (an ItemSighting).

    Two items are the same when their content hashes (normalised title + text) are equal, or their
    canonical URLs are equal and both sources give URLs of the same class (:mod:`storage.item_identity`:
    a tip's URL is a link it carries, a publisher's item holds its URL over a post sharing it), within
    the batch, across runs and across sources. Of the copies of one item, the earliest published is kept
    (ties broken by source name, URL, content hash) while the item is not scored yet; later copies only
    add a sighting. An item carrying a link is recorded as a sighting of the item that owns the URL.
    Safe against concurrent writers on SQLite and PostgreSQL.
    """
    now = as_utc(now) if now else utcnow()
    source = session.get(Source, source_id)
    # An unknown source id is left to the database's foreign key (IntegrityError, as before).
    kind, name = (source.kind, source.name) if source is not None else (None, "")
    cls = identity.url_class(kind)
    identities = [_identity(item, cls) for item in items]
    links = [_link(item, cls) for item in items]
    order = sorted(
        range(len(items)), key=lambda i: identity.item_precedence(items[i], name, identities[i][0])
    )
    heads, head_of = _group_batch(identities, order)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:ns, :key)"), {"ns": _PG_ITEM_LOCK[0], "key": _PG_ITEM_LOCK[1]}
        )
    by_url, by_hash = _existing_ids(session, [identities[i] for i in heads])
    for i in heads:  # a URL shared across classes: the higher class holds it, the other carries it
        url, chash = identities[i]
        if not url or url not in by_url or by_url[url][1] == cls:
            continue
        other_id, other_cls = by_url[url]
        if _RANK[cls] > _RANK[other_cls]:
            _demote(session, other_id, url)
            del by_url[url]
        else:
            identities[i], links[i] = (None, chash), url
    ids_by_url = {u: v[0] for u, v in by_url.items()}

    missing = [i for i in heads if _lookup(identities[i], ids_by_url, by_hash) is None]
    inserted = _insert_items(
        session, [(items[i], *identities[i], links[i]) for i in missing], source_id, run_id, now
    )
    id_of_head: dict[int, int] = {}
    new_ids: list[int] = []
    duplicate_ids: list[int] = []
    listed: set[int] = set()
    for i in heads:
        url, chash = identities[i]
        found = _lookup((url, chash), ids_by_url, by_hash)
        if found is None:
            found = inserted.get(chash)
            if found is not None:
                new_ids.append(found)
                listed.add(found)
        if found is None:  # lost a race with a concurrent writer: the row exists now
            found = _find_item(session, url, chash)
        if found not in listed:
            duplicate_ids.append(found)
            listed.add(found)
        id_of_head[i] = found

    new = set(new_ids)
    matched = [(i, id_of_head[i]) for i in heads if id_of_head[i] not in new]
    _prefer_earliest(session, source_id, kind, name, cls, matched, items, identities, links, by_hash)
    ids = [id_of_head[head_of[i]] for i in range(len(items))]
    _record_sightings(session, items, ids, source_id, run_id, now)
    _record_link_sightings(
        session, [(id_of_head[i], identities[i][0], links[i]) for i in heads], source_id, run_id, now
    )
    return UpsertResult(
        ids=ids, new_ids=new_ids, duplicate_ids=duplicate_ids, batch_repeats=len(items) - len(heads)
    )


def _demote(session: Session, item_id: int, url: str) -> None:
    """The item gives up ``url`` to a publisher's item and keeps it as the link it carries. The
    sightings it got as that URL's holder from carriers of the link move to the new holder (they are
    recorded again by :func:`_record_link_sightings`), so the record does not depend on arrival order."""
    session.execute(
        update(Item)
        .where(Item.id == item_id)
        .values(url=None, link_url=url)
        .execution_options(synchronize_session=False)
    )
    own_source = select(Item.source_id).where(Item.id == item_id).scalar_subquery()
    carriers = select(Item.source_id).where(Item.link_url == url, Item.id != item_id)
    session.execute(
        delete(ItemSighting)
        .where(
            ItemSighting.item_id == item_id,
            ItemSighting.url == url,
            ItemSighting.source_id != own_source,
            ItemSighting.source_id.in_(carriers),
        )
        .execution_options(synchronize_session=False)
    )


def _group_batch(
    identities: list[tuple[str | None, str]], order: Sequence[int] | None = None
) -> tuple[list[int], list[int]]:
    """Indexes of the representative of each distinct item (the first in ``order``, default input
    order), and each input's representative."""
    heads: list[int] = []
    head_of: list[int] = [0] * len(identities)
    seen_url: dict[str, int] = {}
    seen_hash: dict[str, int] = {}
    for i in range(len(identities)) if order is None else order:
        url, chash = identities[i]
        head = seen_url.get(url) if url else None
        if head is None:
            head = seen_hash.get(chash)
        if head is None:
            head = i
            heads.append(i)
        head_of[i] = head
        if url:
            seen_url.setdefault(url, head)
        seen_hash.setdefault(chash, head)
    heads.sort()
    return heads, head_of


def _existing_ids(
    session: Session, identities: list[tuple[str | None, str]]
) -> tuple[dict[str, tuple[int, str]], dict[str, int]]:
    """Stored items by identity URL (id and the URL class of its source) and by content hash."""
    by_url: dict[str, tuple[int, str]] = {}
    by_hash: dict[str, int] = {}
    for start in range(0, len(identities), _LOOKUP_CHUNK):
        chunk = identities[start : start + _LOOKUP_CHUNK]
        urls = [u for u, _ in chunk if u]
        hashes = [h for _, h in chunk]
        rows = session.execute(
            select(Item.id, Item.url, Item.content_hash, Source.kind)
            .join(Source, Source.id == Item.source_id)
            .where(or_(Item.url.in_(urls), Item.content_hash.in_(hashes)))
            .order_by(Item.id)
        )
        for item_id, url, chash, kind in rows:
            if url:
                by_url.setdefault(url, (item_id, identity.url_class(kind)))
            by_hash.setdefault(chash, item_id)
    return by_url, by_hash


def _lookup(identity: tuple[str | None, str], by_url: dict[str, int], by_hash: dict[str, int]) -> int | None:
    url, chash = identity
    return (by_url.get(url) if url else None) or by_hash.get(chash)


def _prefer_earliest(
    session: Session,
    source_id: int,
    kind: str | None,
    name: str,
    cls: str,
    matched: list[tuple[int, int]],
    items: Sequence[CollectedItem],
    identities: list[tuple[str | None, str]],
    links: list[str | None],
    by_hash: dict[str, int],
) -> None:
    """Make a stored, not yet scored item take the values of this source's copy when that copy comes
    first (:mod:`storage.item_identity`: higher URL class, then earliest published, then source name,
    URL, content hash), so the record does not depend on the order sources were stored in."""
    if not matched:
        return
    ids = sorted({item_id for _, item_id in matched})
    scored = exists().where(Score.item_id == Item.id)
    rows = {
        r[0]: r
        for r in session.execute(
            select(Item.id, Item.published_at, Source.name, Item.url, Item.content_hash, Source.kind, scored)
            .join(Source, Source.id == Item.source_id)
            .where(Item.id.in_(ids))
        )
    }
    for i, item_id in matched:
        _, published, stored_name, url, chash, stored_kind, is_scored = rows[item_id]
        if is_scored:
            continue
        item = items[i]
        if name == stored_name and identities[i][0] == url:
            continue  # the same page collected again (an edit): the first stored version stays
        mine = (-_RANK[cls], identity.item_precedence(item, name, identities[i][0]))
        theirs = (
            -_RANK[identity.url_class(stored_kind)],
            identity.precedence(published, stored_name, url, chash),
        )
        if mine >= theirs:
            continue
        new_url, new_hash = identities[i]
        if new_hash != chash and by_hash.get(new_hash, item_id) != item_id:
            continue  # this copy's text is another stored item's: keep the record as it is
        values = _item_values(item, new_url, new_hash, source_id, None, utcnow(), links[i])
        for kept in ("first_run_id", "collected_at", "districts", "actors"):
            values.pop(kept)
        session.execute(
            update(Item)
            .where(Item.id == item_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        rows[item_id] = (item_id, item.published_at, name, new_url, new_hash, kind, False)


def _record_link_sightings(
    session: Session,
    heads: list[tuple[int, str | None, str | None]],
    source_id: int,
    run_id: int | None,
    now: datetime,
) -> None:
    """An item carrying a link is a sighting of the item holding that URL, and an item now holding a
    URL is seen by the sources of the items that carry it (whichever of the two was stored first)."""
    carried = {link: item_id for item_id, _, link in heads if link}
    held = {url: item_id for item_id, url, _ in heads if url}
    rows: list[dict[str, Any]] = []
    if carried:
        for owner_id, url in session.execute(select(Item.id, Item.url).where(Item.url.in_(list(carried)))):
            if owner_id != carried[url]:
                rows.append(
                    {
                        "item_id": owner_id,
                        "source_id": source_id,
                        "run_id": run_id,
                        "url": url,
                        "seen_at": now,
                    }
                )
    if held:
        stmt = select(Item.id, Item.source_id, Item.link_url).where(Item.link_url.in_(list(held)))
        for carrier_id, carrier_source, url in session.execute(stmt):
            if carrier_id != held[url]:
                rows.append(
                    {
                        "item_id": held[url],
                        "source_id": carrier_source,
                        "run_id": run_id,
                        "url": url,
                        "seen_at": now,
                    }
                )
    if rows:
        session.execute(upsert_insert(session, ItemSighting.__table__).on_conflict_do_nothing(), rows)


def _insert_items(
    session: Session,
    rows: list[tuple[CollectedItem, str | None, str, str | None]],
    source_id: int,
    run_id: int | None,
    now: datetime,
) -> dict[str, int]:
    """Insert items (distinct by URL and hash) in batched statements; content hash -> new id.

    A row that conflicts (a concurrent writer stored the same item first) is skipped and not returned.
    """
    if not rows:
        return {}
    values = [_item_values(item, url, chash, source_id, run_id, now, link) for item, url, chash, link in rows]
    stmt = upsert_insert(session, Item.__table__).on_conflict_do_nothing()
    return {
        chash: item_id
        for item_id, chash in session.execute(stmt.returning(Item.id, Item.content_hash), values)
    }


def _item_values(
    item: CollectedItem,
    url: str | None,
    chash: str,
    source_id: int,
    run_id: int | None,
    now: datetime,
    link: str | None = None,
) -> dict[str, Any]:
    raw = dict(item.raw)
    if url is None and item.url and link is None:
        raw.setdefault("url", item.url)
    return {
        "source_id": source_id,
        "first_run_id": run_id,
        "url": url,
        "external_id": item.external_id,
        "title": item.title,
        "text": item.text,
        "author": item.author,
        "published_at": item.published_at,
        "collected_at": now,
        "lang": item.lang,
        "content_hash": chash,
        "link_url": link,
        "districts": [],
        "actors": [],
        "raw": raw,
    }


def _find_item(session: Session, url: str | None, chash: str) -> int:
    match = Item.content_hash == chash if url is None else or_(Item.url == url, Item.content_hash == chash)
    found = session.execute(select(Item.id).where(match).order_by(Item.id).limit(1)).scalar_one_or_none()
    if found is None:
        raise StorageError(f"item {url or chash} conflicted on insert but cannot be found")
    return found


def _record_sightings(
    session: Session,
    items: Sequence[CollectedItem],
    ids: list[int],
    source_id: int,
    run_id: int | None,
    now: datetime,
) -> None:
    rows: dict[int, dict[str, Any]] = {}
    for item, item_id in zip(items, ids, strict=True):
        rows.setdefault(
            item_id,
            {
                "item_id": item_id,
                "source_id": source_id,
                "run_id": run_id,
                "url": item.canonical_url,
                "seen_at": now,
            },
        )
    if rows:
        stmt = upsert_insert(session, ItemSighting.__table__).on_conflict_do_nothing()
        session.execute(stmt, list(rows.values()))


# --- tags ---------------------------------------------------------------------------------------


def set_item_tags(
    session: Session,
    item_id: int,
    *,
    lang: str | None = None,
    stage: str | None = None,
    districts: Iterable[str] | None = None,
    actors: Iterable[str] | None = None,
) -> None:
    """Set an item's language, election stage, districts and actors; a None argument is left unchanged."""
    row: dict[str, Any] = {"id": item_id}
    for name, value in (("lang", lang), ("stage", stage), ("districts", districts), ("actors", actors)):
        if value is not None:
            row[name] = value
    set_tags(session, [row])


def set_tags(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Bulk :func:`set_item_tags`: each row has ``id`` and any of lang, stage, districts, actors.

    Returns the number of rows given. Districts and actors are stored as sorted, distinct lists.
    """
    clean: list[dict[str, Any]] = []
    for row in rows:
        unknown = set(row) - {"id", *TAG_FIELDS}
        if unknown or "id" not in row:
            raise InvalidValueError("tag field", sorted(unknown) or "missing id", ("id", *TAG_FIELDS))
        out = dict(row)
        for name in ("districts", "actors"):
            if name in out:
                out[name] = sorted(set(out[name] or ()))
        if len(out) > 1:
            clean.append(out)
    if clean:
        session.execute(update(Item), clean)
    return len(rows)


# --- scores -------------------------------------------------------------------------------------


def items_needing_scores(
    session: Session, model_version: str, item_ids: Sequence[int] | None = None, limit: int | None = None
) -> list[ItemForScoring]:
    """Items without a score from ``model_version`` (optionally only among ``item_ids``), oldest first."""
    scored = exists().where(Score.item_id == Item.id, Score.model_version == model_version)
    stmt = (
        select(Item.id, Item.title, Item.text, Item.url, Item.published_at, Item.source_id, Source.trust)
        .join(Source, Source.id == Item.source_id)
        .where(~scored)
        .order_by(Item.id)
    )
    if item_ids is not None:
        stmt = stmt.where(Item.id.in_(list(item_ids)))
    if limit is not None:
        stmt = stmt.limit(limit)
    return [ItemForScoring(*row) for row in session.execute(stmt)]


def save_scores(
    session: Session,
    model_version: str,
    results: Sequence[tuple[int, ScoreResult]],
    *,
    now: datetime | None = None,
) -> int:
    """Store scores per (item, model version); a pair already stored is kept as it is.

    Returns how many scores were newly stored.
    """
    now = as_utc(now) if now else utcnow()
    stored = 0
    rows = [
        {
            "item_id": item_id,
            "model_version": model_version,
            "scores": dict(result.scores),
            "flags": list(result.flags),
            "explanations": dict(result.explanations),
            "created_at": now,
        }
        for item_id, result in results
    ]
    if rows:
        stmt = upsert_insert(session, Score.__table__).on_conflict_do_nothing(
            index_elements=["item_id", "model_version"]
        )
        stored = len(session.execute(stmt.returning(Score.id), rows).all())
    return stored
