"""Whole documents (classifiers.windows): how a long text is cut and pooled, and that scoring uses it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from classifiers import DEFAULT_MODEL_DIR, load_classifier
from classifiers.datasets import MAX_CHARS, join_title
from classifiers.windows import MAX_WINDOWS, document_windows, flat_windows, pool

BODY = " ".join(f"kalimat{i} berita" for i in range(200))  # ~3,000 characters: 7 windows


def test_short_text_is_the_one_title_lead_window():
    assert document_windows("Judul", "isi pendek") == [join_title("Judul", "isi pendek")]
    assert document_windows(None, "") == [""]


def test_long_body_is_covered_once_with_the_title_in_the_first_window_only():
    windows = document_windows("Judul Berita", BODY)
    assert len(windows) > 1 and all(len(w) <= MAX_CHARS for w in windows)
    assert windows[0] == join_title("Judul Berita", BODY)
    assert sum("Judul Berita" in w for w in windows) == 1
    assert " ".join(windows)[len("Judul Berita. ") :] == BODY  # no word lost or repeated


def test_a_huge_page_stops_at_max_windows():
    assert len(document_windows("", BODY * 20)) == MAX_WINDOWS


def test_flat_windows_and_pooling():
    flat, owners, first = flat_windows(["", "T"], ["pendek", BODY])
    assert first.tolist() == [0, 1] and owners.tolist()[:2] == [0, 1] and len(flat) == owners.size
    z = np.arange(len(flat), dtype=float)
    assert pool(z, owners, first, "lead").tolist() == [0.0, 1.0]
    assert pool(z, owners, first, "max").tolist() == [0.0, float(len(flat) - 1)]
    assert pool(z, owners, first, "mean")[1] == pytest.approx(np.mean(z[1:]))
    with pytest.raises(ValueError):
        pool(z, owners, first, "median")


def _with_pooling(tmp_path, how: str):
    """A copy of the bundled model whose abusive model pools windows by ``how``."""
    import json
    import shutil

    model_dir = tmp_path / f"model-{how}"
    shutil.copytree(DEFAULT_MODEL_DIR, model_dir)
    manifest = json.loads((model_dir / "manifest.json").read_text())
    manifest["pooling"] = {**manifest.get("pooling", {}), "abusive": how}
    (model_dir / "manifest.json").write_text(json.dumps(manifest))
    return load_classifier(model_dir)


@pytest.mark.skipif(not (DEFAULT_MODEL_DIR / "manifest.json").exists(), reason="no bundled model")
def test_a_long_text_is_scored_by_the_mean_of_its_windows(tmp_path):
    """abusive has no rule lift, so its probability is the calibrated pooled decision value: with mean
    pooling, the mean of what each window scores alone."""
    clf = _with_pooling(tmp_path, "mean")
    insult = "dasar bodoh goblok anjing kalian semua tolol "
    calm = "warga desa bergotong royong membersihkan saluran air menjelang musim hujan tahun ini "
    body = calm * 6 + insult * 12
    windows = document_windows(None, body)
    assert len(windows) >= 3
    a, b = clf.calibration_["abusive"]

    def z(p: float) -> float:
        p = min(max(p, 1e-6), 1 - 1e-6)
        return (math.log(p / (1 - p)) - b) / a

    alone = [z(r.scores["abusive"]) for r in clf.score([{"text": w} for w in windows])]
    whole = clf.score([{"text": body}])[0].scores["abusive"]
    expected = 1 / (1 + math.exp(-(a * float(np.mean(alone)) + b)))
    assert whole == pytest.approx(expected, abs=2e-3)
    lead_only = clf.score([{"text": windows[0]}])[0].scores["abusive"]
    assert whole > lead_only + 0.1  # the insults after the lead count


@pytest.mark.skipif(not (DEFAULT_MODEL_DIR / "manifest.json").exists(), reason="no bundled model")
def test_the_manifest_pooling_decides_how_windows_are_pooled(tmp_path):
    body = "warga desa bergotong royong membersihkan saluran air " * 10 + "dasar bodoh goblok tolol " * 30
    scores = {
        how: _with_pooling(tmp_path, how).score([{"text": body}])[0].scores["abusive"]
        for how in ("lead", "max", "mean")
    }
    lead_alone = load_classifier().score([{"text": document_windows(None, body)[0]}])[0]
    assert scores["lead"] == pytest.approx(lead_alone.scores["abusive"], abs=1e-4)
    assert scores["lead"] < scores["mean"] < scores["max"]
