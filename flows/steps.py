"""The monitoring cycle's steps as plain functions (no Prefect): the flow in monitor.py wraps them.

Every step takes and returns plain data (URLs, ids, dicts), so it can run as a Prefect task, in a
test, or from a script alike. Imports point down: flows -> sources, classifiers, storage -> domain.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from classifiers.source_prior import SourcePrior
from classifiers.tagging import Tagger
from flows.failpoints import failpoint
from flows.resources import classifier_for, engine_for, region_classifier
from pantau.domain.alert_rules import alerts_for_item, effective_thresholds
from pantau.domain.config import HttpConfig, PantauConfig, SourceConfig
from pantau.domain.records import CollectResult
from sources import HttpFetcher, collect_source
from storage import repository as repo
from storage.validators import DatabaseValidatorStore


def collect(source: dict[str, Any], http: dict[str, Any], database_url: str) -> CollectResult:
    """Run one source once; never raises for bad input (errors land in the result).

    ETag / Last-Modified are kept in the database, so a later run sends a conditional GET.
    """
    config = SourceConfig.model_validate(source)
    validators = DatabaseValidatorStore(engine_for(database_url))
    with HttpFetcher(HttpConfig.model_validate(http), validators=validators) as fetcher:
        return collect_source(config, fetcher)


#: items stored per transaction when a source streams (its kind has ``stream``): bounds a run's memory
STREAM_BATCH = 2000


def streams(source: dict[str, Any]) -> bool:
    """Whether the source's kind yields records one by one (``stream``), so it is stored in batches."""
    from sources.registry import get_source_kind

    return hasattr(get_source_kind(source["kind"]), "stream")


def stream_store(
    source: dict[str, Any], http: dict[str, Any], database_url: str, source_id: int, run_id: int
) -> dict[str, Any]:
    """Collect a streaming source and store it :data:`STREAM_BATCH` items per transaction; returns
    :func:`store`'s counts (without ``new_ids``). Memory stays bounded by a batch whatever the export's
    size. A fetch failure before the first record is raised (FetchError, so the task is retried); a
    failure later keeps the batches already stored and is recorded as the source's error."""
    from pantau.domain.errors import FetchError, ParseError
    from pantau.domain.records import CollectedItem
    from sources.base import failed
    from sources.registry import get_source_kind

    config = SourceConfig.model_validate(source)
    kind = get_source_kind(config.kind)
    engine = engine_for(database_url)
    counts: dict[str, Any] = {
        "source": config.name,
        "fetched": 0,
        "new": 0,
        "duplicate": 0,
        "skipped": {},
        "notes": {},
        "error": None,
    }
    batch: list[CollectedItem] = []

    def flush() -> None:
        if not batch:
            return
        with Session(engine) as session, session.begin():
            upserted = repo.upsert_items(session, source_id, run_id, batch)
            failpoint("store.before_commit")
        counts["new"] += len(upserted.new_ids)
        counts["duplicate"] += len(upserted.duplicate_ids) + upserted.batch_repeats
        batch.clear()

    validators = DatabaseValidatorStore(engine)
    records = items = 0
    with HttpFetcher(HttpConfig.model_validate(http), validators=validators) as fetcher:
        try:
            for record in kind.stream(config, fetcher):
                records += 1
                if isinstance(record, CollectedItem):
                    counts["fetched"] += 1
                    items += 1
                    batch.append(record)
                    if len(batch) >= STREAM_BATCH:
                        flush()
                else:
                    bucket = counts["notes"] if record.kept else counts["skipped"]
                    bucket[record.reason.value] = bucket.get(record.reason.value, 0) + 1
                    counts["fetched"] += 0 if record.kept else 1
        except (FetchError, ParseError) as exc:
            if isinstance(exc, FetchError) and records == 0 and config.location.startswith("http"):
                raise
            whole = failed(config.name, exc)
            counts["error"] = whole.error
            for reason, n in whole.skip_counts().items():
                counts["skipped"][reason] = counts["skipped"].get(reason, 0) + n
    flush()
    with Session(engine) as session, session.begin():
        repo.record_source_result(
            session,
            source_id,
            ok=counts["error"] is None,
            item_count=items,
            error=counts["error"],
            at=datetime.now(UTC),
        )
    failpoint("store.after_commit")
    return counts


def store(
    database_url: str, source_name: str, source_id: int, run_id: int, result: CollectResult
) -> dict[str, Any]:
    """Upsert a source's items (idempotent), record the source's health, return its counts."""
    engine = engine_for(database_url)
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        upserted = repo.upsert_items(session, source_id, run_id, result.items)
        failpoint("store.before_commit")
        repo.record_source_result(
            session,
            source_id,
            ok=result.error is None,
            item_count=len(result.items),
            error=result.error,
            at=now,
        )
    failpoint("store.after_commit")
    return {
        "source": source_name,
        "fetched": result.fetched,
        "new": len(upserted.new_ids),
        "duplicate": len(upserted.duplicate_ids) + upserted.batch_repeats,
        "skipped": result.skip_counts(),
        "notes": result.note_counts(),
        "error": result.error,
        "new_ids": list(upserted.new_ids),
    }


def start(
    database_url: str, config: dict[str, Any], flow_run_id: str | None = None
) -> tuple[int, dict[str, int]]:
    """Migrate the database, sync the configured sources and open a Run record.

    Returns the run id and the source ids by name.
    """
    region = PantauConfig.model_validate(config)
    engine = engine_for(database_url)
    with Session(engine) as session, session.begin():
        repo.mark_crashed_runs(session, stale_after=region.schedule.run_timeout)
        source_ids = repo.sync_sources(session, region.sources)
        return repo.start_run(session, flow_run_id=flow_run_id), source_ids


def check_silent_sources(database_url: str, config: dict[str, Any], now: datetime | None = None) -> list[int]:
    """Raise a 'silent_source' alert (once a day) for each enabled source gone quiet; return new alert ids.

    Quiet: its last new item (latest sighting) is older than ``silent_after_hours``, or it never
    produced an item and ran without error at least twice (counted from its first run).
    """
    region = PantauConfig.model_validate(config)
    now = now or datetime.now(UTC)
    created_ids: list[int] = []
    with Session(engine_for(database_url)) as session, session.begin():
        ids = repo.source_ids(session)
        last_new = repo.last_new_item_at(session)
        watched = [
            s for s in region.sources if s.enabled and s.silent_after_hours is not None and s.name in ids
        ]
        never = [ids[s.name] for s in watched if last_new.get(ids[s.name]) is None]
        clean_runs = repo.clean_run_starts(session, never) if never else {}
        for source in watched:
            sid = ids[source.name]
            since, runs = last_new.get(sid), []
            if since is None:
                runs = clean_runs.get(sid, [])
                if len(runs) < 2:
                    continue
                since, what = runs[0], "yielded no item in {runs} runs since its first, {hours} h ago"
            else:
                what = "yielded no new item for {hours} h"
            hours = (now - since).total_seconds() / 3600
            if hours < source.silent_after_hours:
                continue
            reason = (
                f"{source.name} {what.format(hours=f'{hours:.0f}', runs=len(runs))} "
                f"(threshold {source.silent_after_hours:g} h)"
            )
            alert_id, created = repo.raise_alert(
                session,
                kind="silent_source",
                severity="medium",
                reason=reason,
                source_id=sid,
                dedupe_key=f"silent_source:{source.name}:{now.astimezone(UTC).date().isoformat()}",
                details={
                    "hours": round(hours, 1),
                    "threshold_hours": source.silent_after_hours,
                    "since": since.isoformat(),
                },
                now=now,
            )
            if created:
                created_ids.append(alert_id)
    return created_ids


def pending_item_ids(
    database_url: str, model_dir: str | None, region: PantauConfig | None = None
) -> list[int]:
    """Ids of stored items that have no score from the current model version yet, oldest first.

    ``region``: as in :func:`classify_batch` (its place names and ``classifier.second_stage``), so one
    model is loaded and its version (``+hoax-e5`` with the second stage) is the one looked for."""
    model = region_classifier(model_dir, region) if region is not None else classifier_for(model_dir)
    version = model.version_
    with Session(engine_for(database_url)) as session:
        return [row.id for row in repo.items_needing_scores(session, version)]


def classify_batch(
    database_url: str, model_dir: str | None, config: dict[str, Any], item_ids: list[int]
) -> dict[str, Any]:
    """Score a batch of items, tag stage/districts/actors, and raise alerts; return counts."""
    region = PantauConfig.model_validate(config)
    model = region_classifier(model_dir, region)
    tagger = Tagger(region.districts, region.actors, region.candidates)
    engine = engine_for(database_url)
    counts: Counter[str] = Counter()
    by_signal: Counter[str] = Counter()
    with Session(engine) as session, session.begin():
        rows = repo.items_needing_scores(session, model.version_, item_ids=item_ids)
        prior = SourcePrior.from_config(region.source_prior)  # bundled credible-source list + the config's
        results = model.score(
            [{"text": r.text, "title": r.title, "url": r.url} for r in rows], source_prior=prior
        )
        scored, tags, drafts = [], [], []
        for row, result in zip(rows, results, strict=True):
            full_text = f"{row.title or ''}\n{row.text}"
            stage = region.stage_at(row.published_at)
            districts = tagger.districts(full_text)
            tags.append(
                {
                    "id": row.id,
                    "lang": result.lang,
                    "stage": stage,
                    "districts": districts,
                    "actors": tagger.actors(full_text),
                }
            )
            scored.append((row.id, result))
            counts["flagged"] += bool(set(result.flags) - {"counter_narrative"})
            thresholds = effective_thresholds(model.thresholds_, region.alerts, stage)
            drafts.extend(
                alerts_for_item(
                    row.id,
                    result,
                    thresholds=thresholds,
                    stage=stage,
                    districts=districts,
                    source_trust=row.source_trust,
                    title=row.title,
                )
            )
        raised = repo.raise_alerts(
            session,
            [
                {
                    "kind": d.kind,
                    "severity": d.severity,
                    "reason": d.reason,
                    "dedupe_key": d.dedupe_key,
                    "signal": d.signal,
                    "item_id": d.item_id,
                    "stage": d.stage,
                    "district": d.district,
                    "details": d.details,
                }
                for d in drafts
            ],
        )
        for draft, (_, created) in zip(drafts, raised, strict=True):
            counts["alerts"] += created
            by_signal[draft.signal or draft.kind] += created
        repo.set_tags(session, tags)
        counts["scored"] = repo.save_scores(session, model.version_, scored)
        failpoint("classify.before_commit")
    failpoint("classify.after_commit")
    return {**counts, "by_signal": dict(by_signal)}


def finish(
    database_url: str,
    run_id: int,
    counts: dict[str, Any],
    *,
    status: str = "completed",
    error: str | None = None,
) -> None:
    with Session(engine_for(database_url)) as session, session.begin():
        repo.finish_run(session, run_id, status=status, counts=counts, error=error)


def merge_counts(
    source_counts: list[dict[str, Any]],
    batch_counts: list[dict[str, Any]],
    silent_alerts: list[int] | None = None,
    match_counts: dict[str, Any] | None = None,
) -> dict:
    """The Run record's counts: fetched, new, duplicate, skipped (by reason), flagged, alerts, ...

    ``silent_alerts`` (new 'silent_source' alert ids) count as ``silent_sources`` and in ``alerts``;
    ``match_counts`` (from ``flows.matching_step``) become ``matching``, its known-hoax alerts count in
    ``alerts``."""
    silent = len(silent_alerts or [])
    matching = dict(match_counts or {})
    known_hoax = matching.get("known_hoax_alerts", 0)
    skipped: Counter[str] = Counter()
    notes: Counter[str] = Counter()
    for c in source_counts:
        skipped.update(c.get("skipped", {}))
        notes.update(c.get("notes", {}))
    by_signal: Counter[str] = Counter()
    for b in batch_counts:
        by_signal.update(b.get("by_signal", {}))
    if silent:
        by_signal["silent_source"] += silent
    if known_hoax:
        by_signal["known_hoax"] += known_hoax
    return {
        "sources": len(source_counts),
        "sources_failed": sum(1 for c in source_counts if c.get("error")),
        "fetched": sum(c.get("fetched", 0) for c in source_counts),
        "new": sum(c.get("new", 0) for c in source_counts),
        "duplicate": sum(c.get("duplicate", 0) for c in source_counts),
        "skipped": sum(skipped.values()),
        "skipped_reasons": dict(skipped),
        "notes": dict(notes),
        "scored": sum(b.get("scored", 0) for b in batch_counts),
        "flagged": sum(b.get("flagged", 0) for b in batch_counts),
        "alerts": sum(b.get("alerts", 0) for b in batch_counts) + silent + known_hoax,
        "silent_sources": silent,
        "matching": matching,
        "alerts_by_signal": dict(by_signal),
        "per_source": [{k: v for k, v in c.items() if k != "new_ids"} for c in source_counts],
    }
