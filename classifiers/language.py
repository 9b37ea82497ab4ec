"""Language identification for short posts: Indonesian, Madurese, Javanese, English or undetermined.

Two kinds of evidence are combined:

* hand-written function-word lexicons (below) for all four languages; there is no Javanese training
  data, so Javanese and English rest on them alone;
* a logistic regression (Madurese vs Indonesian) over the *shared* character n-gram block of the
  signal models' TF-IDF space (:func:`fit_language_model`, stored as ``language.skops``), so scoring
  featurises each text once for all signals and the language. Older artifacts carried their own
  character 1-4-gram vectoriser; :func:`language_model_from_bundle` still reads them. Without a model
  the lexicons decide alone.

Code-mixed text gets its dominant language; :func:`language_shares` returns the per-language shares.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.normalise import (
    EMOJI_TOKEN,
    MENTION_TOKEN,
    URL_TOKEN,
    apply_slang,
    basic_normalise,
    fold_diacritics,
)
from classifiers.normalise import tokens as _tokens

LANGS = ("ind", "mad", "jav", "eng")

# Distinctive Javanese (ngoko and krama) function words and frequent verbs; words shared with
# Indonesian ("aku", "kok", "apa") are left out on purpose.
JAVANESE_WORDS = frozenset(
    """
ora ojo aja opo piye kepiye ngopo ngapa sing iki iku kuwi kae wis uwis wes durung arep pengen karo
nang neng ning ono onok mergo amarga amargi tenan saiki mengko sampeyan panjenengan kula kulo mboten
nggih inggih dereng sampun badhe wonten kaliyan punika niki menika monggo mangan turu mulih lunga
omah ngene ngono ngunu dadi seko soko teko tekan bocah apik elek gedhe cilik akeh sithik lho tho og
wae bae ae dhewe dewe awakmu kowe koe ngerti ngomong diomongke diomongi sopo endi ndi kabeh rak
lak yo wingi sesuk mlaku ketok weruh ngerteni kudu iso isa isoh gelem ngombe maem bapakne ibune
jenenge ngendi kenek pancen ojok gak-gak nek lek ben-ben mbok tak-kandani kandani
""".split()
)
# Madurese function words and frequent words (NusaX/NusaWrites spelling, diacritics folded).
MADURESE_WORDS = frozenset(
    """
engkok engko sengko sengkok ta' tak ta enjek enje' endhak ndhak bik ben se ka dhari deri ghebey
ghabay gabay reya jareya jriya jiya kiya kaju bennya' bannya banne bhunten ongghu ongguh mon mun
oreng orang' kabbhi kabbi kabbhienna la lah bada bade tada' tade tadek polana polana dhalem dalem
maske sakejja' sapa dhimma ngoca' ekoca mele mellea pesse pessena nyaman bang keng tape se'
ngakan ngenom abhali mole entar andhi' andi' ghi' ghik la' lakar sittong duwa' tello' empa'
dhaddhi dhadhi bisa' pas kaula sampeyan panjhenengan bhasa tadha' paggun ngerenga ngetek
sataretanan taretan eson bula kalaban arapa dhapa' dhateng tor ban kalamon atabe otabe
""".split()
)
ENGLISH_WORDS = frozenset(
    """
the and is are was were be been you your to of in on at that this it its for not with have has had
i my me we our they their he she his her what will would just do does did but so if from all can
no yes there here which who when where how why about because very really also an or than then them
""".split()
)
INDONESIAN_WORDS = frozenset(
    """
yang dan di ke dari ini itu tidak akan sudah dengan untuk pada adalah saya kami kita mereka juga
bisa ada karena atau sangat banyak harus belum jangan lebih dalam oleh seperti bahwa kalau gak
nggak enggak aja sih dong banget udah lagi tapi mau apa kamu anda dia sama bagaimana kenapa mengapa
telah sedang masih hanya semua setiap tersebut para agar supaya namun menjadi dapat ingin
""".split()
)
_LEXICONS = {"ind": INDONESIAN_WORDS, "mad": MADURESE_WORDS, "jav": JAVANESE_WORDS, "eng": ENGLISH_WORDS}
MIN_TOKENS = 2
MIN_LETTERS = 5
MODEL_WEIGHT = 2.5  # how many function-word hits a confident model prediction is worth
LANGUAGE_FORMAT = "shared-char-v1"  # language.skops: a regression over the shared "char" block
LANGUAGE_C = 2.0

_default_model: dict[str, Any] = {}
_PLACEHOLDERS = {EMOJI_TOKEN, MENTION_TOKEN, URL_TOKEN}
_WORD_LANGS: dict[str, tuple[tuple[str, float], ...]] = {}  # word -> lexicon shares (cache)
_WORD_CACHE_LIMIT = 100_000


def tokens(normalised: str) -> list[str]:
    """Word tokens without the URL/mention/emoji placeholders of the normaliser."""
    return [w for w in _tokens(normalised) if w not in _PLACEHOLDERS]


def _word_weights(word: str) -> tuple[tuple[str, float], ...]:
    """(language, 1/k) for each of the k lexicons ``word`` (or its diacritic-free form) is in; cached."""
    found = _WORD_LANGS.get(word)
    if found is None:
        plain = word if word.isascii() else fold_diacritics(word)
        langs = [lang for lang, lex in _LEXICONS.items() if word in lex or plain in lex]
        found = tuple((lang, 1.0 / len(langs)) for lang in langs)
        if len(_WORD_LANGS) >= _WORD_CACHE_LIMIT:
            _WORD_LANGS.clear()
        _WORD_LANGS[word] = found
    return found


def _lexicon_hits(words: list[str]) -> dict[str, float]:
    hits = dict.fromkeys(LANGS, 0.0)
    cached = _WORD_LANGS.get
    for w in words:
        found = cached(w)
        for lang, share in found if found is not None else _word_weights(w):
            hits[lang] += share
    return hits


class CharLanguageModel:
    """Madurese-vs-Indonesian logistic regression over a character n-gram TF-IDF block.

    ``featuriser`` is a :class:`classifiers.features.FastTfidf`; ``weights`` has one entry per column
    of its matrix (zero outside the block the regression was fitted on). ``shared`` says the featuriser
    is the signal models' own, so :meth:`mad_probabilities` can take their matrix instead of
    featurising again; texts are then mapped with the model's ``slang`` table first, as for the signals.
    """

    def __init__(
        self,
        featuriser: Any,
        weights: np.ndarray,
        intercept: float,
        *,
        slang: Mapping[str, str] | None = None,
        shared: bool = False,
    ):
        self.featuriser = featuriser
        self.weights = np.asarray(weights, dtype=np.float64)
        self.intercept = float(intercept)
        self.slang = dict(slang or {})
        self.shared = shared

    def mad_probabilities(self, texts: Sequence[str], features: Any = None) -> np.ndarray:
        """P(Madurese) per text (``texts`` already through ``basic_normalise``).

        ``features``: the shared matrix of the same texts' model windows (only used when ``shared``).
        """
        if features is None or not self.shared:
            features = self.featuriser.transform([apply_slang(t, self.slang) for t in texts])
        z = np.asarray(features @ self.weights).ravel() + self.intercept
        return 1.0 / (1.0 + np.exp(-z))


def _padded_weights(model: Any, n_features: int, offset: int) -> tuple[np.ndarray, float]:
    """Weights of a fitted binary regression, placed at ``offset`` in ``n_features`` columns, oriented
    so that a positive decision means Madurese."""
    sign = 1.0 if str(model.classes_[1]) == "mad" else -1.0
    coef = np.asarray(model.coef_, dtype=np.float64).ravel()
    weights = np.zeros(n_features, dtype=np.float64)
    weights[offset : offset + coef.size] = sign * coef
    return weights, sign * float(np.asarray(model.intercept_).ravel()[0])


def language_bundle(model: Any, block: str = "char") -> dict:
    """What ``language.skops`` stores: the regression and the name of the shared block it reads."""
    return {"format": LANGUAGE_FORMAT, "block": block, "model": model}


def language_model_from_bundle(
    bundle: dict, featuriser: Any = None, slang: Mapping[str, str] | None = None
) -> CharLanguageModel:
    """A :class:`CharLanguageModel` from a stored bundle.

    New bundles (:func:`language_bundle`) need the signal models' ``featuriser`` (a FastTfidf) and
    slang table; old ones (``{"vectoriser": ..., "model": ...}``) carry their own vectoriser.
    """
    from classifiers.features import FastTfidf

    model = bundle["model"]
    if "vectoriser" in bundle:
        own = FastTfidf(bundle["vectoriser"])
        if featuriser is not None:
            own.warm(featuriser.single_words())
        weights, intercept = _padded_weights(model, own.n_features_, 0)
        return CharLanguageModel(own, weights, intercept)
    if featuriser is None:
        raise ValueError("this language model reads the shared features: pass the signal featuriser")
    block = featuriser.block(bundle.get("block", "char"))
    weights, intercept = _padded_weights(model, featuriser.n_features_, block.offset)
    return CharLanguageModel(featuriser, weights, intercept, slang=slang, shared=True)


def fit_language_model(
    data: Any,
    splits: Sequence[Any],
    featuriser: Any,
    slang: Mapping[str, str],
    seed: int = 0,
    block: str = "char",
) -> tuple[Any, dict]:
    """Fit the Madurese-vs-Indonesian regression on the shared ``block`` of ``featuriser``.

    ``data`` is a labelled, grouped set (``texts``, ``y``, ``g``; 1 = Madurese) and ``splits`` the
    cross-corpus splits to report on. Returns the regression fitted on all rows and the report.
    """
    from sklearn.linear_model import LogisticRegression

    from classifiers.dedup import purge
    from classifiers.features import shrink_model
    from classifiers.metrics import binary_metrics

    part = featuriser.block(block)
    x = featuriser.transform([apply_slang(basic_normalise(t), slang) for t in data.texts])
    x = x[:, part.offset : part.offset + len(part.terms)].tocsr()
    labels = np.where(data.y == 1, "mad", "ind")

    def build() -> Any:
        return LogisticRegression(
            C=LANGUAGE_C, solver="liblinear", class_weight="balanced", random_state=seed
        )

    report: dict = {"features": f"shared {block} block", "splits": {}}
    for split in splits:
        train_mask, test_mask = split.masks(data.g)
        train_mask = purge(train_mask, test_mask, data.c)[0] if hasattr(data, "c") else train_mask
        if len(set(labels[train_mask].tolist())) < 2 or not test_mask.any():
            continue  # tiny sets only
        model = build().fit(x[train_mask], labels[train_mask])
        p = model.predict_proba(x[test_mask])[:, list(model.classes_).index("mad")]
        report["splits"][split.name] = binary_metrics(data.y[test_mask], p, 0.5)
    model = build().fit(x, labels)
    shrink_model(model)
    return model, report


def load_language_model(directory: Path, featuriser: Any = None) -> CharLanguageModel:
    """The language model stored in a model ``directory`` (reads its vectoriser and slang table when
    the model uses the shared features and no ``featuriser`` is given)."""
    from classifiers.artifacts import load_skops
    from classifiers.features import FastTfidf

    bundle = load_skops(directory / "language.skops")
    if "vectoriser" in bundle:
        return language_model_from_bundle(bundle)
    if featuriser is None:
        featuriser = FastTfidf(load_skops(directory / "vectoriser.skops"))
    slang = json.loads((directory / "normaliser.json").read_text(encoding="utf-8"))["slang"]
    return language_model_from_bundle(bundle, featuriser, slang)


def _default_language_model() -> Any | None:
    """The bundled language model, loaded once on first use (None when it is not available)."""
    if "model" not in _default_model:
        from classifiers.artifacts import DEFAULT_MODEL_DIR

        directory = Path(DEFAULT_MODEL_DIR)
        try:
            found = (directory / "language.skops").exists()
            _default_model["model"] = load_language_model(directory) if found else None
        except Exception:  # a broken language model must not stop scoring; lexicons still work
            _default_model["model"] = None
    return _default_model["model"]


def _mad_probabilities(texts: list[str], model: Any | None, features: Any = None) -> list[float | None]:
    if model is None or not texts:
        return [None] * len(texts)
    if hasattr(model, "mad_probabilities"):
        return [float(p) for p in model.mad_probabilities(texts, features)]
    classes = list(model.classes_)  # a fitted scikit-learn pipeline over the texts
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


def _prepared(texts: list[str], normalised: bool) -> tuple[list[str], list[list[str]]]:
    clean = list(texts) if normalised else [basic_normalise(t) for t in texts]
    return clean, [tokens(t) for t in clean]


def language_shares_batch(
    texts: list[str], model: Any | None = None, *, normalised: bool = False, features: Any = None
) -> list[dict[str, float]]:
    """Per-language shares (summing to 1, or all 0 when there is no evidence) for each text.

    ``normalised=True`` says the texts already went through :func:`basic_normalise`; ``features`` is
    the shared feature matrix of the same texts (see :meth:`CharLanguageModel.mad_probabilities`).
    """
    clean, words = _prepared(texts, normalised)
    probs = _mad_probabilities(clean, model, features)
    return [_shares(w, p) for w, p in zip(words, probs, strict=True)]


def _dominant(words: list[str], shares: dict[str, float]) -> str:
    if len(words) < MIN_TOKENS or sum(len(w) for w in words) < MIN_LETTERS:
        return "und"
    best = max(shares, key=shares.__getitem__)
    return best if shares[best] > 0 and not math.isnan(shares[best]) else "und"


def detect_language_batch(
    texts: list[str], model: Any | None = None, *, normalised: bool = False, features: Any = None
) -> list[str]:
    """The dominant language code of each text ("ind", "mad", "jav", "eng" or "und")."""
    clean, words = _prepared(texts, normalised)
    probs = _mad_probabilities(clean, model, features)
    return [_dominant(w, _shares(w, p)) for w, p in zip(words, probs, strict=True)]


def language_shares(text: str, model: Any | None = None) -> dict[str, float]:
    """Per-language shares of one text (uses the bundled model when ``model`` is None)."""
    return language_shares_batch([text], model if model is not None else _default_language_model())[0]


def detect_language(text: str, model: Any | None = None) -> str:
    """ISO 639-3 code of the dominant language of ``text``; "und" for empty, too short or unknown."""
    if not text or not text.strip():
        return "und"
    chosen = model if model is not None else _default_language_model()
    return detect_language_batch([text], chosen)[0]
