"""The hoax model's style block: text distortion, neutral words learnt across groups, stored state."""

from __future__ import annotations

import numpy as np

from classifiers.style import CLAIM_CUES, StyleFeatures, distort, fit_neutral_words

NEUTRAL = frozenset({"yang", "di", "ini", "tolong", "sebarkan", "kata"})


def test_distort_keeps_neutral_words_and_punctuation_and_shapes_the_rest():
    text = "TOLONG sebarkan!! Kotak suara di TPS 7 Sampang dibakar 🔥 kata warga"
    assert distort(text, NEUTRAL) == "TOLONG sebarkan ! ! Xx x di XX 0 Xx x 🔥 kata x"


def test_distort_hides_topic_so_two_topics_in_one_style_look_alike():
    a = distort("Beredar foto Gaza, kata pejabat itu.", NEUTRAL)
    b = distort("Beredar video Jakarta, kata pejabat itu.", NEUTRAL)
    assert a == b


def test_neutral_words_need_several_groups_and_include_the_claim_cues():
    texts, groups = [], []
    for g in range(5):
        texts += [f"yang ini topik{g} lagi", f"yang itu topik{g}"]
        groups += [f"g{g}", f"g{g}"]
    neutral = set(fit_neutral_words(texts, groups, min_groups=4, min_doc_share=0.5))
    assert {"yang", "ini", "itu"} <= neutral
    assert not any(w.startswith("topik") for w in neutral)  # each topic word lives in one group only
    assert CLAIM_CUES <= neutral


def test_state_round_trip_gives_the_same_matrix():
    texts = [
        "TOLONG sebarkan info ini!!",
        "Harga beras naik, kata pedagang.",
        "Waspada, beredar pesan berantai",
    ] * 4
    groups = ["a", "b", "c", "d"] * 3
    style = StyleFeatures().fit(texts, groups)
    again = StyleFeatures.from_state(style.state())
    assert again.neutral_ == style.neutral_
    x1, x2 = style.transform(texts).toarray(), again.transform(texts).toarray()
    assert x1.shape[1] > 0 and np.allclose(x1, x2)
