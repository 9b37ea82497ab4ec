"""Generated tables of issue 13: which recipe and feature blocks each signal uses and what they cost,
whole documents against the lead window, and per-source outer figures (see :mod:`classifiers.doc_tables`,
which places them in the docs and the model card)."""

from __future__ import annotations

from collections.abc import Mapping

from classifiers.doc_format import DASH, num, prf, table


def _signals(metrics: Mapping, key: str) -> list[str]:
    return sorted(s for s, r in metrics.get("signals", {}).items() if key in r)


def _blocks(manifest: Mapping, signal: str) -> str:
    blocks = manifest.get("feature_blocks", {}).get(signal, ["shared"])
    return " + ".join(blocks)


def _cost(metrics: Mapping, key: str) -> str:
    value = metrics.get("costs", {}).get(key)
    return DASH if value is None else f"{value:.2f}"


def recipes_table(manifest: Mapping, metrics: Mapping) -> str:
    """Per signal: feature blocks, the candidates with their pooled outer F1 and worst-split margin over
    the fair baseline, the shipped one (marked), how often each split's inner folds chose each, the
    pooling of long texts and the scoring cost."""
    rows = []
    pooling = manifest.get("pooling", {})
    for signal in _signals(metrics, "recipe"):
        r = metrics["signals"][signal]
        shipped = r["recipe"]["name"]
        pooled, margins = r.get("candidate_pooled", {}), r.get("candidate_worst_margin", {})
        cands = []
        for c in r.get("candidates", [r["recipe"]]):
            name = c["name"]
            f1 = num(pooled.get(name, {}).get("f1")) if pooled else DASH
            margin = f" ({margins[name]:+.3f})" if name in margins else ""
            label = f"**{name}**" if name == shipped else name
            cands.append(f"{label} {f1}{margin}")
        picks = [
            m.get("nested_choice", m).get("candidate", shipped)
            for _, m in sorted(r.get("splits", {}).items())
        ]
        chosen = ", ".join(f"{name} ×{picks.count(name)}" for name in dict.fromkeys(picks)) or DASH
        extra = " + style" if "style" in _blocks(manifest, signal) else ""
        cost = f"{_cost(metrics, 'model')}{' + ' + _cost(metrics, 'style') if extra else ''}"
        rows.append(
            [
                f"`{signal}`",
                _blocks(manifest, signal),
                "; ".join(cands),
                chosen,
                pooling.get(signal, DASH),
                cost,
            ]
        )
    return table(
        [
            "signal",
            "feature blocks",
            "candidates: pooled outer F1 (worst split vs fair baseline; shipped in bold)",
            "chosen by the inner folds of each split",
            "pooling of long texts",
            "cost (ms per 1,000 texts)",
        ],
        rows,
    )


def costs_line(metrics: Mapping) -> str:
    """What each shared step of scoring costs, measured at training time."""
    c = metrics.get("costs")
    if not c:
        return "No cost measurement in this model's metrics."
    return (
        f"Measured at training time on {c['texts']} tweet-length training texts, one process, CPU "
        f"time in ms per 1,000 texts: shared TF-IDF featurisation {c['shared']:.1f}, one signal model "
        f"{c['model']:.2f}, the hoax style block {c['style']:.1f}, rules {c['rules']:.1f}, language id "
        f"{c['language']:.1f}; the whole classifier {c['total']:.1f} "
        f"({1000 / c['total'] * 1000:,.0f} texts/s). A long text costs about one short text per "
        f"window of 500 characters (at most 10)."
    )


def whole_document_table(manifest: Mapping, metrics: Mapping) -> str:
    """Held-out long texts per split and pooled: lead window, mean and max pooling, each at the split's
    inner threshold; the shipped pooling in bold."""
    rows = []
    for signal in _signals(metrics, "whole_document"):
        wd = metrics["signals"][signal]["whole_document"]
        shipped = manifest.get("pooling", {}).get(signal)
        entries = ([("**pooled**", wd["pooled"])] if "pooled" in wd else []) + sorted(wd["splits"].items())
        for name, e in entries:
            if not e.get("documents"):
                continue
            per_doc = e.get("windows_per_document")
            cells = []
            for how in ("lead", "mean", "max"):
                m = e[how]
                cell = f"{prf(m)} · {num(m.get('fpr'))}"
                cells.append(f"**{cell}**" if how == shipped else cell)
            rows.append(
                [
                    f"`{signal}`",
                    name,
                    num(e.get("documents")),
                    num(e["lead"].get("positives")),
                    num(per_doc, 1) if per_doc is not None else DASH,
                    *cells,
                ]
            )
    return table(
        [
            "signal",
            "split (held out)",
            "long texts",
            "positives",
            "windows per text",
            "lead window: P / R / F1 · FPR",
            "mean of windows",
            "max of windows",
        ],
        rows,
    )


BY_SOURCE_SIGNALS = ("hate_speech", "abusive", "sara", "hoax", "counter_narrative")


def by_source_table(metrics: Mapping, signals: tuple[str, ...] = BY_SOURCE_SIGNALS) -> str:
    """Outer figures per source family inside each split (families with both classes held out)."""
    rows = []
    for signal in signals:
        for name, m in sorted(metrics.get("signals", {}).get(signal, {}).get("splits", {}).items()):
            for family, f in sorted(m.get("by_source", {}).items()):
                rows.append(
                    [
                        f"`{signal}`",
                        name,
                        family,
                        num(f.get("n")),
                        num(f.get("positives")),
                        prf(f),
                        num(f.get("roc_auc")),
                    ]
                )
    return table(["signal", "split (held out)", "source", "n", "positives", "P / R / F1", "ROC AUC"], rows)


def second_stage_table(metrics: Mapping) -> str:
    """The opt-in hoax second stage on the outer folds: stage 1 alone, stage 2 alone and combined."""
    report = metrics.get("second_stage")
    if not report:
        return "No second stage was trained for this model."
    rows = []
    pooled = [("**pooled**", report["pooled"])] if "pooled" in report else []
    entries = pooled + sorted(report["splits"].items())
    for name, e in entries:
        rows.append(
            [
                name,
                f"{e['band_share']:.0%}",
                *(f"{num(e[k]['f1'])} / {num(e[k]['roc_auc'])}" for k in ("stage1", "stage2", "combined")),
            ]
        )
    return table(
        [
            "hoax split (held out)",
            "held-out rows in the band",
            "stage 1 (the shipped recipe) F1 / ROC AUC",
            "stage 2 alone",
            "combined (what --second-stage scores)",
        ],
        rows,
    )
