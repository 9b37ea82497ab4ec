"""Language id on hand-written sentences (lexicon evidence alone, and with the bundled model)."""

import pytest

from classifiers.language import detect_language, detect_language_batch, language_shares

CASES = [
    ("Engkok ta' endhak mele calon jareya", "mad"),
    ("Sengko' la mole dhari pasar, bâdâ oreng se ngoca' ka engkok", "mad"),
    ("Aku ora ngerti opo sing diomongke", "jav"),
    ("Kowe wis mangan durung? Aku arep mulih saiki", "jav"),
    ("I do not know what you are talking about", "eng"),
    ("The election commission will count the votes tomorrow", "eng"),
    ("Saya tidak tahu apa yang dia katakan", "ind"),
    ("KPU Sampang menggelar rapat pleno rekapitulasi suara di kantor kecamatan", "ind"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_lexicons_alone(text, expected):
    assert detect_language_batch([text], model=None) == [expected]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_with_bundled_model(text, expected):
    assert detect_language(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "ok", "😀😀", "123 456"])
def test_undetermined(text):
    assert detect_language(text) == "und"


def test_code_mixed_returns_dominant_and_shares():
    text = "Engkok ta' endhak mele, tapi saya tidak tahu yang mana"
    shares = language_shares(text)
    assert abs(sum(shares.values()) - 1) < 1e-9
    assert shares["mad"] > 0.2 and shares["ind"] > 0.2
    assert detect_language(text) in {"mad", "ind"}
