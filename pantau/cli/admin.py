"""``pantau init`` (starter config + database) and ``pantau train`` (rebuild the model artifacts)."""

from __future__ import annotations

import shutil
from pathlib import Path

import typer
from rich.console import Console

from pantau.cli.common import handle_errors
from pantau.domain.errors import UnusableInputError

console = Console(highlight=False)


@handle_errors
def init(
    path: Path = typer.Option(Path("pantau.yaml"), "--config", "-c", help="Where to write the config."),
    db: str | None = typer.Option(None, "--db", help="Database URL (default: from the config)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing config file."),
) -> None:
    """Write a starter config (the documented Sampang example) and create the database."""
    from flows.resources import engine_for
    from pantau.settings import DEFAULT_CONFIG_NAME, bundled_examples_dir, load_settings

    if path.exists() and not force:
        console.print(f"{path} exists; keeping it (use --force to overwrite).")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(bundled_examples_dir() / DEFAULT_CONFIG_NAME, path)
        console.print(f"Wrote {path}: edit its sources, districts, actors and stages.")
    settings = load_settings(path, **({"database_url": db} if db else {}))
    engine_for(settings.database_url)  # creates and migrates
    console.print(f"Database ready: {settings.database_url}")
    console.print(f"Next: pantau run --config {path}")


@handle_errors
def train(
    data: Path = typer.Option(..., "--data", help="Folder of training JSONL files (../shared/data/train)."),
    out: Path | None = typer.Option(None, "--out", help="Where to write artifacts (default: bundled)."),
    seed: int = typer.Option(0, "--seed", help="Random seed; the same data and seed give the same model."),
    backend: str = typer.Option("sklearn", "--backend", help="sklearn (default) or transformers."),
    base_model: str | None = typer.Option(
        None, "--base-model", help="transformers: a local checkpoint folder or a hub id (needs internet)."
    ),
    epochs: int = typer.Option(1, "--epochs", min=1, help="transformers: training epochs."),
    max_rows: int | None = typer.Option(None, "--max-rows", min=1, help="transformers: cap training rows."),
    labels: list[Path] = typer.Option(
        [],
        "--labels",
        help="sklearn: extra labelled JSONL (reviewers' verdicts from 'pantau labels export'); repeatable.",
    ),
) -> None:
    """Retrain the classifiers from labelled data: skops artifacts + model card (sklearn), or a
    fine-tuned sequence-classification checkpoint (transformers, see docs/transformers.md)."""
    from classifiers import DEFAULT_MODEL_DIR
    from classifiers import train as train_models

    if not data.is_dir():
        raise UnusableInputError(f"--data {data}: not a folder")
    if backend not in ("sklearn", "transformers"):
        raise UnusableInputError(f"--backend {backend!r}: use sklearn or transformers")
    if backend == "transformers":
        from classifiers.transformer_backend import train_transformer

        if not base_model or not out:
            raise UnusableInputError("--backend transformers needs --base-model and --out")
        manifest = train_transformer(
            data,
            out,
            base_model=base_model,
            epochs=epochs,
            max_rows=max_rows,
            seed=seed,
            progress=lambda m: console.print(f"  {m}", markup=False),
        )
        console.print(
            f"Wrote {manifest['version']} to {out}; use it with --model-dir {out} or PANTAU_MODEL_DIR={out}"
        )
        return
    missing = [str(p) for p in labels if not p.is_file()]
    if missing:
        raise UnusableInputError(f"--labels {', '.join(missing)}: no such file")
    target = out or DEFAULT_MODEL_DIR
    report = train_models(
        data,
        target,
        progress=lambda msg: console.print(f"  {msg}", markup=False),
        seed=seed,
        extra_labels=tuple(labels),
    )
    console.print(f"Wrote model artifacts to {target}")
    thresholds = report.get("thresholds") if isinstance(report, dict) else None
    if thresholds:
        console.print("Thresholds: " + ", ".join(f"{k} {v:.2f}" for k, v in thresholds.items()))
