"""Full-text search with the database's own engine: SQLite FTS5, PostgreSQL ``tsvector``.

* SQLite: external-content FTS5 tables ``items_fts`` (title, text) and ``alerts_fts`` (reason) with the
  ``unicode61 remove_diacritics 2`` tokenizer, kept in sync by triggers (migration 0008); ranked by
  ``bm25()``, highlighted by ``snippet()``.
* PostgreSQL: ``items.search_vector`` (title weighted A, text B) and ``alerts.search_vector`` columns
  with GIN indexes, set by BEFORE INSERT / UPDATE OF title, text (reason) triggers, built with the
  text search configuration ``pantau_search`` ('simple' + ``unaccent`` when the extension could be
  installed) over the text folded by ``translate(..., FOLD_FROM, FOLD_TO)``; ranked by ``ts_rank``,
  highlighted by ``ts_headline``.

Users type plain words: :func:`parse_query` keeps only words (letters and digits), ``word*`` prefixes and
"quoted phrases", so no user input ever reaches FTS5 or tsquery syntax. A word matches whole words
("kampanye" does not find "kampanyenya"; ``kampanye*`` does); a phrase matches its words in order.
Words are folded (``â`` -> ``a``, ``è`` -> ``e``) and lower-cased on both backends. Whole words by
default, because FTS5 reads and merges a prefix's whole posting list on every statement: at 100,000
items (``benchmarks/bench_search.py``), the snippets of a page took ~85 ms for ``pilkada*`` and ~2 ms
for ``pilkada``, which seeks.

Highlights come back from the database between the private-use characters :data:`MARK_START` and
:data:`MARK_END`; :func:`marked_html` escapes the text and only then turns them into ``<mark>``.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, cast, func, literal, literal_column, select, table
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlalchemy.orm import Session

from storage.models import Alert, Item

MARK_START, MARK_END = "\ue000", "\ue001"
PG_CONFIG = "pantau_search"
ITEMS_FTS, ALERTS_FTS = "items_fts", "alerts_fts"
SQLITE_TOKENIZER = "unicode61 remove_diacritics 2"
#: at most this many words and phrases of a query are used; longer words are cut
MAX_TERMS, MAX_WORD_CHARS = 16, 64
#: a ``word*`` prefix needs this many letters (a shorter one is searched as a whole word)
MIN_PREFIX_CHARS = 2
SNIPPET_TOKENS = 24  # FTS5 snippet() length in tokens (its maximum is 64)
TITLE_WEIGHT = 4.0  # bm25() weight of the title column against the text's 1.0
#: Ranking reads every match's positions (bm25 / ts_rank: a few microseconds per row); past this many
#: matches a search is ordered newest first instead (``benchmarks/bench_search.py``).
RANK_LIMIT = 10_000
_HEADLINE = f'StartSel="{MARK_START}", StopSel="{MARK_END}", MaxWords=35, MinWords=15'
_WORD = re.compile(r"[^\W_]+")
_WORD_STAR = re.compile(r"([^\W_]+)(\*?)")
_PHRASE = re.compile(r'"([^"]*)"')


def _fold_table() -> tuple[str, str]:
    """Latin letters with diacritics (U+00C0-U+024F, U+1E00-U+1EFF) and their base letters."""
    src, dst = [], []
    for cp in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        parts = unicodedata.normalize("NFD", chr(cp))
        base = parts[0]
        if (
            len(parts) > 1
            and base.isascii()
            and base.isalpha()
            and all(map(unicodedata.combining, parts[1:]))
        ):
            src.append(chr(cp))
            dst.append(base)
    return "".join(src), "".join(dst)


#: The PostgreSQL fold (``translate(text, FOLD_FROM, FOLD_TO)``) used by migration 0008's generated
#: columns. Frozen: a change needs a new migration that rebuilds the columns.
FOLD_FROM, FOLD_TO = _fold_table()
_FOLD = str.maketrans(FOLD_FROM, FOLD_TO)


def fold(text: str) -> str:
    """``text`` NFC-normalised, diacritics of Latin letters removed, lower-cased."""
    return unicodedata.normalize("NFC", text).translate(_FOLD).lower()


@dataclass(frozen=True, slots=True)
class TextQuery:
    """A parsed query: whole words, word prefixes and phrases, all required (AND)."""

    words: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.words or self.prefixes or self.phrases)

    def fts5(self) -> str:
        """The FTS5 MATCH expression: every word and phrase quoted (no operator can get in)."""
        parts = [f'"{w}"' for w in self.words] + [f'"{p}"*' for p in self.prefixes]
        parts += ['"' + " ".join(p) + '"' for p in self.phrases]
        return " ".join(parts)

    def tsquery(self) -> str:
        """The ``to_tsquery`` text: quoted lexemes, ``:*`` prefixes, ``<->`` phrases, joined by ``&``."""
        parts = [f"'{w}'" for w in self.words] + [f"'{p}':*" for p in self.prefixes]
        parts += ["(" + " <-> ".join(f"'{w}'" for w in p) + ")" for p in self.phrases]
        return " & ".join(parts)


def _words(text: str) -> list[str]:
    return [w[:MAX_WORD_CHARS] for w in _WORD.findall(fold(text))]


def parse_query(raw: str | None) -> TextQuery:
    """Whole words, ``prefix*`` words (at least :data:`MIN_PREFIX_CHARS` letters before the ``*``) and
    "quoted phrases" of what a user typed; every other character (``-``, ``(``, ``:``, a lone ``*``,
    an unbalanced quote) only separates words. An empty result matches nothing."""
    text = raw or ""
    phrases: list[tuple[str, ...]] = []
    for found in _PHRASE.findall(text):
        words = _words(found)
        if len(words) > 1:
            phrases.append(tuple(words))
    rest = _PHRASE.sub(lambda m: " " if len(_words(m.group(1))) > 1 else f" {m.group(1)} ", text)
    words: dict[str, None] = {}
    prefixes: dict[str, None] = {}
    for word, star in _WORD_STAR.findall(fold(rest)):
        word = word[:MAX_WORD_CHARS]
        if star and len(word) >= MIN_PREFIX_CHARS:
            prefixes[word] = None
        else:
            words[word] = None
    terms = [*words, *prefixes]
    keep = set(terms[:MAX_TERMS])
    room = max(0, MAX_TERMS - len(terms))
    return TextQuery(
        tuple(w for w in words if w in keep),
        tuple(p for p in prefixes if p in keep and p not in words),
        tuple(dict.fromkeys(phrases))[:room],
    )


def marked_html(marked: str | None) -> str | None:
    """Safe HTML of a highlighted snippet: whitespace collapsed, everything escaped, then the markers
    turned into balanced ``<mark>``/``</mark>`` (a stray marker, e.g. one in the scraped text, is
    dropped)."""
    if marked is None:
        return None
    flat = " ".join(marked.split())
    if not flat:
        return None
    out: list[str] = []
    open_ = False
    for piece in re.split(f"([{MARK_START}{MARK_END}])", html.escape(flat, quote=True)):
        if piece == MARK_START and not open_:
            out.append("<mark>")
            open_ = True
        elif piece == MARK_END and open_:
            out.append("</mark>")
            open_ = False
        elif piece not in (MARK_START, MARK_END):
            out.append(piece)
    if open_:
        out.append("</mark>")
    return "".join(out)


# --- the SQL of each backend -------------------------------------------------------------------


def _tsquery(query: TextQuery) -> ColumnElement[Any]:
    return func.to_tsquery(cast(literal(PG_CONFIG), REGCONFIG), literal(query.tsquery()))


def _vector(table_name: str) -> ColumnElement[Any]:
    return literal_column(f"{table_name}.search_vector")


def _fts_match(name: str, query: TextQuery) -> ColumnElement[bool]:
    return literal_column(name).op("MATCH")(bindparam(None, query.fts5(), unique=True))


def rankable(matches: int) -> bool:
    """Whether a search with this many matches is ordered by relevance (else newest first)."""
    return matches <= RANK_LIMIT


def item_ids(query: TextQuery, dialect: str) -> Select[Any]:
    """The ids of the items whose title or text matches (for ``IN``)."""
    if dialect == "postgresql":
        return select(Item.id).where(_vector("items").op("@@")(_tsquery(query)))
    rowid = literal_column(f"{ITEMS_FTS}.rowid")
    return select(rowid).select_from(table(ITEMS_FTS)).where(_fts_match(ITEMS_FTS, query))


def reason_ids(query: TextQuery, dialect: str) -> Select[Any]:
    """The ids of the alerts whose reason matches (for ``IN``)."""
    if dialect == "postgresql":
        return select(Alert.id).where(_vector("alerts").op("@@")(_tsquery(query)))
    rowid = literal_column(f"{ALERTS_FTS}.rowid")
    return select(rowid).select_from(table(ALERTS_FTS)).where(_fts_match(ALERTS_FTS, query))


def join_items(stmt: Select[Any], query: TextQuery, dialect: str, on: Any) -> tuple[Select[Any], Any]:
    """``stmt`` kept to rows whose item (``on``: ``Item.id`` or ``Alert.item_id``) matches, and the
    rank of the match (lower is better): bm25() with the title weighted :data:`TITLE_WEIGHT`, or minus
    ts_rank. The rank is computed only for the rows the rest of ``stmt``'s WHERE keeps."""
    if dialect == "postgresql":
        tsq = _tsquery(query)
        if on is Item.id:
            vector = _vector("items")
        else:
            hit = Item.__table__.alias("fts_items")
            stmt = stmt.join(hit, hit.c.id == on)
            vector = _vector("fts_items")
        return stmt.where(vector.op("@@")(tsq)), -func.ts_rank(vector, tsq)
    fts = table(ITEMS_FTS, literal_column("rowid"))
    stmt = stmt.join(fts, literal_column(f"{ITEMS_FTS}.rowid") == on).where(_fts_match(ITEMS_FTS, query))
    return stmt, func.bm25(literal_column(ITEMS_FTS), TITLE_WEIGHT, 1.0)


def join_reasons(stmt: Select[Any], query: TextQuery, dialect: str) -> tuple[Select[Any], Any]:
    """``stmt`` (over ``alerts``) kept to alerts whose reason matches, and the rank (as
    :func:`join_items`)."""
    if dialect == "postgresql":
        tsq = _tsquery(query)
        vector = _vector("alerts")
        return stmt.where(vector.op("@@")(tsq)), -func.ts_rank(vector, tsq)
    fts = table(ALERTS_FTS, literal_column("rowid"))
    stmt = stmt.join(fts, literal_column(f"{ALERTS_FTS}.rowid") == Alert.id)
    return stmt.where(_fts_match(ALERTS_FTS, query)), func.bm25(literal_column(ALERTS_FTS))


def _snippets(
    session: Session,
    query: TextQuery,
    ids: Iterable[int],
    sqlite_table: str,
    pg_table: str,
    pg_id: Any,
    pg_document: Callable[[], ColumnElement[Any]],
) -> dict[int, str]:
    wanted = sorted(set(ids))
    if not wanted or not query:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        tsq = _tsquery(query)
        headline = func.ts_headline(cast(literal(PG_CONFIG), REGCONFIG), pg_document(), tsq, _HEADLINE)
        stmt = select(pg_id, headline).where(pg_id.in_(wanted), _vector(pg_table).op("@@")(tsq))
    else:
        fts = table(sqlite_table, literal_column("rowid"))
        marked = func.snippet(literal_column(sqlite_table), -1, MARK_START, MARK_END, "…", SNIPPET_TOKENS)
        rowid = literal_column(f"{sqlite_table}.rowid")
        stmt = (
            select(rowid, marked).select_from(fts).where(_fts_match(sqlite_table, query), rowid.in_(wanted))
        )
    return {int(i): s for i, s in session.execute(stmt) if s}


def item_snippets(session: Session, query: TextQuery, item_ids: Iterable[int]) -> dict[int, str]:
    """item id -> the best-matching passage of its title or text, matches between the markers (only the
    ids that match)."""
    return _snippets(
        session,
        query,
        item_ids,
        ITEMS_FTS,
        "items",
        Item.id,
        lambda: func.concat_ws(" · ", Item.title, Item.text),
    )


def title_highlights(session: Session, query: TextQuery, item_ids: Iterable[int]) -> dict[int, str]:
    """item id -> its whole title with the matches between the markers (only titles that match)."""
    wanted = sorted(set(item_ids))
    if not wanted or not query:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        options = f'HighlightAll=true, StartSel="{MARK_START}", StopSel="{MARK_END}"'
        marked = func.ts_headline(cast(literal(PG_CONFIG), REGCONFIG), Item.title, _tsquery(query), options)
        stmt = select(Item.id, marked).where(Item.id.in_(wanted), Item.title.is_not(None))
    else:
        rowid = literal_column(f"{ITEMS_FTS}.rowid")
        marked = func.highlight(literal_column(ITEMS_FTS), 0, MARK_START, MARK_END)
        stmt = (
            select(rowid, marked)
            .select_from(table(ITEMS_FTS))
            .where(_fts_match(ITEMS_FTS, query), rowid.in_(wanted))
        )
    return {int(i): s for i, s in session.execute(stmt) if s and MARK_START in s}


def reason_snippets(session: Session, query: TextQuery, alert_ids: Iterable[int]) -> dict[int, str]:
    """alert id -> its reason with the matches between the markers (only the ids that match)."""
    return _snippets(session, query, alert_ids, ALERTS_FTS, "alerts", Alert.id, lambda: Alert.reason)


# --- DDL (migration 0008; kept here so a later migration can restore the SQLite triggers) ----------


def sqlite_ddl() -> list[str]:
    """The FTS5 tables and their triggers. SQLite drops a table's triggers with it, so a migration that
    rebuilds ``items`` or ``alerts`` in batch mode must run :func:`sqlite_trigger_ddl` again."""
    return [
        f"CREATE VIRTUAL TABLE {ITEMS_FTS} USING fts5(title, text, content='items', content_rowid='id', "
        f"tokenize='{SQLITE_TOKENIZER}')",
        f"CREATE VIRTUAL TABLE {ALERTS_FTS} USING fts5(reason, content='alerts', content_rowid='id', "
        f"tokenize='{SQLITE_TOKENIZER}')",
        *sqlite_trigger_ddl(),
    ]


def sqlite_trigger_ddl() -> list[str]:
    """The triggers that keep the external-content FTS5 tables in step with ``items`` and ``alerts``."""
    out = []
    for name, source, columns in (
        (ITEMS_FTS, "items", ("title", "text")),
        (ALERTS_FTS, "alerts", ("reason",)),
    ):
        cols = ", ".join(columns)
        new = ", ".join(f"new.{c}" for c in columns)
        old = ", ".join(f"old.{c}" for c in columns)
        add = f"INSERT INTO {name}(rowid, {cols}) VALUES (new.id, {new});"
        remove = f"INSERT INTO {name}({name}, rowid, {cols}) VALUES ('delete', old.id, {old});"
        out += [
            f"CREATE TRIGGER IF NOT EXISTS {name}_insert AFTER INSERT ON {source} BEGIN {add} END",
            f"CREATE TRIGGER IF NOT EXISTS {name}_delete AFTER DELETE ON {source} BEGIN {remove} END",
            f"CREATE TRIGGER IF NOT EXISTS {name}_update AFTER UPDATE OF {cols} ON {source} "
            f"BEGIN {remove} {add} END",
        ]
    return out


SQLITE_TRIGGERS = tuple(f"{n}_{e}" for n in (ITEMS_FTS, ALERTS_FTS) for e in ("insert", "delete", "update"))


def pg_vector_sql(columns: dict[str, str], config: str = PG_CONFIG, row: str = "") -> str:
    """The ``search_vector`` expression over ``columns`` (column -> weight letter) of ``row`` (``NEW.``
    in a trigger), folded by ``translate`` and parsed with the text search configuration ``config``."""

    def folded(column: str) -> str:
        return f"translate(coalesce({row}{column}, ''), '{FOLD_FROM}', '{FOLD_TO}')"

    return " || ".join(
        f"setweight(to_tsvector('{config}'::regconfig, {folded(c)}), '{w}')" for c, w in columns.items()
    )


def is_search_object(name: str | None, type_: str, parent_names: dict[str, Any] | None = None) -> bool:
    """True for the search objects the models do not declare (the FTS5 tables and their shadow tables,
    the ``search_vector`` columns and their indexes); usable as Alembic's ``include_name`` negated."""
    if not name:
        return False
    if type_ == "table":
        return name.startswith((ITEMS_FTS, ALERTS_FTS))
    return name == "search_vector" or name.endswith("_search_vector")


def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    """Alembic ``include_name`` hook: leave the search objects out of autogenerate's comparison."""
    return not is_search_object(name, type_, parent_names)
