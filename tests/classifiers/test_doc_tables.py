"""The docs' numbers come from files: the model card, the generated doc blocks and the threshold chart
equal what ``python -m classifiers.doc_tables`` writes from the committed metrics.json + manifest.json."""

from __future__ import annotations

import copy
import shutil

import pytest

from classifiers import doc_tables
from classifiers.doc_tables import Paths, expected, fill_blocks, load, stale

COMMITTED = Paths()


@pytest.fixture(scope="module")
def committed() -> tuple[dict, dict]:
    return load(COMMITTED.model_dir)


@pytest.fixture
def copied(tmp_path) -> Paths:
    """The committed model's json files, card, docs and chart, copied."""
    model = tmp_path / "model"
    model.mkdir()
    for name in ("manifest.json", "metrics.json", "MODEL_CARD.md"):
        shutil.copy(COMMITTED.model_dir / name, model / name)
    paths = Paths(
        model_dir=model,
        classifiers_doc=tmp_path / "classifiers.md",
        evaluation_doc=tmp_path / "evaluation.md",
        chart=tmp_path / "img" / "threshold_policy.svg",
    )
    for src, dst in (
        (COMMITTED.classifiers_doc, paths.classifiers_doc),
        (COMMITTED.evaluation_doc, paths.evaluation_doc),
        (COMMITTED.chart, paths.chart),
    ):
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, dst)
    return paths


def test_committed_card_docs_and_chart_are_generated_from_the_committed_metrics():
    assert stale(COMMITTED) == [], "run: python -m classifiers.doc_tables"


def test_the_check_fails_when_one_table_number_was_edited(copied):
    assert stale(copied) == []
    doc = copied.classifiers_doc.read_text(encoding="utf-8")
    block = doc.index("<!-- generated:outer ")
    row = doc.index("| hoax | **pooled** |", block)
    cells = doc[row : doc.index("\n", row)].split(" | ")
    f1 = cells[5].split(" / ")[2]  # model P / R / F1
    edited = cells[:5] + [cells[5][: -len(f1)] + ("0.999" if f1 != "0.999" else "0.998")] + cells[6:]
    copied.classifiers_doc.write_text(doc.replace(" | ".join(cells), " | ".join(edited), 1), encoding="utf-8")
    assert stale(copied) == [copied.classifiers_doc]
    doc_tables.write(copied)
    assert stale(copied) == []


def test_the_cli_check_exits_1_and_writes_nothing_when_the_card_differs(copied, capsys):
    card = copied.model_dir / "MODEL_CARD.md"
    card.write_text(card.read_text(encoding="utf-8").replace("| hoax |", "| hoaks |", 1), encoding="utf-8")
    before = card.read_text(encoding="utf-8")
    assert doc_tables.main(["--check", "--model-dir", str(copied.model_dir)]) == 1
    assert "MODEL_CARD.md" in capsys.readouterr().out and card.read_text(encoding="utf-8") == before


def test_a_table_cell_shows_the_metrics_value(committed):
    manifest, metrics = committed
    metrics = copy.deepcopy(metrics)
    metrics["signals"]["hoax"]["pooled"]["f1"] = 0.1234
    metrics["signals"]["hoax"]["pooled_baseline"]["roc_auc"] = None
    row = next(
        line
        for line in doc_tables.outer_table(metrics).splitlines()
        if line.startswith("| hoax | **pooled** |")
    )
    assert row.split(" | ")[5].endswith(" / 0.123") and "| – / " in row
    metrics.setdefault("sealed", {}).setdefault("model", {}).setdefault("sara", {})["threshold"] = 0.77
    assert "| sara |" in doc_tables.sealed_table(metrics) and "| 0.77 |" in doc_tables.sealed_table(metrics)
    assert "0.123" in doc_tables.render_model_card(manifest, metrics)


def test_tables_do_not_depend_on_key_order(committed):
    """Training writes the card from its in-memory metrics; the check reads them back sorted."""
    manifest, metrics = committed

    def reversed_keys(value):
        if isinstance(value, dict):
            return {k: reversed_keys(value[k]) for k in reversed(list(value))}
        return value

    assert doc_tables.render_model_card(
        reversed_keys(manifest), reversed_keys(metrics)
    ) == doc_tables.render_model_card(manifest, metrics)


def test_missing_values_print_as_a_dash():
    metrics = {
        "signals": {
            "hoax": {"threshold": 0.4, "pooled": {}, "splits": {"some split": {"n": 3}}},
            "vote_buying": {"threshold": 0.5, "note": "rules only"},
        }
    }
    card = doc_tables.render_model_card({"version": "sk-test", "artifacts": {}}, metrics)
    assert "| hoax | **pooled** | – | – |" in card and "| hoax | some split | 3 | – |" in card
    assert "| `vote_buying` | 0.50 | fixed | rules only |" in card
    assert doc_tables.threshold_chart(metrics).startswith("<?xml")


def test_every_generated_block_must_be_present():
    text = (
        "a\n<!-- generated:sealed (python -m classifiers.doc_tables) -->\nold\n"
        "<!-- /generated:sealed -->\nb\n"
    )
    assert fill_blocks(text, {"sealed": "new"}) == text.replace("old", "new")
    with pytest.raises(ValueError, match="missing"):
        fill_blocks(text, {"sealed": "new", "dedup": "x"})
    with pytest.raises(ValueError, match="unknown"):
        fill_blocks(text, {})


def test_expected_covers_card_both_docs_and_chart():
    assert set(expected(COMMITTED)) == {
        COMMITTED.model_dir / "MODEL_CARD.md",
        COMMITTED.classifiers_doc,
        COMMITTED.evaluation_doc,
        COMMITTED.chart,
    }
