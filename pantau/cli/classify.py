"""``pantau classify INPUT.jsonl [-o OUT.jsonl]``: the stable, scriptable scoring contract.

Streams in batches (bounded memory), keeps the input order, adds ``scores``, ``flags`` and ``lang``
to each input object, and stops with a one-line message (exit 2) at the first unusable line, after
writing every good line before it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import typer

from pantau.cli.common import handle_errors, region_of
from pantau.domain.errors import UnusableInputError

DEFAULT_BATCH = 256


def read_jsonl(stream: IO[bytes]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-blank line; raise UnusableInputError on a bad one."""
    for number, raw in enumerate(stream, start=1):
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise UnusableInputError("not valid UTF-8", line=number) from None
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UnusableInputError(f"invalid JSON ({exc.msg})", line=number) from None
        if not isinstance(obj, dict):
            raise UnusableInputError("each line must be a JSON object", line=number)
        text = obj.get("text")
        if not isinstance(text, str):
            raise UnusableInputError("missing or non-string field 'text'", line=number)
        yield number, obj


def classify_stream(
    source: IO[bytes],
    sink: IO[str],
    model: Any,
    *,
    batch_size: int = DEFAULT_BATCH,
    explain: bool = False,
    source_prior: Any = None,
) -> int:
    """Score every line of ``source`` into ``sink``; return the number of lines written.

    ``source_prior`` (a :class:`classifiers.source_prior.SourcePrior`; default: the bundled list)
    moves hoax scores by each line's optional ``url``."""
    written = 0
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        nonlocal written
        if not batch:
            return
        results = model.score(batch, source_prior=source_prior)
        for obj, result in zip(batch, results, strict=True):
            obj["scores"] = {k: round(v, 4) for k, v in result.scores.items()}
            obj["flags"] = list(result.flags)
            obj["lang"] = result.lang
            if explain:
                obj["explanations"] = result.explanations
            sink.write(json.dumps(obj, ensure_ascii=False) + "\n")
        written += len(batch)
        batch.clear()

    try:
        for _, obj in read_jsonl(source):
            batch.append(obj)
            if len(batch) >= batch_size:
                flush()
    finally:
        flush()  # lines before a bad one are still written, in order
        sink.flush()
    return written


@handle_errors
def classify(
    input_path: Path = typer.Argument(
        ..., metavar="INPUT.jsonl", help="JSONL with a 'text' field per line ('-' for stdin)."
    ),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write here instead of stdout."),
    model_dir: Path | None = typer.Option(None, "--model-dir", help="Model artifacts (default: bundled)."),
    batch_size: int = typer.Option(DEFAULT_BATCH, "--batch-size", min=1, max=10_000),
    explain: bool = typer.Option(False, "--explain", help="Also add 'explanations' per flagged signal."),
    second_stage: bool = typer.Option(
        False,
        "--second-stage",
        help="Re-score hoax scores near the threshold with the multilingual-e5 second stage (needs the "
        "'embeddings' extra; also on when the config sets classifier.second_stage).",
    ),
    config: Path | None = typer.Option(
        None,
        "--config",
        "-c",
        help="Optional config: its source_prior list refines the bundled one and its place names "
        "(region, place_words, districts) feed the rules; default: the bundled Sampang example's "
        "places (nothing else is read).",
    ),
) -> None:
    """Score each line for the seven signals: adds 'scores', 'flags' and 'lang'.

    A line's optional 'url' applies the hoax source prior (Dewan Pers-verified outlets, fact-checkers)."""
    from classifiers import load_classifier
    from classifiers.source_prior import SourcePrior

    if str(input_path) != "-" and not input_path.is_file():
        raise UnusableInputError(f"{input_path}: no such file")
    region = region_of(config)
    prior = SourcePrior.from_config(region.source_prior) if config is not None else None
    model = load_classifier(
        model_dir, places=region.place_names(), second_stage=second_stage or region.classifier.second_stage
    )
    source = sys.stdin.buffer if str(input_path) == "-" else input_path.open("rb")
    sink = output.open("w", encoding="utf-8") if output else sys.stdout
    try:
        classify_stream(source, sink, model, batch_size=batch_size, explain=explain, source_prior=prior)
    finally:
        if source is not sys.stdin.buffer:
            source.close()
        if output:
            sink.close()
