"""Districts and actors are found by whole-word, accent-insensitive matching of configured variants."""

from __future__ import annotations

from classifiers.tagging import Tagger
from pantau.settings import load_settings


def _tagger() -> Tagger:
    s = load_settings()
    return Tagger(s.districts, s.actors, s.candidates)


def test_districts_by_name_and_variant():
    t = _tagger()
    assert t.districts("Logistik tiba di Kecamatan Omben dan Karangpenang pagi ini") == [
        "Karang Penang",
        "Omben",
    ]
    assert t.districts("Warga CAMPLÔNG berkumpul") == ["Camplong"]


def test_regency_name_alone_is_not_the_sampang_district():
    t = _tagger()
    assert t.districts("KPU Kabupaten Sampang menggelar rapat") == []
    assert t.districts("Patroli di Kota Sampang malam ini") == ["Sampang"]


def test_whole_words_only():
    t = _tagger()
    assert t.districts("Ombenan bukan nama kecamatan") == []


def test_actors_and_candidates():
    t = _tagger()
    found = t.actors("Kapolres Sampang dan Dandim 0828 meninjau TPS bersama Bawaslu Sampang; Paslon 02 hadir")
    assert found == ["polres-sampang", "kodim-0828", "bawaslu-sampang", "paslon-02"]
    assert t.actors("Tidak ada yang disebut di sini") == []
