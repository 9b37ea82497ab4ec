"""The matching step of the monitoring cycle (Prefect-free): claims, known hoaxes, counter-narrative links.

After classification, every scored item the step has not handled yet gets a role:

* ``answer``: a counter-narrative (from a ``factcheck_feed`` source, or scored ``counter_narrative``
  at or above its threshold). It is linked automatically (``link_method="auto"``) to the claims whose
  members it matches at or above the matching threshold, with the answering actor and its category.
* ``claim``: an item in a claim. Only *claim candidates* are searched and clustered: items scoring
  hoax at least ``KNOWN_HOAX_MIN_SHARE`` (half) of their hoax alert threshold. Seeds (items that may
  start a claim) are candidates with an alert-level hoax alert (medium severity or more, not dismissed;
  a low one is a report about a hoax on a trusted outlet) in a language of the training data, items a
  reviewer judged hoax, and candidates matching a stored counter-narrative (at or above the matching
  threshold, within ``recent_days``: a repeat of a known hoax). Candidates are
  clustered with the stored claims' members (``ClaimClusterer``, at ``cluster_threshold``): a cluster
  holding a stored member joins that claim (the oldest if several), else one holding a seed becomes a
  new claim, else its items stay ``other``. Each match of a claim item is recorded (``item_matches``)
  and links the counter-narrative to the claim; when the counter-narrative was published no later
  than the item, a ``known_hoax`` alert is raised with the debunk (item id, URL, title, actor) in its
  details.
* ``other``: everything else. Items below the candidate bar (the bulk of ordinary news and posts)
  become ``other`` without a search, so the step's cost follows the number of hoax-like items, not
  the number of items: a reworded repeat of a claim joins it only if it reads somewhat like a hoax
  itself (exact repeats are already one item in storage).

Rerunning is a no-op: handled items are recorded in ``item_match_checks``, links, matches and alerts are
idempotent. Items left unhandled by a crashed run are picked up by the next one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from classifiers.matching import ClaimClusterer, Doc, MatchConfig, MatchIndex
from flows.resources import engine_for, region_classifier
from pantau.domain.alert_rules import HOT_STAGES, effective_thresholds
from pantau.domain.config import PantauConfig
from pantau.domain.outcomes import Attribution, attribute
from pantau.domain.signals import Signal
from storage import claims as store
from storage.alerts import raise_alert

FACTCHECK_KINDS = frozenset({"factcheck_feed"})
SEARCH_K = 5
# An item that matches a counter-narrative repeats the claim only if it also reads somewhat like a hoax:
# news on the same topic (a KPU result next to a debunk of a fake result) matches too. The bar is this
# share of the hoax alert threshold; items below it are neither searched nor clustered (role 'other').
KNOWN_HOAX_MIN_SHARE = 0.5
# Clustering links items whose 'same claim' probability reaches this. Higher than the matching
# threshold: union-find chains links, and on the demo, different claims sharing boilerplate ("INFO
# PENTING ... sebarkan sebelum dihapus") and a place or a topic (ID cards at the TPS) score 0.83-0.94,
# while true repeats, the reworded Camplong one included, score 0.998-1.0 (engine of 2026-11-28).
CLUSTER_THRESHOLD = 0.95
# Languages whose hoax scores can start a claim: those of the training data (Indonesian, Madurese,
# Javanese) and texts too short to tell ('und'). An English text's score is out of the model's domain
# (a design choice, not tuned: the model card lists the training languages).
CLAIM_LANGS = frozenset({"ind", "mad", "jav", "und"})
COUNT_KEYS = ("answers", "claim_items", "claims_new", "known_hoax_alerts", "links", "matches")


@dataclass(frozen=True, slots=True)
class _Known:
    """A stored counter-narrative an item matched."""

    answer_id: int
    score: float


def match_items(
    database_url: str,
    model_dir: str | None,
    config: dict[str, Any],
    *,
    item_ids: list[int] | None = None,
    recent_days: int | None = 365,
    threshold: float | None = None,
    cluster_threshold: float = CLUSTER_THRESHOLD,
) -> dict[str, int]:
    """Run the matching step over the pending items (or only ``item_ids``); return its counts.

    ``threshold`` (default: the matching engine's calibrated one) decides known-hoax matches and
    counter-narrative links; ``cluster_threshold`` (at least ``threshold``) decides claim clustering;
    ``recent_days`` limits matching to counter-narratives and claims seen that recently (None: all).

    Counts: ``answers`` (counter-narratives handled), ``claim_items`` (items put into claims),
    ``claims_new``, ``known_hoax_alerts`` (newly raised), ``links`` (new counter-narrative links) and
    ``matches`` (new item -> counter-narrative matches).
    """
    region = PantauConfig.model_validate(config)
    model = region_classifier(model_dir, region)
    place_words = tuple(region.region_names())  # the region as a whole: in nearly every item, weighs less
    match_config = MatchConfig(
        recent_days=recent_days,
        place_words=place_words,
        **({} if threshold is None else {"threshold": threshold}),
    )
    counts: Counter[str] = Counter()
    with Session(engine_for(database_url)) as session, session.begin():
        candidates = store.items_to_match(session, model.version_, item_ids)
        if not candidates:
            return dict.fromkeys(COUNT_KEYS, 0)
        since = None
        if recent_days is not None:
            since = min(c.time for c in candidates) - timedelta(days=recent_days)
        roles = {c.id: _role(c, _thresholds(model, region, c)) for c in candidates}
        by_id = {c.id: c for c in candidates}
        answers = [c for c in candidates if roles[c.id] == "answer"]
        # Claim candidates only (a hoax-flagged item always is one); the rest stay 'other' unsearched.
        others = [c for c in candidates if roles[c.id] != "answer" and _hoax_like(model, region, c)]

        stored_answers = store.answer_items(session, since=since)
        answer_time = {a.id: a.time for a in stored_answers} | {a.id: a.time for a in answers}
        answer_index = MatchIndex(match_config)
        answer_index.add([Doc(str(a.id), a.text, a.time) for a in stored_answers])
        answer_index.add([Doc(str(a.id), a.full_text, a.time) for a in answers])
        known = _known_matches(answer_index, others, match_config.threshold)
        new_matches = []
        for item_id, found in list(known.items()):
            if not found:
                known.pop(item_id)
                continue
            roles[item_id] = "claim"
            new_matches.extend((item_id, k.answer_id, k.score) for k in found)
        counts["matches"] += store.record_matches(session, new_matches, backend=match_config.backend)

        seeds = _seeds(session, others, roles, known)
        claim_of = _cluster(
            session, others, seeds, max(cluster_threshold, match_config.threshold), since, counts, place_words
        )
        roles.update(dict.fromkeys(claim_of, "claim"))
        touched = set(claim_of.values())
        cited = _Answers(session, region)
        for item_id, claim_id in claim_of.items():
            alerted = False
            for k in known.get(item_id, []):  # best match first
                counts["links"] += cited.link(claim_id, k.answer_id, k.score)
                if not alerted and answer_time[k.answer_id] <= by_id[item_id].time:
                    counts["known_hoax_alerts"] += _raise_known_hoax(
                        session, cited, by_id[item_id], claim_id, k
                    )
                    alerted = True
        # counter-narrative -> claim member search runs the other way round (an answer as the query),
        # which the ranker was not trained on: the symmetric pair score decides those links
        link_config = MatchConfig(
            recent_days=recent_days, place_words=place_words, backend="lexical", threshold=threshold
        )
        counts["links"] += _link_answers(session, region, answers, link_config, since, touched)
        store.refresh_claim_spread(session, touched)
        store.mark_checked(session, roles)
        counts["answers"] = len(answers)
        counts["claim_items"] = len(claim_of)
    return {key: counts[key] for key in COUNT_KEYS}


def _seeds(
    session: Session, items: list[store.MatchCandidate], roles: dict[int, str], known: dict[int, list[_Known]]
) -> set[int]:
    """The items that may start a claim: a repeat of a known hoax (it matched a stored
    counter-narrative), an item a reviewer gave the verdict hoax, or a hoax-flagged item whose hoax
    alert is one a reviewer sees as one (:func:`storage.claims.alert_level_items`) in a language the
    classifiers were trained on (:data:`CLAIM_LANGS`)."""
    flagged = [c for c in items if roles[c.id] == "claim" and c.id not in known]
    ids = [c.id for c in flagged]
    alert_level = store.alert_level_items(session, ids)
    reviewed = store.reviewer_hoax_items(session, [c.id for c in items])
    return (
        set(known)
        | reviewed
        | {c.id for c in flagged if c.id in alert_level and (c.lang or "und") in CLAIM_LANGS}
    )


def _thresholds(model: Any, region: PantauConfig, item: store.MatchCandidate) -> dict[str, float]:
    return effective_thresholds(model.thresholds_, region.alerts, item.stage)


def _hoax_like(model: Any, region: PantauConfig, item: store.MatchCandidate) -> bool:
    """A claim candidate: hoax at least :data:`KNOWN_HOAX_MIN_SHARE` of its hoax alert threshold."""
    hoax_threshold = _thresholds(model, region, item).get(Signal.HOAX, 1.0)
    return item.scores.get(Signal.HOAX, 0.0) >= KNOWN_HOAX_MIN_SHARE * hoax_threshold


def _role(item: store.MatchCandidate, thresholds: dict[str, float]) -> str:
    if item.source_kind in FACTCHECK_KINDS:
        return "answer"
    if item.scores.get(Signal.COUNTER_NARRATIVE, 0.0) >= thresholds.get(Signal.COUNTER_NARRATIVE, 1.0):
        return "answer"
    if item.scores.get(Signal.HOAX, 0.0) >= thresholds.get(Signal.HOAX, 1.0):
        return "claim"
    return "other"


def _known_matches(
    index: MatchIndex, items: list[store.MatchCandidate], threshold: float
) -> dict[int, list[_Known]]:
    if not items or not len(index):
        return {}
    results = index.search_many([c.full_text for c in items], SEARCH_K, at=[c.time for c in items])
    return {
        c.id: [_Known(int(m.id), m.score) for m in found if m.score >= threshold]
        for c, found in zip(items, results, strict=True)
    }


def _cluster(
    session: Session,
    items: list[store.MatchCandidate],
    seeds: set[int],
    threshold: float,
    since: datetime | None,
    counts: Counter[str],
    place_words: tuple[str, ...],
) -> dict[int, int]:
    """Cluster new items with the stored claim members; return new item id -> claim id.

    A cluster joins the claim of a stored member it holds; else it becomes a new claim if one of its
    new items is a ``seed`` (hoax-flagged, or repeating a known hoax); else its items stay ``other``.
    So an unflagged near-verbatim repeat joins its claim, and ordinary items never start one.
    """
    members = store.claim_members(session, since=since)
    stored_claim = {m.id: m.claim_id for m in members}
    clusterer = ClaimClusterer(threshold=threshold, place_words=place_words)
    clusterer.add([Doc(str(m.id), m.text, m.time) for m in members])
    clusterer.add([Doc(str(c.id), c.full_text, c.time) for c in items])
    groups: dict[str, list[int]] = {}
    for root, ids in clusterer.clusters().items():
        groups[root] = [int(i) for i in ids]
    claim_of: dict[int, int] = {}
    by_id = {c.id: c for c in items}
    for ids in groups.values():
        new = sorted((i for i in ids if i in by_id), key=lambda i: (by_id[i].time, i))
        if not new:
            continue
        existing = sorted({stored_claim[i] for i in ids if i in stored_claim})
        if existing:
            claim_id = existing[0]
        elif seeds.intersection(new):
            first = by_id[new[0]]
            claim_id = store.create_claim(session, first.full_text, first_seen_at=first.time)
            counts["claims_new"] += 1
        else:
            continue
        store.assign_items(session, claim_id, new)
        for i in new:
            claim_of[i] = claim_id
    return claim_of


class _Answers:
    """The counter-narratives the step cites, loaded once each: text, time, URL and answering actor."""

    def __init__(self, session: Session, region: PantauConfig):
        self.session = session
        self.region = region
        self._cache: dict[int, tuple[store.StoredText, Attribution]] = {}
        self._linked: set[tuple[int, int]] = set()

    def get(self, answer_id: int) -> tuple[store.StoredText, Attribution]:
        if answer_id not in self._cache:
            text = store.stored_texts(self.session, [answer_id])[0]
            source_actor, mentioned = store.source_actor_of_item(self.session, answer_id)
            self._cache[answer_id] = (text, attribute(source_actor, mentioned, self.region.actors))
        return self._cache[answer_id]

    def link(self, claim_id: int, answer_id: int, score: float) -> bool:
        """Link once per step (the best score comes first: matches are ordered best first)."""
        if (claim_id, answer_id) in self._linked:
            return False
        self._linked.add((claim_id, answer_id))
        text, credit = self.get(answer_id)
        return store.link_counter_narrative(
            self.session,
            claim_id=claim_id,
            item_id=answer_id,
            actor=credit.actor,
            actor_category=credit.category,
            attribution=credit.basis,
            published_at=text.time,
            confidence=round(score, 4),
        )


def _link_answers(
    session: Session,
    region: PantauConfig,
    answers: list[store.MatchCandidate],
    config: MatchConfig,
    since: datetime | None,
    touched: set[int],
) -> int:
    """Link new counter-narratives to the claims whose members they match."""
    if not answers:
        return 0
    members = store.claim_members(session, since=since)
    if not members:
        return 0
    claim_of = {m.id: m.claim_id for m in members}
    index = MatchIndex(config)
    index.add([Doc(str(m.id), m.text, m.time) for m in members])
    results = index.search_many([a.full_text for a in answers], SEARCH_K * 4, at=[a.time for a in answers])
    linked = 0
    for answer, found in zip(answers, results, strict=True):
        best: dict[int, float] = {}
        for m in found:
            if m.score >= config.threshold:
                cid = claim_of[int(m.id)]
                best[cid] = max(best.get(cid, 0.0), m.score)
        credit = attribute(answer.source_actor, answer.actors, region.actors)
        for claim_id, score in sorted(best.items()):
            linked += store.link_counter_narrative(
                session,
                claim_id=claim_id,
                item_id=answer.id,
                actor=credit.actor,
                actor_category=credit.category,
                attribution=credit.basis,
                published_at=answer.time,
                confidence=round(score, 4),
            )
            touched.add(claim_id)
    return linked


def _raise_known_hoax(
    session: Session, cited: _Answers, item: store.MatchCandidate, claim_id: int, known: _Known
) -> bool:
    debunk, credit = cited.get(known.answer_id)
    actor, category = credit.actor, credit.category
    severity = "high" if item.stage in HOT_STAGES else "medium"
    title = debunk.title or debunk.text[:120]
    reason = f'known hoax: matches the counter-narrative "{title}"' + (f" by {actor}" if actor else "")
    _, created = raise_alert(
        session,
        kind="known_hoax",
        severity=severity,
        reason=reason,
        dedupe_key=f"known_hoax:{item.id}",
        item_id=item.id,
        claim_id=claim_id,
        stage=item.stage,
        district=item.districts[0] if item.districts else None,
        details={
            "score": round(known.score, 4),
            "title": item.title,
            "debunk": {
                "item_id": debunk.id,
                "url": debunk.url,
                "title": debunk.title,
                "actor": actor,
                "actor_category": category,
                "published_at": debunk.time.astimezone(UTC).isoformat(),
            },
        },
    )
    return created
