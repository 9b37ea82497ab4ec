"""Indonesian social-media text normalisation (slang, leetspeak, elongation, URLs, emoji).

The slang table (kamus alay, Ibrohim & Budi 2019) is read at *train* time by
:func:`build_slang_map`, filtered so that Madurese words are never "corrected" into Indonesian,
and stored inside the model artifact (``normaliser.json``). At scoring time the stored table is used;
no lexicon file is needed.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

URL_TOKEN = "xurl"
MENTION_TOKEN = "xmention"
EMOJI_TOKEN = "xemoji"
NUMBER_TOKEN = "xnum"

_URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|id|co\.id|net|org|ly)/\S*", re.IGNORECASE)
_MENTION = re.compile(r"(?<!\w)@\w+|\[USERNAME\]|\bUSER\b", re.IGNORECASE)
_HASHTAG = re.compile(r"(?<!\w)#(\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])")
_ELONGATED = re.compile(r"([a-z])\1{2,}")
_LEET_WORD = re.compile(r"\b(?=[a-z0-9]*[a-z])(?=[a-z0-9]*[01345])[a-z0-9]{3,}\b")
_HAS_LEET_DIGIT = re.compile(r"[01345]")
_LEET_MAP = str.maketrans({"4": "a", "3": "e", "1": "i", "0": "o", "5": "s"})
_REDUP = re.compile(r"\b([a-z]{2,})2\b")  # "orang2" -> "orang orang"
_TOKEN = re.compile(r"[a-z\u00c0-\u024f']+|[0-9]+|\S")
_SPACE = re.compile(r"\s+")
_WORD_TOKEN = re.compile(r"[a-z\u00c0-\u024f']+")
# Words that are commonly joined in hashtags; a light split keeps the parts visible to the model.
# Region-free on purpose (issue 13): place names belong to the config's region, not to the normaliser,
# so another regency gets the same features.
_HASHTAG_PARTS = (
    "tolak",
    "lawan",
    "stop",
    "anti",
    "ganti",
    "save",
    "pilkada",
    "pemilu",
    "politik",
    "uang",
    "hoaks",
    "hoax",
    "damai",
    "presiden",
    "jokowi",
    "prabowo",
)


_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff]+[\ufe0f\u200d]*")


def split_hashtag(tag: str) -> str:
    """Split a hashtag body: CamelCase and letter/digit boundaries, then a few known joined words."""
    parts = _CAMEL.sub(" ", tag).lower()
    if " " in parts:
        return parts
    for word in _HASHTAG_PARTS:
        if parts != word and word in parts:
            parts = parts.replace(word, f" {word} ")
    return _SPACE.sub(" ", parts).strip()


def _leet_fix(match: re.Match[str]) -> str:
    word = match.group(0)
    if word.isdigit() or re.fullmatch(r"\d+(rb|k|jt|an|x)", word):
        return word  # numbers and amounts ("50rb", "100k") stay numbers
    return word.translate(_LEET_MAP)


def basic_normalise(text: str) -> str:
    """Case-fold and clean a text without any lexicon: URLs, mentions, hashtags, emoji, leet, elongation.

    Each substitution runs only when a character it needs is present (a cheap ``in`` test), which
    gives the same result as always running it.
    """
    text = unicodedata.normalize("NFKC", text or "")
    lowered = text.lower()
    if "/" in text or "www." in lowered:
        text = _URL.sub(f" {URL_TOKEN} ", text)
    if "@" in text or "user" in lowered:
        text = _MENTION.sub(f" {MENTION_TOKEN} ", text)
    if "#" in text:
        text = _HASHTAG.sub(lambda m: f" {split_hashtag(m.group(1))} ", text)
    if not text.isascii():
        text = _EMOJI.sub(f" {EMOJI_TOKEN} ", text)
    text = text.casefold().replace("\\n", " ").replace("’", "'").replace("`", "'")
    if "2" in text:
        text = _REDUP.sub(r"\1 \1", text)
    if _HAS_LEET_DIGIT.search(text):
        text = _LEET_WORD.sub(_leet_fix, text)
    text = _ELONGATED.sub(r"\1", text)
    return " ".join(text.split())


def apply_slang(text: str, slang: Mapping[str, str]) -> str:
    """Replace whole tokens found in ``slang`` (already lower-case, Madurese-protected)."""
    if not slang:
        return text
    return " ".join(slang.get(tok, tok) for tok in _TOKEN.findall(text))


def normalise(text: str, slang: Mapping[str, str] | None = None) -> str:
    """Full normalisation: :func:`basic_normalise` then slang mapping (when a table is given)."""
    return apply_slang(basic_normalise(text), slang or {})


def tokens(text: str) -> list[str]:
    """Word tokens of an already normalised text (letters and apostrophes, e.g. Madurese "ta'")."""
    return [w for t in _WORD_TOKEN.findall(text) if (w := t.strip("'") if "'" in t else t)]


def fold_diacritics(word: str) -> str:
    """ "bâgi" -> "bagi", "pèssè" -> "pesse": Madurese spelling is often written without diacritics."""
    if word.isascii():
        return word
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def _read_lines(path: Path) -> list[str]:
    raw = path.read_bytes()
    out = []
    for line in raw.splitlines():
        try:
            out.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            out.append(line.decode("cp1252", errors="replace"))
    return out


def read_madurese_words(lexicon_csv: Path) -> set[str]:
    """Madurese words of the NusaX Indonesian↔Madurese lexicon (with and without diacritics)."""
    words: set[str] = set()
    for row in csv.reader(_read_lines(lexicon_csv)):
        if len(row) >= 3 and row[2] and row[2] != "madurese":
            for w in row[2].casefold().split():
                words.update({w, fold_diacritics(w), w.replace("'", "")})
    return words


def build_slang_map(kamus_csv: Path, protected: Iterable[str] = ()) -> dict[str, str]:
    """Read the slang lexicon into ``{slang: standard}``, dropping protected (Madurese) words.

    Entries whose key is a number, equals its value, or is protected are skipped; keys are normalised
    the same way as texts so that lookups match.
    """
    keep_out = set(protected)
    table: dict[str, str] = {}
    for row in csv.reader(_read_lines(kamus_csv)):
        if len(row) < 2:
            continue
        key = basic_normalise(row[0])
        value = basic_normalise(row[1])
        if (
            not key
            or not value
            or key == value
            or " " in key
            or key.isdigit()
            or key in keep_out
            or fold_diacritics(key) in keep_out
        ):
            continue
        table.setdefault(key, value)
    return table
