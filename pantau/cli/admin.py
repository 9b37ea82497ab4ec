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
) -> None:
    """Retrain the bundled classifiers from labelled data and write skops artifacts + model card."""
    from classifiers import DEFAULT_MODEL_DIR
    from classifiers import train as train_models

    if not data.is_dir():
        raise UnusableInputError(f"--data {data}: not a folder")
    target = out or DEFAULT_MODEL_DIR
    report = train_models(data, target, progress=lambda msg: console.print(f"  {msg}", markup=False),
                          seed=seed)
    console.print(f"Wrote model artifacts to {target}")
    thresholds = report.get("thresholds") if isinstance(report, dict) else None
    if thresholds:
        console.print("Thresholds: " + ", ".join(f"{k} {v:.2f}" for k, v in thresholds.items()))
