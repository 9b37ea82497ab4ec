"""``train()`` end to end on the tiny fixture files, and the safety of artifact loading."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from classifiers import SignalClassifier, load_classifier, train
from classifiers.artifacts import load_skops, save_skops, types_in_file
from pantau.domain import SIGNALS, ModelError, ScoreResult

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, dict, list[str]]:
    data = tmp_path_factory.mktemp("data")
    shutil.copytree(FIXTURES / "train", data / "train")
    shutil.copytree(FIXTURES / "lexicons", data / "lexicons")
    out = tmp_path_factory.mktemp("model")
    messages: list[str] = []
    metrics = train(data / "train", out, progress=messages.append, seed=0)
    return out, metrics, messages


def test_train_writes_all_artifacts(trained):
    out, metrics, messages = trained
    for name in (
        "manifest.json",
        "metrics.json",
        "MODEL_CARD.md",
        "normaliser.json",
        "vectoriser.skops",
        "signals.skops",
        "language.skops",
    ):
        assert (out / name).exists(), name
    assert messages and all(isinstance(m, str) for m in messages)
    assert json.loads((out / "metrics.json").read_text())["model_version"] == metrics["model_version"]
    assert set(metrics["thresholds"]) == set(SIGNALS)


def test_manifest_records_thresholds_types_and_training_files(trained):
    out, _, _ = trained
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["thresholds"]) == set(SIGNALS)
    assert all(0 < t < 1 for t in manifest["thresholds"].values())
    assert "ibrohim2019_hatespeech_train.jsonl" in manifest["training_files"]
    assert all(len(h) == 64 for h in manifest["training_files"].values())
    assert manifest["version"].startswith("sk-")
    for name in ("vectoriser.skops", "signals.skops", "language.skops"):
        assert types_in_file(out / name) <= set(manifest["trusted_types"])


def test_metrics_hold_named_cross_source_splits_with_sizes(trained):
    _, metrics, _ = trained
    hoax = metrics["signals"]["hoax"]["splits"]
    assert any(name.startswith("forward in time") for name in hoax)
    for split in hoax.values():
        assert {"n", "positives", "precision", "recall", "f1"} <= set(split)
        assert split["baseline"]["n"] == split["n"]  # the plain baseline, on the same held-out rows
    assert metrics["signals"]["hoax"]["pooled_baseline"]["n"] == metrics["signals"]["hoax"]["pooled"]["n"]


def test_model_card_compares_with_the_baselines(trained):
    card = (trained[0] / "MODEL_CARD.md").read_text()
    assert "the model against the fair baseline" in card and "plain baseline (0.5)" in card
    assert "| hoax | **pooled** |" in card


def test_model_card_names_sources_and_licence(trained):
    card = (trained[0] / "MODEL_CARD.md").read_text()
    assert "CC BY-NC-SA 4.0" in card and "non-commercial" in card
    assert "netifier_train.jsonl" in card and "kamus_alay_ibrohim2019.csv" in card


def test_training_is_reproducible(trained, tmp_path):
    out, metrics, _ = trained
    data = tmp_path / "data"
    shutil.copytree(FIXTURES / "train", data / "train")
    shutil.copytree(FIXTURES / "lexicons", data / "lexicons")
    again = train(data / "train", tmp_path / "model", seed=0)
    assert again["signals"]["hoax"]["threshold"] == metrics["signals"]["hoax"]["threshold"]
    assert again["signals"]["sara"]["pooled"] == metrics["signals"]["sara"]["pooled"]


def test_trained_model_loads_and_scores(trained):
    classifier = load_classifier(trained[0])
    results = classifier.score(
        [
            {"text": "dasar kaum andi bodoh semua, usir saja"},
            {"text": "siap bagi amplop 100rb per kepala buat yang nyoblos", "title": "x"},
        ]
    )
    assert all(isinstance(r, ScoreResult) and set(r.scores) == set(SIGNALS) for r in results)
    assert "vote_buying" in results[1].flags
    assert results[1].model_version == classifier.version_


def test_missing_artifacts_raise_model_error(tmp_path):
    with pytest.raises(ModelError, match="lacks"):
        load_classifier(tmp_path)
    assert isinstance(SignalClassifier(tmp_path), SignalClassifier)  # creating one does no work


def test_untrusted_types_are_refused(tmp_path):
    from sklearn.tree import DecisionTreeClassifier

    path = tmp_path / "tree.skops"
    import skops.io as sio

    sio.dump(DecisionTreeClassifier().fit([[0], [1]], [0, 1]), path)
    with pytest.raises(ModelError, match="untrusted"):
        load_skops(path)
    with pytest.raises(ModelError, match="untrusted"):
        save_skops(DecisionTreeClassifier(), tmp_path / "other.skops")


def test_swapped_artifact_is_refused_at_load(trained, tmp_path):
    import skops.io as sio
    from sklearn.tree import DecisionTreeClassifier

    model_dir = tmp_path / "model"
    shutil.copytree(trained[0], model_dir)
    sio.dump({"x": DecisionTreeClassifier()}, model_dir / "signals.skops")
    with pytest.raises(ModelError, match="untrusted"):
        load_classifier(model_dir)


def test_missing_training_file_is_reported(tmp_path):
    (tmp_path / "train").mkdir()
    with pytest.raises(FileNotFoundError, match="missing training files"):
        train(tmp_path / "train", tmp_path / "out")


def test_reviewer_labels_join_the_training_side_only(tmp_path):
    from classifiers.datasets import TrainingData
    from classifiers.training import SPLITS

    labels = tmp_path / "labels.jsonl"
    rows = [
        {
            "text": "Beredar pesan kotak suara TPS 3 Omben sudah dicoblos, sebarkan!",
            "hoax": 1,
            "group": "review:Kabar Sampang",
        },
        {
            "text": "KPU Sampang menetapkan jadwal rapat pleno rekapitulasi.",
            "hoax": 0,
            "group": "review:Kabar Sampang",
        },
        {"text": "Tidak bisa diperiksa.", "verdict": "not_checkable"},
    ]
    labels.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    plain = TrainingData(FIXTURES / "train").load().hoax_set()
    extended = TrainingData(FIXTURES / "train", extra_labels=(labels,)).load().hoax_set()
    added = len(extended.texts) - len(plain.texts)
    assert added == 2 and extended.labels[-2:] == [1, 0]
    assert extended.groups[-2:] == ["review:Kabar Sampang"] * 2
    for split in SPLITS["hoax"]:
        train_mask, test_mask = split.masks(extended.g)
        assert not test_mask[-2:].any()  # reviewer labels are never held out
        assert train_mask[-2:].all() or split.train is not None


def test_labelled_rows_without_text_are_refused(tmp_path):
    from classifiers.datasets import TrainingData

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"hoax": 1}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="row 1 has no 'text'"):
        TrainingData(FIXTURES / "train", extra_labels=(bad,)).load()


def test_metrics_record_recipes_poolings_whole_documents_and_costs(trained):
    out, metrics, _ = trained
    manifest = json.loads((out / "manifest.json").read_text())
    from classifiers.recipes import candidates
    from classifiers.windows import POOLINGS

    for signal in ("hate_speech", "abusive", "sara", "hoax", "counter_narrative", "radicalism"):
        report = metrics["signals"][signal]
        names = [c.name for c in candidates(signal)]
        assert [c["name"] for c in report["candidates"]] == names
        assert manifest["recipes"][signal] == report["recipe"] and report["recipe"]["name"] in names
        assert all(split["candidate"] in names for split in report["splits"].values())
        assert manifest["pooling"][signal] in POOLINGS
    hoax = metrics["signals"]["hoax"]["whole_document"]
    assert hoax["splits"], "the long detik fixtures are held out by some hoax split"
    for entry in hoax["splits"].values():
        assert {how: entry[how]["n"] for how in POOLINGS} == dict.fromkeys(POOLINGS, entry["documents"])
    assert any(name.startswith("both schemes") for name in metrics["signals"]["sara"]["splits"])
    assert metrics["costs"]["total"] > 0 and metrics["costs"]["texts"] > 0
