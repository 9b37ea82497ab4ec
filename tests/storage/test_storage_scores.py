"""Scores: which items still need scoring per model version, and idempotent saving."""

from __future__ import annotations

from sqlalchemy import func, select

from pantau.domain.records import ScoreResult
from storage.models import Score
from storage.repository import items_needing_scores, save_scores, upsert_items


def _result(hoax: float) -> ScoreResult:
    return ScoreResult(
        scores={"hoax": hoax, "sara": 0.1},
        flags=["hoax"] if hoax > 0.5 else [],
        lang="ind",
        explanations={"hoax": ["dipindah", "hoaks"]},
        model_version="ignored",
    )


def test_items_needing_scores_and_idempotent_save(session, sources, new_item):
    ids = upsert_items(session, sources["kabar-a"], None, [new_item(1), new_item(2), new_item(3)]).ids
    session.commit()
    todo = items_needing_scores(session, "tfidf-1")
    assert [t.id for t in todo] == ids
    assert (todo[0].title, todo[0].source_trust, todo[0].source_id) == ("Berita 1", 0.9, sources["kabar-a"])

    assert save_scores(session, "tfidf-1", [(ids[0], _result(0.9)), (ids[1], _result(0.2))]) == 2
    assert save_scores(session, "tfidf-1", [(ids[0], _result(0.1))]) == 0  # already scored: kept
    session.commit()
    assert session.scalar(select(func.count()).select_from(Score)) == 2
    stored = session.scalars(select(Score).where(Score.item_id == ids[0])).one()
    assert stored.scores == {"hoax": 0.9, "sara": 0.1} and stored.flags == ["hoax"]
    assert stored.explanations == {"hoax": ["dipindah", "hoaks"]} and stored.model_version == "tfidf-1"

    assert [t.id for t in items_needing_scores(session, "tfidf-1")] == [ids[2]]
    assert [t.id for t in items_needing_scores(session, "tfidf-2")] == ids  # a new model scores all
    assert [t.id for t in items_needing_scores(session, "tfidf-2", item_ids=[ids[2], ids[0]])] == [
        ids[0],
        ids[2],
    ]
    assert [t.id for t in items_needing_scores(session, "tfidf-2", limit=1)] == [ids[0]]
