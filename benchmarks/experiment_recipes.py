"""Fixed recipes side by side under the honest protocol (issue 13): each recipe of
:mod:`classifiers.recipes` run alone (no inner-fold choice between them) through
:func:`classifiers.nested.run_nested` exactly as training runs the model: the same purged outer splits,
Platt and threshold chosen on inner folds only, the signal's rule lift and threshold policy. The fair
baseline's figures come from the shipped ``metrics.json`` (the baseline does not depend on the model).

    python benchmarks/experiment_recipes.py --signals hate_speech sara --recipes "C=1" "C=1, word head 0.5"

``--recipes`` names entries of :data:`RECIPES` below (the shipped candidates plus the variants being
studied). Prints, per signal, every split's F1 / ROC AUC per recipe, ``<`` where a figure is below the
fair baseline's.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from classifiers import features as feat  # noqa: E402
from classifiers.nested import pooled_metrics, run_nested, split_report  # noqa: E402
from classifiers.recipes import CANDIDATES, Recipe  # noqa: E402
from classifiers.training import SPLITS, _model_learner, prepare, rule_lift  # noqa: E402
from classifiers.weights import threshold_policy  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "train"
_VARIANTS = (
    Recipe("C=1, word head 0.5", word_head=0.5),
    Recipe("C=1, characters x0.5", char_scale=0.5),
    Recipe("C=4, word head 0.5", c=4.0, word_head=0.5),
    Recipe("C=1, sources balanced, word head 0.5", balance_sources=True, word_head=0.5),
    Recipe("C=4, sources balanced, word head 0.5", c=4.0, balance_sources=True, word_head=0.5),
    Recipe("C=1, words only", char_scale=0.0),
    Recipe("C=4, sources balanced, words only", c=4.0, balance_sources=True, char_scale=0.0),
    Recipe("C=2", c=2.0),
    Recipe("C=0.5", c=0.5),
)
RECIPES: dict[str, Recipe] = {r.name: r for rs in CANDIDATES.values() for r in rs}
RECIPES.update({r.name: r for r in _VARIANTS})


def _short(m: dict) -> dict:
    return {k: m[k] for k in ("n", "positives", "precision", "recall", "f1", "roc_auc", "pr_auc")}


def run(args: argparse.Namespace) -> dict:
    started = time.time()
    prepared = prepare(args.data, progress=lambda m: print(m, flush=True))
    n_word = feat.word_columns(prepared.vectoriser)
    shipped = json.loads((ROOT / "classifiers" / "models" / "metrics.json").read_text(encoding="utf-8"))
    out: dict = {"signals": {}}
    for name in args.signals:
        data = prepared.sets[name]
        x = prepared.features(data)
        post = rule_lift(name, prepared.rules, data.texts)
        report = {"arms": {}}
        fair = shipped["signals"][name]
        report["fair baseline"] = {
            "pooled": _short(fair["pooled_baseline"]),
            "splits": {s: _short(v["baseline"]) for s, v in fair["splits"].items()},
        }
        for recipe_name in args.recipes:
            runs = run_nested(
                _model_learner(name, data, x, 0, RECIPES[recipe_name], n_word),
                data.y,
                data.g,
                data.c,
                SPLITS[name],
                threshold_policy(name),
                post=post,
            )
            report["arms"][recipe_name] = {
                "pooled": _short(pooled_metrics(name, data.y, runs)),
                "splits": {r.split.name: _short(split_report(name, data.y, data.g, r)) for r in runs},
            }
            print(f"  {name}: {recipe_name} done ({time.time() - started:.0f} s)", flush=True)
        out["signals"][name] = report
        _print(name, report)
    out["seconds"] = round(time.time() - started, 1)
    return out


def _cell(m: dict | None, base: dict | None) -> str:
    if not m:
        return "-"
    auc, base_auc = m["roc_auc"] or float("nan"), (base or {}).get("roc_auc") or float("nan")
    f1_mark = "<" if base and m["f1"] < base["f1"] else " "
    auc_mark = "<" if auc < base_auc else " "
    return f"{m['f1']:.3f}{f1_mark} {auc:.3f}{auc_mark}"


def _print(name: str, report: dict) -> None:
    arms = {**report["arms"], "fair baseline": report["fair baseline"]}
    print(f"\n{name}: F1 and ROC AUC per recipe ('<': below the fair baseline)")
    print(f"  {'split':44s} " + " | ".join(f"{a[:16]:>16s}" for a in arms))
    for split in ["pooled", *report["fair baseline"]["splits"]]:
        base = report["fair baseline"]["pooled" if split == "pooled" else "splits"]
        base = base if split == "pooled" else base.get(split)
        cells = [
            _cell(a["pooled"] if split == "pooled" else a["splits"].get(split), base) for a in arms.values()
        ]
        print(f"  {split[:44]:44s} " + " | ".join(f"{c:>16s}" for c in cells), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--signals", nargs="+", default=["hate_speech", "sara", "hoax", "radicalism"])
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=list(RECIPES))
    parser.add_argument("--out", type=Path, help="also write the results as JSON")
    args = parser.parse_args(argv)
    out = run(args)
    if args.out:
        args.out.write_text(json.dumps(out, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
