"""Writes MODEL_CARD.md for a trained model: sources, licences, intended use, limits, metrics."""

from __future__ import annotations

from pathlib import Path

from classifiers.weights import THRESHOLD_POLICY

SOURCES = [
    ("ibrohim2019_hatespeech_train.jsonl", "Ibrohim & Budi 2019, multi-label hate speech and abusive "
     "language in Indonesian Twitter (okkyibrohim/id-multi-label-hate-speech-and-abusive-language-detection)",
     "CC BY-NC-SA 4.0", "hate_speech, abusive, sara; ordinary text for language id"),
    ("netifier_train.jsonl", "Netifier (ahmadizzan/netifier)", "CC BY-NC-SA 4.0 (NusaCrowd catalogue)",
     "sara, radicalism (-> violence_threat)"),
    ("turnbackhoax_claims_2015_2020_train.jsonl", "TurnBackHoax (Mafindo) claims, 'Indonesia False News'",
     "unknown", "hoax, counter_narrative negatives"),
    ("turnbackhoax_reports_vs_clarifications_train.jsonl", "TurnBackHoax scrape 2018-2021 (jibranfawaid)",
     "none stated", "counter_narrative, hoax"),
    ("madurese_indonesian_train.jsonl", "NusaX (Winata et al. 2023) and NusaWrites (Cahyawijaya et al. 2023)",
     "CC BY-SA 4.0", "language id; Madurese negatives; protected Madurese words"),
    ("pilpres2019_sentiment.jsonl", "Pilpres 2019 tweet sentiment", "unknown",
     "negatives (political criticism that is not hate)"),
    ("negatives_detik2025.jsonl", "detik.com 2025 (gabriellaclairine/indonesian-news-summarization-dataset)",
     "none stated; publisher (c)", "hoax / counter_narrative negatives"),
    ("negatives_insei_econ_news.jsonl", "INSEI economy news (CNN Indonesia, Antara, Okezone, Republika, "
     "Kontan, Merdeka, Tempo)", "none stated; publisher (c)", "hoax / counter_narrative negatives"),
    ("negatives_narasipal_headlines.jsonl", "NarasiPal headlines (Kompas, Tempo, Detik, CNN, CNBC,"
     " Republika)",
     "none stated; publisher (c)", "hoax / counter_narrative negatives"),
    ("negatives_emot_twitter_2018.jsonl", "Saputri et al. 2018, Indonesian Twitter emotion",
     "CC BY-NC-SA 4.0", "negatives; language id"),
    ("negatives_smsa_indonlu.jsonl", "IndoNLU SmSA (positive/neutral rows only)",
     "repo MIT; data licence not stated", "negatives; language id"),
    ("kamus_alay_ibrohim2019.csv", "Ibrohim & Budi 2019 slang lexicon", "CC BY-NC-SA 4.0",
     "slang table stored (filtered) in normaliser.json: a derived artifact"),
    ("nusax_madurese_indonesian_lexicon.csv", "NusaX Indonesian-Madurese lexicon", "CC BY-SA 4.0",
     "Madurese words protected from slang correction"),
]


def _fmt(v) -> str:
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def metrics_table(metrics: dict) -> str:
    lines = ["| signal | split (held out) | n | positives | precision | recall | F1 | FPR | ROC AUC |",
             "|---|---|---|---|---|---|---|---|---|"]
    for signal, report in metrics.get("signals", {}).items():
        for name, m in report.get("splits", {}).items():
            lines.append(f"| {signal} | {name} | {m['n']} | {m['positives']} | {_fmt(m['precision'])} | "
                         f"{_fmt(m['recall'])} | {_fmt(m['f1'])} | {_fmt(m['fpr'])} | "
                         f"{_fmt(m.get('roc_auc', '-'))} |")
    for name, m in metrics.get("language", {}).get("splits", {}).items():
        lines.append(f"| language (mad vs ind) | {name} | {m['n']} | {m['positives']} | "
                     f"{_fmt(m['precision'])} | {_fmt(m['recall'])} | {_fmt(m['f1'])} | {_fmt(m['fpr'])} | "
                     f"{_fmt(m.get('roc_auc', '-'))} |")
    return "\n".join(lines)


def baseline_table(metrics: dict) -> str:
    """The shipped model (its thresholds) next to the plain TF-IDF + LR baseline (0.5) per split."""
    lines = ["| signal | split (held out) | model P / R / F1 | plain baseline P / R / F1 |",
             "|---|---|---|---|"]

    def prf(m: dict) -> str:
        return f"{m['precision']:.3f} / {m['recall']:.3f} / {m['f1']:.3f}"

    for signal, report in metrics.get("signals", {}).items():
        if "pooled_baseline" in report:
            pooled, base = prf(report["pooled"]), prf(report["pooled_baseline"])
            lines.append(f"| {signal} | **pooled** | {pooled} | {base} |")
        for name, m in report.get("splits", {}).items():
            if "baseline" in m:
                lines.append(f"| {signal} | {name} | {prf(m)} | {prf(m['baseline'])} |")
    return "\n".join(lines)


def write_model_card(path: Path, manifest: dict, metrics: dict) -> None:
    sources = "\n".join(f"| `{f}` | {origin} | {lic} | {use} |" for f, origin, lic, use in SOURCES)
    thresholds = ", ".join(f"`{k}` {v:.2f}" for k, v in sorted(manifest["thresholds"].items()))
    policy = "; ".join(f"`{k}` F{b:g} with a {f:.2f} floor" for k, (b, f) in sorted(THRESHOLD_POLICY.items()))
    sizes = ", ".join(f"`{k}` {v['bytes'] / 1e6:.2f} MB" for k, v in manifest["artifacts"].items())
    text = f"""# Pantau signal classifier `{manifest['version']}`

Seven signals per text (`hoax`, `hate_speech`, `sara`, `abusive`, `violence_threat`, `vote_buying`,
`counter_narrative`), each a probability in 0..1, plus a language code (`ind`, `mad`, `jav`, `eng`, `und`).
scikit-learn {manifest['sklearn_version']}, skops {manifest['skops_version']}, seed {manifest['seed']}.
Trained in {metrics.get('training_seconds', '?')} s.

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
- Probabilities are calibrated (Platt) on cross-source held-out predictions, so they reflect the
  class balance of the training mix, not the base rate of a real feed.
- Only the title and the first {500} characters feed the text models; rules read up to 5,000 characters.
- Labels are noisy (crowd/annotator disagreements in the source sets).

## Thresholds (chosen on cross-source / cross-time held-out predictions)
{thresholds}

Rule: the threshold with the best F-beta among those reaching a precision floor on the pooled held-out
predictions; F0.5 with a 0.8 floor by default, {policy}.

## Hoax: text model, style block and source prior
The hoax model reads the shared word + character TF-IDF space plus a topic-neutral *style* block
(`style.skops`: word 1-3 grams over text in which every word that is not frequent across many
sources is replaced by its shape, so the model sees how a claim is written rather than its topic;
the block is refitted on each split's training groups during evaluation). At scoring time a source
prior moves the hoax score by the item's URL: Dewan Pers-verified outlets and fact-checkers lower it
(the bundled list with its provenance is `classifiers/data/credible_sources.yaml`; extend it in the
config's `source_prior`). The evaluation below is of the text model alone (no URLs in the data).

## Artifacts
{sizes}. Loaded with skops and an explicit allowlist of types (manifest `trusted_types`).

## Evaluation (held-out sources, platforms and periods; thresholds as above)
{metrics_table(metrics)}

## Against the plain baseline (word TF-IDF 1-2 grams + logistic regression, threshold 0.5, same splits)
{baseline_table(metrics)}
"""
    path.write_text(text, encoding="utf-8")
