"""The transformers backend end to end, offline: a tiny BERT built here, fine-tuned on the fixtures."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"  # nothing in these tests may reach a hub
os.environ["TRANSFORMERS_OFFLINE"] = "1"

pytest.importorskip("torch", reason="the transformers extra (torch) is not installed")
pytest.importorskip("transformers", reason="the transformers extra is not installed")

from classifiers.transformer_backend import (  # noqa: E402
    LABELS,
    TransformerSignalClassifier,
    build_table,
    is_transformer_model_dir,
    masked_bce,
    train_transformer,
)
from pantau.domain import SIGNALS, ModelError, ScoreResult  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
SENTENCES = [
    "saya pergi ke pasar bersama adik pada pagi hari",
    "kami makan nasi dan ikan di rumah nenek",
    "pemerintah kabupaten meresmikan jembatan baru pada senin pagi",
    "harga cabai di pasar turun",
    "inflasi bulan ini tercatat rendah menurut badan statistik",
    "terima kasih atas bantuannya kemarin",
    "vaksin berisi chip pelacak sebarkan sebelum dihapus",
    "pesan berantai air rebusan menyembuhkan kanker",
    "beredar kabar presiden akan menjual pulau ke asing",
    "kepolisian membantah kabar tersebut",
    "klarifikasi surat edaran yang beredar palsu dan bukan dari kami",
    "informasi itu tidak benar",
    "dasar kaum bodoh semua usir saja",
    "orang itu sampah masyarakat benci aku",
    "goblok lu bangsat",
    "dasar tolol anjing",
    "bego banget si kampret",
    "umat itu kafir semua jangan percaya",
    "suku penjajah usir dari kampung kita",
    "siap jihad tegakkan khilafah hancurkan markas",
    "kebijakan soal harga beras kurang tepat perlu dievaluasi",
    "kinerja lamban mengurus jalan rusak",
    "pilih nomor dua dapat amplop lima puluh ribu",
    "serangan fajar menjelang pemilu di desa",
    "politik uang merusak demokrasi kita",
    "bawaslu mengawasi tempat pemungutan suara",
    "calon presiden berkampanye di lapangan kota",
    "warga antre di tps sejak pagi",
    "engkok ta endhak mele calon jareya",
    "sengko la mole dhari pasar bik taretan",
    "oreng ngakan nase bik jhuko se nyaman",
    "semoga cuaca besok cerah untuk jalan jalan",
    "kopi pagi ini enak cocok buat baca buku",
    "senang sekali hari ini bisa makan bakso",
    "viral beredar video hoaks tentang surat suara tercoblos",
    "kpu memastikan surat suara aman",
]


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory) -> Path:
    """A tiny random BERT (hidden 32, 2 layers, 2 heads) with a WordPiece tokenizer trained here."""
    from tokenizers import BertWordPieceTokenizer
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    base = tmp_path_factory.mktemp("tiny-bert")
    wordpiece = BertWordPieceTokenizer(lowercase=True)
    wordpiece.train_from_iterator(SENTENCES * 3, vocab_size=400, min_frequency=1)
    wordpiece.save_model(str(base))
    BertTokenizerFast(vocab_file=str(base / "vocab.txt"), do_lower_case=True).save_pretrained(base)
    config = BertConfig(
        vocab_size=wordpiece.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=128,
    )
    BertForSequenceClassification(config).save_pretrained(base)
    return base


@pytest.fixture(scope="module")
def trained(tiny_base, tmp_path_factory) -> tuple[Path, dict, list[str]]:
    out = tmp_path_factory.mktemp("tf-model")
    messages: list[str] = []
    manifest = train_transformer(
        FIXTURES / "train",
        out,
        base_model=str(tiny_base),
        epochs=1,
        max_length=32,
        batch_size=16,
        max_rows=200,
        seed=0,
        progress=messages.append,
    )
    return out, manifest, messages


def test_training_table_masks_unknown_labels_and_holds_out_sources():
    from classifiers.datasets import TrainingData

    texts, y, held = build_table(TrainingData(FIXTURES / "train").load())
    assert len(texts) == len(set(texts)) == y.shape[0] == held.shape[0] and y.shape[1] == len(LABELS)
    import numpy as np

    assert np.isnan(y).any() and not np.isnan(y).all(axis=1).any()
    assert 0 < held.sum() < held.size


def test_masked_bce_ignores_missing_labels():
    import torch

    logits = torch.tensor([[2.0, -1.0], [0.5, 3.0]])
    full = masked_bce(logits, torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    masked = masked_bce(logits, torch.tensor([[1.0, float("nan")], [float("nan"), 1.0]]))
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.tensor([2.0, 3.0]), torch.tensor([1.0, 1.0])
    )
    assert torch.isclose(masked, expected) and not torch.isclose(full, masked)


def test_train_writes_model_and_manifest(trained):
    out, manifest, messages = trained
    assert (out / "model.safetensors").exists() and (out / "config.json").exists()
    assert (out / "tokenizer.json").exists() or (out / "vocab.txt").exists()
    saved = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert saved == manifest and saved["backend"] == "transformers"
    assert saved["version"].startswith("tf-") and len(saved["version"].split("-")) == 3
    assert set(saved["thresholds"]) == set(SIGNALS) and saved["labels"] == list(LABELS)
    assert saved["thresholds"]["vote_buying"] == 0.5 and saved["max_length"] == 32
    assert set(saved["metrics"]["per_signal"]) == set(LABELS) and saved["metrics"]["validation_rows"] > 0
    assert any("validation rows" in m for m in messages)
    assert is_transformer_model_dir(out) and not is_transformer_model_dir(out / "nowhere")


@pytest.mark.parametrize("quantize", [False, True])
def test_loaded_model_keeps_the_score_contract(trained, quantize):
    out, manifest, _ = trained
    clf = TransformerSignalClassifier(out, quantize=quantize).load()
    assert clf.version_ == manifest["version"] and set(clf.thresholds_) == set(SIGNALS)
    records = [
        {"text": "Pilih nomor 2 ya, nanti dapat amplop 50 ribu per orang, serangan fajar besok pagi."},
        {"title": "Harga cabai", "text": "Harga cabai di pasar turun menjelang akhir pekan, kata pedagang."},
        {"text": "engkok ta' endhak mele calon jareya, sengko' la mole dhari pasar bik taretan"},
        {"text": "   "},
    ]
    results = clf.score(records)
    assert len(results) == len(records) and all(isinstance(r, ScoreResult) for r in results)
    for r in results:
        assert set(r.scores) == set(SIGNALS) and all(0.0 <= v <= 1.0 for v in r.scores.values())
        assert set(r.flags) <= set(SIGNALS) and set(r.explanations) == set(r.flags)
        assert r.model_version == manifest["version"]
    assert "vote_buying" in results[0].flags
    assert any(e.startswith("rule ") for e in results[0].explanations["vote_buying"])
    assert results[1].lang == "ind" and results[2].lang == "mad"
    assert results[3].flags == [] and results[3].lang == "und"
    assert clf.score([]) == []


def test_hub_id_offline_is_a_clear_model_error(tmp_path):
    with pytest.raises(ModelError, match="HF_HUB_OFFLINE"):
        train_transformer(FIXTURES / "train", tmp_path, base_model="indobenchmark/indobert-base-p1")
    assert not (tmp_path / "manifest.json").exists()


def test_non_transformer_dir_is_refused(tmp_path):
    from classifiers.artifacts import DEFAULT_MODEL_DIR

    assert not is_transformer_model_dir(DEFAULT_MODEL_DIR)
    with pytest.raises(ModelError, match="backend"):
        TransformerSignalClassifier(tmp_path).load()


def test_the_cli_trains_and_classifies_through_the_same_contract(tiny_base, tmp_path):
    """`pantau train --backend transformers` then `pantau classify --model-dir` (load_classifier dispatch)."""
    import json

    from typer.testing import CliRunner

    from classifiers import load_classifier
    from classifiers.transformer_backend import TransformerSignalClassifier
    from pantau.cli.main import app

    out = tmp_path / "tf"
    runner = CliRunner()
    trained = runner.invoke(
        app,
        [
            "train",
            "--data",
            str(FIXTURES / "train"),
            "--out",
            str(out),
            "--backend",
            "transformers",
            "--base-model",
            str(tiny_base),
            "--max-rows",
            "120",
        ],
    )
    assert trained.exit_code == 0, trained.output
    assert isinstance(load_classifier(out), TransformerSignalClassifier)
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": 1, "text": "Serangan fajar besok, amplop 50 ribu per kepala"}) + "\n")
    scored = runner.invoke(app, ["classify", str(src), "--model-dir", str(out)])
    assert scored.exit_code == 0, scored.output
    row = json.loads(scored.output)
    assert row["id"] == 1 and "vote_buying" in row["flags"] and len(row["scores"]) == 7
