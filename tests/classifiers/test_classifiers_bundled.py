"""The bundled model (classifiers/models) loads, scores all seven signals and behaves sensibly."""

from __future__ import annotations

import pytest

from classifiers import DEFAULT_MODEL_DIR, load_classifier
from pantau.domain import SIGNALS

pytestmark = pytest.mark.skipif(
    not (DEFAULT_MODEL_DIR / "manifest.json").exists(),
    reason="no bundled model (run python -m classifiers.training)",
)


@pytest.fixture(scope="module")
def classifier():
    return load_classifier()


def score_one(classifier, text: str, **extra):
    return classifier.score([{"text": text, **extra}])[0]


def test_loads_with_version_and_thresholds(classifier):
    assert classifier.version_.startswith("sk-")
    assert set(classifier.thresholds_) == set(SIGNALS)
    assert all(0 < t < 1 for t in classifier.thresholds_.values())


def test_scores_every_signal_in_range(classifier):
    result = score_one(classifier, "Besok ada pengajian di masjid desa, semua warga diundang.")
    assert set(result.scores) == set(SIGNALS)
    assert all(0.0 <= v <= 1.0 for v in result.scores.values())
    assert result.model_version == classifier.version_


def test_neutral_kpu_news_flags_nothing(classifier):
    result = score_one(
        classifier,
        "KPU Kabupaten Sampang menggelar rapat pleno rekapitulasi hasil "
        "penghitungan suara di aula kantor KPU pada Senin pagi.",
        title="KPU Sampang Gelar Rapat Pleno",
    )
    assert result.flags == []
    assert result.lang == "ind"


def test_obvious_vote_buying_is_flagged_with_reasons(classifier):
    result = score_one(classifier, "Siap bagi amplop 100rb per kepala buat yang nyoblos nomor 2 besok pagi!")
    assert "vote_buying" in result.flags
    assert any("vb_price_per_vote" in reason for reason in result.explanations["vote_buying"])


def test_madurese_vote_buying(classifier):
    result = score_one(classifier, "Engkok bâgi pèssè 50 ebu ka oreng se mele calon jareya")
    assert "vote_buying" in result.flags
    assert result.lang == "mad"


def test_call_to_burn_a_polling_station(classifier):
    result = score_one(classifier, "Ayo bakar TPS kalau calon kita kalah!")
    assert "violence_threat" in result.flags


def test_abuse_is_flagged_with_words(classifier):
    result = score_one(classifier, "dasar goblok lu anjing bangsat")
    assert "abusive" in result.flags
    assert any(w in result.explanations["abusive"] for w in ("goblok", "anjing", "bangsat"))


def test_political_criticism_is_not_hate(classifier):
    result = score_one(
        classifier,
        "Kinerja Bawaslu lamban dan KPU kurang transparan, tolong diperbaiki sebelum hari pencoblosan.",
    )
    assert "hate_speech" not in result.flags
    assert "sara" not in result.flags


def test_fact_check_is_a_counter_narrative(classifier):
    result = score_one(
        classifier,
        "[SALAH] Video surat suara sudah dicoblos di Sampang. Faktanya, KPU "
        "Sampang menegaskan video itu rekaman lama dari daerah lain.",
    )
    assert "counter_narrative" in result.flags


def test_empty_text_scores_zero(classifier):
    result = score_one(classifier, "")
    assert result.flags == [] and result.lang == "und"
    assert set(result.scores.values()) == {0.0}


def test_batch_keeps_order_and_length(classifier):
    texts = [f"kalimat biasa nomor {i} tentang cuaca di Sampang" for i in range(50)]
    results = classifier.score([{"text": t} for t in texts])
    assert len(results) == 50
    assert classifier.score([]) == []
