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
    assert "mele" not in slang  # Madurese "choose/vote", not the slang "melulu"
    assert "engkok" not in slang  # Madurese "I" from the lexicon
    assert normalise("gw gak mau", slang) == "gue tidak mau"
    assert normalise("engkok ta' endhak mele", slang) == "engkok ta' endhak mele"


def test_diacritics_fold_for_madurese_spelling():
    assert fold_diacritics("bâgi pèssè") == "bagi pesse"


def test_empty_text():
    assert normalise("") == ""
    assert basic_normalise("   ") == ""


def test_substitutions_skipped_by_their_cheap_guards_still_fire_when_needed():
    # each regular-expression step only runs when a character it needs is present (see basic_normalise)
    assert basic_normalise("Lihat WWW.Contoh.com sekarang") == "lihat xurl sekarang"
    assert basic_normalise("kabar dari sampang.com/berita ok") == "kabar dari xurl ok"
    assert basic_normalise("USER bilang\u00a0begitu\u2003ya") == "xmention bilang begitu ya"
    assert basic_normalise("Café bâgi pèssè 😀") == "café bâgi pèssè xemoji"
    assert basic_normalise("tanpa tanda apa apa, cuma teks biasa") == "tanpa tanda apa apa, cuma teks biasa"


def test_tokens_strip_apostrophes_and_drop_empty_ones():
    from classifiers.normalise import tokens

    assert tokens("ta' 'x' ''' kpu") == ["ta", "x", "kpu"]
    assert fold_diacritics("plain ascii") == "plain ascii"
