"""Full-text search (issue 18) on SQLite FTS5 and PostgreSQL tsvector: kept in sync by the database as the
repository writes, folds accents and case, ranks, highlights safely, combines with the filters, and
never turns what a user typed into query syntax.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, inspect, text, update

from pantau.domain.records import CollectedItem
from storage import alert_search, fts, text_search
from storage import repository as repo
from storage.alert_search import AlertFilters
from storage.models import Item

T0 = datetime(2024, 11, 20, 3, tzinfo=UTC)
HOSTILE = '<script>alert(1)</script> Pèssè <b onclick="x()">tebbhâ</b>'
BAD_QUERIES = [
    '"',
    '"unbalanced quote',
    "NEAR(",
    "NEAR(a b",
    "*",
    "-",
    "a*",
    "***pèssè",
    "OR",
    "AND NOT",
    "col:word",
    "title:pesse",
    "^pesse",
    "(((",
    "'",
    "a' OR '1'='1",
    "\\",
    "pesse & | ! <-> :*",
    "x" * 500,
    "\u200b\u2028",
    "\ue000\ue001",
    "² ٣ １ 🙂 中文 ǅ ﬁ",
    "pesse ²",
]


def _item(n: int, title: str | None, body: str, *, source: str = "kabar-a", hours: int = 0) -> CollectedItem:
    return CollectedItem(
        source=source,
        title=title,
        text=body,
        url=f"https://news.example/fts/{n}",
        published_at=T0 + timedelta(hours=hours),
    )


def _store(session, sources, items: list[CollectedItem], source: str = "kabar-a") -> list[int]:
    ids = repo.upsert_items(session, sources[source], None, items).ids
    session.commit()
    return ids


def engine_dialect(session) -> str:
    return session.get_bind().dialect.name


def _found(session, q: str, **filters) -> list[int]:
    return [h.id for h in text_search.search_items(session, AlertFilters(q=q, **filters), limit=50).hits]


def test_the_migration_creates_the_search_objects(engine):
    """A later migration that rebuilds items or alerts (SQLite batch mode) must keep these."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            names = set(conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
            assert set(fts.SQLITE_TRIGGERS) <= names
            tables = set(inspect(conn).get_table_names())
            assert {fts.ITEMS_FTS, fts.ALERTS_FTS} <= tables
        else:
            for table in ("items", "alerts"):
                assert "search_vector" in {c["name"] for c in inspect(conn).get_columns(table)}
            triggers = set(
                conn.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).scalars()
            )
            assert {"items_search_vector", "alerts_search_vector"} <= triggers


def test_the_index_follows_inserts_updates_and_deletes(session, sources):
    first, other = _store(
        session,
        sources,
        [
            _item(1, "Kabar lama", "Harga beras naik di pasar Omben", hours=5),
            _item(2, "Lain", "Tidak ada yang cocok di sini"),
        ],
    )
    assert _found(session, "beras") == [first]
    # the same URL from another source, published earlier: the repository takes that copy's text
    _store(
        session, sources, [_item(1, "Kabar baru", "Surat suara rusak di TPS 3", hours=1)], source="kabar-b"
    )
    assert session.get(Item, first).text == "Surat suara rusak di TPS 3"
    assert _found(session, "beras") == [] and _found(session, "surat suara") == [first]
    assert _found(session, "baru") == [first] and _found(session, "lama") == []
    repo.set_item_tags(session, first, stage="campaign", districts=["Omben"])  # not a text change
    session.commit()
    assert _found(session, "surat") == [first]

    alert_id, _ = repo.raise_alert(
        session,
        kind="flagged_item",
        severity="high",
        reason="hoax 0.91: rekapitulasi dipalsukan",
        dedupe_key="fts:1",
        signal="hoax",
        item_id=other,
    )
    session.commit()
    assert [r.id for r in alert_search.search_alerts(session, AlertFilters(q="dipalsukan"))] == [alert_id]
    assert alert_search.count_alerts(session, AlertFilters(q="dipalsukan")) == 1
    session.execute(update(Item.__table__).where(Item.id == other).values(text="ganti isi"))
    session.commit()
    assert _found(session, "ganti") == [other]

    session.execute(delete(Item.__table__).where(Item.id == first))
    session.commit()
    assert _found(session, "surat") == []
    dialect = engine_dialect(session)
    assert (
        first not in session.scalars(fts.item_ids(fts.parse_query("surat"), dialect)).all()
    )  # the index too
    assert _found(session, "ganti") == [other]


def test_accents_and_case_fold_both_ways(session, sources):
    accented, plain, upper = _store(
        session,
        sources,
        [
            _item(1, None, "Orèng Madhurâ ngocol pèssè dâri calon"),
            _item(2, None, "ada pesse di kampung"),
            _item(3, "SAMPANG", "berita"),
        ],
    )
    assert set(_found(session, "pesse")) == {accented, plain}
    assert set(_found(session, "pèssè")) == {accented, plain}
    assert set(_found(session, "PÈSSÈ")) == {accented, plain}
    assert _found(session, "madhura") == [accented] and _found(session, "dâri") == [accented]
    assert _found(session, "sampang") == [upper] and _found(session, "Sampang") == [upper]


def test_whole_words_prefixes_and_phrases(session, sources):
    nya, exact, apart = _store(
        session,
        sources,
        [
            _item(1, None, "kampanyenya ramai sekali"),
            _item(2, None, "serangan fajar di desa, kampanye sepi"),
            _item(3, None, "fajar menyingsing, serangan balik"),
        ],
    )
    assert _found(session, "kampanye") == [exact]
    assert set(_found(session, "kampanye*")) == {nya, exact}
    assert set(_found(session, "kamp*")) == {nya, exact}
    assert set(_found(session, "serangan fajar")) == {exact, apart}
    assert _found(session, '"serangan fajar"') == [exact]
    assert _found(session, '"fajar serangan"') == []


def test_hostile_queries_are_plain_words(session, sources):
    (hit,) = _store(session, sources, [_item(1, "Pèssè", "near pesse title col word or and not")])
    for q in BAD_QUERIES:
        page = text_search.search_items(session, AlertFilters(q=q))
        assert isinstance(page.total, int), q
        alert_search.search_page(session, AlertFilters(q=q))
        assert text_search.items_matching(session, AlertFilters(q=q)) is not None
    assert _found(session, "NEAR(") == [hit] and _found(session, '"unbalanced pesse') == []
    assert _found(session, "***pèssè") == [hit] and _found(session, "title:pesse") == [hit]
    assert text_search.search_items(session, AlertFilters(q="*")).total == 0


def test_snippets_escape_the_text_and_mark_the_match(session, sources):
    (hit,) = _store(session, sources, [_item(1, None, HOSTILE + " \ue001 stray \ue000 markers")])
    (row,) = text_search.search_items(session, AlertFilters(q="pesse")).hits
    assert row.id == hit
    assert "<mark>Pèssè</mark>" in row.snippet_html
    assert "<script" not in row.snippet_html and "<b" not in row.snippet_html
    assert row.snippet_html.count("<mark>") == row.snippet_html.count("</mark>")
    without_tags = row.snippet_html.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in without_tags and ">" not in without_tags
    assert row.title_html is None  # no title


def test_titles_are_highlighted_whole_and_escaped(session, sources):
    titled, other = _store(
        session,
        sources,
        [_item(1, "<i>Amplop</i> & serangan fajar", "isi tanpa kata itu"), _item(2, "Judul lain", "amplop")],
    )
    hits = {h.id: h for h in text_search.search_items(session, AlertFilters(q="amplop")).hits}
    assert hits[titled].title_html == "&lt;i&gt;<mark>Amplop</mark>&lt;/i&gt; &amp; serangan fajar"
    assert hits[other].title_html is None and "<mark>amplop</mark>" in hits[other].snippet_html


def test_user_input_becomes_quoted_terms_only():
    query = fts.parse_query('NEAR(a b) OR "x y" -z col:w ^v kamp* "')
    assert query.fts5() == '"near" "a" "b" "or" "z" "col" "w" "v" "kamp"* "x y"'
    assert query.tsquery() == "'near' & 'a' & 'b' & 'or' & 'z' & 'col' & 'w' & 'v' & 'kamp':* & ('x' <-> 'y')"
    assert not fts.parse_query("* - ( ) \" ' : ^ _")


def test_the_postgresql_fold_works_without_unaccent(engine):
    """The fold in the search_vector expression, with the plain 'simple' configuration (a server
    without the unaccent extension)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the tsvector expression is PostgreSQL's")
    expression = fts.pg_vector_sql({"body": "A"}, "pg_catalog.simple")
    with engine.connect() as conn:
        vector = conn.execute(text(f"SELECT {expression} FROM (SELECT 'Pèssè DÂRI Madhurâ' AS body) AS t"))
        assert vector.scalar_one() == "'dari':2A 'madhura':3A 'pesse':1A"


def test_marked_html_escapes_before_marking():
    s, e = fts.MARK_START, fts.MARK_END
    assert fts.marked_html(f"<i>{s}a&b{e}</i>") == "&lt;i&gt;<mark>a&amp;b</mark>&lt;/i&gt;"
    assert fts.marked_html(f"{e}x{s}y{s}z") == "x<mark>yz</mark>"
    assert fts.marked_html(" \n ") is None and fts.marked_html(None) is None


def test_title_matches_rank_above_text_matches(session, sources):
    in_title, in_text = _store(
        session,
        sources,
        [
            _item(1, "Amplop beredar di Omben", "Warga resah", hours=1),
            _item(2, "Berita pagi", "Ada kabar soal amplop di Omben, katanya", hours=2),
        ],
    )
    page = text_search.search_items(session, AlertFilters(q="amplop"))
    assert page.ranked and [h.id for h in page.hits] == [in_title, in_text]
    # past the rank limit the same search is ordered newest (highest id) first
    limit = fts.RANK_LIMIT
    try:
        fts.RANK_LIMIT = 1
        page = text_search.search_items(session, AlertFilters(q="amplop"))
    finally:
        fts.RANK_LIMIT = limit
    assert not page.ranked and [h.id for h in page.hits] == [in_text, in_title]


def test_item_search_combines_the_filters(session, sources):
    a, b, c = _store(
        session,
        sources,
        [
            _item(1, None, "hoaks kotak suara Omben", hours=0),
            _item(2, None, "hoaks kotak suara Torjun", hours=30),
            _item(3, None, "hoaks kotak suara lagi", hours=60),
        ],
    )
    (d,) = _store(session, sources, [_item(4, None, "hoaks kotak suara dari grup")], source="social")
    repo.set_item_tags(session, a, stage="campaign", districts=["Omben"], actors=["Polres Sampang"])
    repo.set_item_tags(session, b, stage="voting_day", districts=["Torjun"])
    repo.raise_alert(
        session,
        kind="flagged_item",
        severity="high",
        reason="hoax 0.9",
        dedupe_key="f:b",
        signal="hoax",
        item_id=b,
    )
    session.commit()
    assert set(_found(session, "kotak")) == {a, b, c, d}
    assert _found(session, "kotak", stage="campaign") == [a]
    assert _found(session, "kotak", district="Torjun") == [b]
    assert _found(session, "kotak", actor="Polres Sampang") == [a]
    assert _found(session, "kotak", source="social") == [d]
    assert _found(session, "kotak", signal="hoax") == [b]
    assert _found(session, "kotak", signal="hoax", status="open", kind="flagged_item") == [b]
    assert _found(session, "kotak", status="resolved") == []
    assert set(_found(session, "kotak", since=T0 + timedelta(hours=20))) == {b, c}
    assert _found(session, "kotak", since=T0 + timedelta(hours=20), until=T0 + timedelta(hours=40)) == [b]
    assert _found(session, "kotak", stage="campaign", district="Torjun") == []


def test_items_matching_pages_by_id_for_saved_searches(session, sources):
    ids = _store(session, sources, [_item(n, None, f"pemilih nomor {n}") for n in range(1, 6)])
    _store(session, sources, [_item(9, None, "tidak cocok")])
    first = text_search.items_matching(session, AlertFilters(q="pemilih"), limit=2)
    assert [h.id for h in first] == ids[:2] and first[0].snippet_html == "<mark>pemilih</mark> nomor 1"
    rest = text_search.items_matching(session, AlertFilters(q="pemilih"), after_id=first[-1].id)
    assert [h.id for h in rest] == ids[2:]
    bare = text_search.items_matching(session, AlertFilters(q="pemilih"), after_id=ids[3], snippets=False)
    assert [h.id for h in bare] == ids[4:] and bare[0].snippet_html is None


def test_alert_search_ranks_and_finds_reasons(session, sources):
    weak, strong, bare = _store(
        session,
        sources,
        [
            _item(1, "Kabar", "sekali disebut: intimidasi", hours=3),
            _item(2, "Intimidasi pemilih", "intimidasi dan intimidasi lagi", hours=1),
            _item(3, "Lain", "tidak cocok"),
        ],
    )
    made = {}
    for key, item_id, reason in (
        ("weak", weak, "violence_threat 0.8: ancaman"),
        ("strong", strong, "violence_threat 0.8: ancaman"),
        ("reason", bare, "violence_threat 0.7: intimidasi disebut di alasan"),
    ):
        made[key], _ = repo.raise_alert(
            session,
            kind="flagged_item",
            severity="low" if key == "strong" else "critical",
            reason=reason,
            dedupe_key=f"rank:{key}",
            signal="violence_threat",
            item_id=item_id,
        )
    session.commit()
    total, rows = alert_search.search_page(session, AlertFilters(q="intimidasi"))
    assert total == 3
    # relevance, not severity: the item matching in title and text first, the reason-only match last
    assert [r.id for r in rows] == [made["strong"], made["weak"], made["reason"]]
    assert rows[0].snippet_html and "<mark>" in rows[0].snippet_html
    assert rows[2].snippet_html == "violence_threat 0.7: <mark>intimidasi</mark> disebut di alasan"
    assert alert_search.count_alerts(session, AlertFilters(q="intimidasi", signal="hoax")) == 0
    assert alert_search.search_page(session, AlertFilters(q="***")) == (0, [])
    # the CSV's keyset pages use the same filter (newest id first)
    csv_ids = [r.id for r in alert_search.alerts_after(session, AlertFilters(q="intimidasi"), None)]
    assert csv_ids == sorted(made.values(), reverse=True)
    # without q the order stays most severe first, and no snippet is computed
    _, plain = alert_search.search_page(session, AlertFilters(signal="violence_threat"))
    assert plain[-1].id == made["strong"] and all(r.snippet_html is None for r in plain)


@pytest.mark.parametrize("q", ["pesse", '"kotak suara"'])
def test_search_page_and_item_search_agree_on_counts(session, sources, q):
    ids = _store(session, sources, [_item(n, None, f"{HOSTILE} kotak suara {n}") for n in range(1, 4)])
    for n, item_id in enumerate(ids):
        repo.raise_alert(
            session,
            kind="flagged_item",
            severity="low",
            reason="sara 0.6",
            dedupe_key=f"agree:{n}",
            item_id=item_id,
        )
    session.commit()
    assert text_search.search_items(session, AlertFilters(q=q)).total == 3
    assert alert_search.search_page(session, AlertFilters(q=q))[0] == 3
