"""Normalisation: URLs, mentions, hashtags, elongation, leetspeak, emoji, slang with Madurese protection."""

from pathlib import Path

from classifiers.normalise import (
    EMOJI_TOKEN,
    MENTION_TOKEN,
    URL_TOKEN,
    basic_normalise,
    build_slang_map,
    fold_diacritics,
    normalise,
    read_madurese_words,
    split_hashtag,
)

FIXTURES = Path(__file__).parent / "fixtures"


def test_urls_mentions_and_emoji_become_tokens():
    out = basic_normalise("Cek @budi_01 https://contoh.id/berita?id=3 😡 ")
    assert out.split() == ["cek", MENTION_TOKEN, URL_TOKEN, EMOJI_TOKEN]


def test_hashtags_are_split():
    assert split_hashtag("TolakPolitikUang") == "tolak politik uang"
    assert split_hashtag("tolakpolitikuang") == "tolak politik uang"
    assert basic_normalise("#PilkadaDamai2024") == "pilkada damai 2024"


def test_repeated_letters_and_reduplication():
    assert basic_normalise("Bangeeeet kereeen") == "banget keren"
    assert basic_normalise("orang2 datang") == "orang orang datang"


def test_leetspeak_in_words_but_not_amounts():
    assert basic_normalise("b4ngs4t s3mua") == "bangsat semua"
    assert basic_normalise("dapat 50rb atau 100k per orang, 2024") == "dapat 50rb atau 100k per orang, 2024"


def test_slang_is_mapped_but_madurese_is_protected():
    protected = read_madurese_words(FIXTURES / "madurese_lexicon.csv") | {"mele"}
    slang = build_slang_map(FIXTURES / "kamus_alay.csv", protected)
    assert slang["gak"] == "tidak"
    assert "mele" not in slang          # Madurese "choose/vote", not the slang "melulu"
    assert "engkok" not in slang        # Madurese "I" from the lexicon
    assert normalise("gw gak mau", slang) == "gue tidak mau"
    assert normalise("engkok ta' endhak mele", slang) == "engkok ta' endhak mele"


def test_diacritics_fold_for_madurese_spelling():
    assert fold_diacritics("bâgi pèssè") == "bagi pesse"


def test_empty_text():
    assert normalise("") == ""
    assert basic_normalise("   ") == ""
