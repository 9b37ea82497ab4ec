"""Language identification for short posts: Indonesian, Madurese, Javanese, English or undetermined.

Two kinds of evidence are combined:

* hand-written function-word lexicons (below) for all four languages; there is no Javanese training
  data, so Javanese and English rest on them alone;
* a character n-gram model (Madurese vs Indonesian) fitted by :func:`classifiers.training.train` and
  stored as ``language.skops`` beside the signal models. Without it the lexicons decide alone.

Code-mixed text gets its dominant language; :func:`language_shares` returns the per-language shares.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from classifiers.normalise import EMOJI_TOKEN, MENTION_TOKEN, URL_TOKEN, basic_normalise, fold_diacritics
from classifiers.normalise import tokens as _tokens

LANGS = ("ind", "mad", "jav", "eng")

# Distinctive Javanese (ngoko and krama) function words and frequent verbs; words shared with
# Indonesian ("aku", "kok", "apa") are left out on purpose.
JAVANESE_WORDS = frozenset("""
ora ojo aja opo piye kepiye ngopo ngapa sing iki iku kuwi kae wis uwis wes durung arep pengen karo
nang neng ning ono onok mergo amarga amargi tenan saiki mengko sampeyan panjenengan kula kulo mboten
nggih inggih dereng sampun badhe wonten kaliyan punika niki menika monggo mangan turu mulih lunga
omah ngene ngono ngunu dadi seko soko teko tekan bocah apik elek gedhe cilik akeh sithik lho tho og
wae bae ae dhewe dewe awakmu kowe koe ngerti ngomong diomongke diomongi sopo endi ndi kabeh rak
lak yo wingi sesuk mlaku ketok weruh ngerteni kudu iso isa isoh gelem ngombe maem bapakne ibune
jenenge ngendi kenek pancen ojok gak-gak nek lek ben-ben mbok tak-kandani kandani
""".split())
# Madurese function words and frequent words (NusaX/NusaWrites spelling, diacritics folded).
MADURESE_WORDS = frozenset("""
engkok engko sengko sengkok ta' tak ta enjek enje' endhak ndhak bik ben se ka dhari deri ghebey
ghabay gabay reya jareya jriya jiya kiya kaju bennya' bannya banne bhunten ongghu ongguh mon mun
oreng orang' kabbhi kabbi kabbhienna la lah bada bade tada' tade tadek polana polana dhalem dalem
maske sakejja' sapa dhimma ngoca' ekoca mele mellea pesse pessena nyaman bang keng tape se'
ngakan ngenom abhali mole entar andhi' andi' ghi' ghik la' lakar sittong duwa' tello' empa'
dhaddhi dhadhi bisa' pas kaula sampeyan panjhenengan bhasa tadha' paggun ngerenga ngetek
sataretanan taretan eson bula kalaban arapa dhapa' dhateng tor ban kalamon atabe otabe
""".split())
ENGLISH_WORDS = frozenset("""
the and is are was were be been you your to of in on at that this it its for not with have has had
i my me we our they their he she his her what will would just do does did but so if from all can
no yes there here which who when where how why about because very really also an or than then them
""".split())
INDONESIAN_WORDS = frozenset("""
yang dan di ke dari ini itu tidak akan sudah dengan untuk pada adalah saya kami kita mereka juga
bisa ada karena atau sangat banyak harus belum jangan lebih dalam oleh seperti bahwa kalau gak
nggak enggak aja sih dong banget udah lagi tapi mau apa kamu anda dia sama bagaimana kenapa mengapa
telah sedang masih hanya semua setiap tersebut para agar supaya namun menjadi dapat ingin
""".split())
_LEXICONS = {"ind": INDONESIAN_WORDS, "mad": MADURESE_WORDS, "jav": JAVANESE_WORDS, "eng": ENGLISH_WORDS}
MIN_TOKENS = 2
MIN_LETTERS = 5
MODEL_WEIGHT = 2.5  # how many function-word hits a confident model prediction is worth

_default_model: dict[str, Any] = {}
_PLACEHOLDERS = {EMOJI_TOKEN, MENTION_TOKEN, URL_TOKEN}


def tokens(normalised: str) -> list[str]:
    """Word tokens without the URL/mention/emoji placeholders of the normaliser."""
    return [w for w in _tokens(normalised) if w not in _PLACEHOLDERS]


def _lexicon_hits(words: list[str]) -> dict[str, float]:
    hits = dict.fromkeys(LANGS, 0.0)
    for w in words:
        plain = fold_diacritics(w)
        found = [lang for lang, lex in _LEXICONS.items() if w in lex or plain in lex]
        for lang in found:
            hits[lang] += 1.0 / len(found)
    return hits


def _default_language_model() -> Any | None:
    """The bundled character model, loaded once on first use (None when it is not available)."""
    if "model" not in _default_model:
        from classifiers.artifacts import DEFAULT_MODEL_DIR, load_skops
        from classifiers.features import restore_pipeline

        path = Path(DEFAULT_MODEL_DIR) / "language.skops"
        try:
            _default_model["model"] = restore_pipeline(load_skops(path)) if path.exists() else None
        except Exception:  # a broken language model must not stop scoring; lexicons still work
            _default_model["model"] = None
    return _default_model["model"]


def _mad_probabilities(texts: list[str], model: Any | None) -> list[float | None]:
    if model is None or not texts:
        return [None] * len(texts)
    classes = list(model.classes_)
    proba = model.predict_proba(texts)[:, classes.index("mad")]
    return [float(p) for p in proba]


def _shares(words: list[str], p_mad: float | None) -> dict[str, float]:
    hits = _lexicon_hits(words)
    evidence = dict(hits)
    if p_mad is not None:
        # the model only separates Madurese from Indonesian; it speaks with a weight that grows with
        # length (a longer text gives a more reliable char n-gram estimate)
        weight = MODEL_WEIGHT * min(1.0, len(words) / 8) + 0.5
        evidence["mad"] += weight * p_mad
        evidence["ind"] += weight * (1 - p_mad)
    total = sum(evidence.values())
    if total <= 0:
        return dict.fromkeys(LANGS, 0.0)
    return {lang: evidence[lang] / total for lang in LANGS}


def language_shares_batch(texts: list[str], model: Any | None = None, *,
                          normalised: bool = False) -> list[dict[str, float]]:
    """Per-language shares (summing to 1, or all 0 when there is no evidence) for each text.

    ``normalised=True`` says the texts already went through :func:`basic_normalise`.
    """
    clean = list(texts) if normalised else [basic_normalise(t) for t in texts]
    words = [tokens(t) for t in clean]
    probs = _mad_probabilities(clean, model)
    return [_shares(w, p) for w, p in zip(words, probs, strict=True)]


def detect_language_batch(texts: list[str], model: Any | None = None, *,
                          normalised: bool = False) -> list[str]:
    """The dominant language code of each text ("ind", "mad", "jav", "eng" or "und")."""
    clean = list(texts) if normalised else [basic_normalise(t) for t in texts]
    out = []
    for text, shares in zip(clean, language_shares_batch(clean, model, normalised=True), strict=True):
        words = tokens(text)
        if len(words) < MIN_TOKENS or sum(len(w) for w in words) < MIN_LETTERS:
            out.append("und")
            continue
        best = max(shares, key=lambda lang: shares[lang])
        out.append(best if shares[best] > 0 and not math.isnan(shares[best]) else "und")
    return out


def language_shares(text: str, model: Any | None = None) -> dict[str, float]:
    """Per-language shares of one text (uses the bundled model when ``model`` is None)."""
    return language_shares_batch([text], model if model is not None else _default_language_model())[0]


def detect_language(text: str, model: Any | None = None) -> str:
    """ISO 639-3 code of the dominant language of ``text``; "und" for empty, too short or unknown."""
    if not text or not text.strip():
        return "und"
    chosen = model if model is not None else _default_language_model()
    return detect_language_batch([text], chosen)[0]
