"""Hoax chain-message framing and SARA group-hostility rules, and the reported-speech damper."""

import pytest

from classifiers.rule_lexicon import ALL_RULES
from classifiers.rules import RuleScorer

SCORER = RuleScorer(ALL_RULES).compile()


def score(text: str, signal: str) -> float:
    return SCORER.score([text])[0][signal][0]


@pytest.mark.parametrize(
    "text",
    [
        "INFO PENTING!! Kotak suara di gudang sudah diganti. Sebarkan sebelum dihapus!",
        "Viralkan! TPS 5 dipindah ke balai desa, katanya dari orang dalam KPU",
        "Kabarnya paslon mundur, info dari grup sebelah. Sebarkan ke semua warga",
    ],
)
def test_chain_message_framing_scores_high(text):
    assert score(text, "hoax") >= 0.6


@pytest.mark.parametrize(
    "text",
    [
        "Jangan sebarkan kabar yang belum jelas sumbernya.",
        "KPU Sampang menetapkan daftar pemilih tetap dalam rapat pleno terbuka.",
        "Harga cabai di pasar Omben naik menjelang akhir pekan.",
    ],
)
def test_ordinary_text_and_warnings_do_not_look_like_chain_messages(text):
    assert score(text, "hoax") < 0.3


@pytest.mark.parametrize(
    "text",
    [
        "Orang pendatang itu jangan dikasih tempat di kampung kita, usir saja!",
        "Yang protes itu kelompok aliran sesat dari desa sebelah, bersihkan dari sini.",
        "Jangan pilih dia, darah mereka beda, pasti khianat ke warga asli.",
    ],
)
def test_group_hostility_is_sara(text):
    assert score(text, "sara") >= 0.6


@pytest.mark.parametrize(
    "text",
    [
        "Program Paslon 01 soal irigasi belum jelas, tolong dijelaskan saat debat.",
        "Umat dari berbagai agama di Sampang menggelar doa bersama untuk pilkada damai.",
        "Kelompok tani Jrengik menerima bantuan pupuk dari dinas pertanian.",
    ],
)
def test_criticism_and_neutral_group_mentions_are_not_sara(text):
    assert score(text, "sara") < 0.3


def test_reported_threats_score_lower_than_the_threat_itself():
    threat = "Malam ini kita bakar kotak suara di TPS 7 kalau paslon kita kalah."
    report = "Polisi menelusuri akun yang mengancam membakar kotak suara di TPS 7."
    assert score(threat, "violence_threat") >= 0.8
    assert score(report, "violence_threat") < 0.5


@pytest.mark.parametrize(
    "text",
    [
        "Mon bâ'na nyoblos nomer settong, jhâ' abâli ka kampong. Engkok oneng sapa bâ'na.",
        "Saksi itu pengecut, besok kalau ketemu kuhajar.",
        "Kalau hasilnya dicurangi kita datangi rumahnya satu-satu.",
    ],
)
def test_intimidation_in_madurese_and_indonesian(text):
    assert score(text, "violence_threat") >= 0.5


def test_madurese_negated_money_talk_is_not_vote_buying():
    assert score("Jhâ' mele polana pesse, mele se bhender.", "vote_buying") < 0.5
    assert score("Bâdâ pesse saèket ebu saorèng, pokok nyoblos nomer duwâ'.", "vote_buying") >= 0.8
