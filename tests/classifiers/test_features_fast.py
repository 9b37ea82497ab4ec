"""The fast scoring paths give the same answers as the plain ones.

* :class:`classifiers.features.FastTfidf` against scikit-learn's fitted TF-IDF union;
* the rule index (:func:`classifiers.rules.required_literals`) against running every rule pattern;
* the language model over the shared features (new artifact) and the old own-vectoriser artifact.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifiers.datasets import SignalSet
from classifiers.evaluation import Split
from classifiers.features import (
    FastTfidf,
    build_vectoriser,
    restore_vectoriser,
    top_contributions,
    top_contributions_of,
    vectoriser_state,
)
from classifiers.language import (
    detect_language_batch,
    fit_language_model,
    language_bundle,
    language_model_from_bundle,
)
from classifiers.normalise import basic_normalise
from classifiers.rule_lexicon import ALL_RULES
from classifiers.rules import LiteralIndex, RuleScorer, required_literals

# Hand-written posts (Indonesian, Madurese, slang, symbols) for fitting tiny vocabularies.
CORPUS = [
    "kpu sampang gelar rapat pleno rekapitulasi suara di kecamatan omben",
    "engkok ta' endhak mele calon jareya, pesse bik beras ta' ngaruh",
    "warga desa torjun diimbau jaga kondusif jelang pilkada damai",
    "hoaks! pesan berantai soal tps dibakar itu tidak benar kata polres",
    "ayo coblos nomor 2 dapat amplop 50rb per orang",
    "sengko' la mole dhari pasar, bada oreng se ngoca' ka engkok",
    "bawaslu sampang awasi politik uang dan serangan fajar",
    "orang orang di pasar bilang harga beras naik lagi",
    "taretan kabbhi, mon bada pesse dhari calon ta' osa e tarema",
    "polisi patroli di pelabuhan camplong, situasi aman dan tenang",
    "klarifikasi kpu: kotak suara aman, video viral itu editan",
    "kalian semua pengkhianat, awas kalau berani datang ke desa",
] * 3
TRICKY = [
    "",
    " ",
    "a",
    "x\ty  z\n",
    "ta' ta' ta'",
    "abcdefghijklmnopqrstuvwxyz",
    "kpu kpu kpu sampang",
    "é à ü",
    "1 2 3",
    "xurl xmention xemoji",
    "😀 ok",
]


def _small_union(params: dict | None = None):
    params = params or {
        "word": {
            "analyzer": "word",
            "ngram_range": (1, 2),
            "min_df": 1,
            "max_df": 1.0,
            "max_features": 500,
            "token_pattern": r"(?u)\b\w[\w']*\b",
        },
        "char": {
            "analyzer": "char_wb",
            "ngram_range": (2, 5),
            "min_df": 1,
            "max_df": 0.9,
            "max_features": 2000,
            "token_pattern": None,
        },
    }
    return build_vectoriser(params).fit(CORPUS)


@pytest.mark.parametrize(
    "params",
    [
        None,
        {
            "chars": {
                "analyzer": "char_wb",
                "ngram_range": (1, 4),
                "min_df": 1,
                "max_df": 1.0,
                "max_features": 800,
                "token_pattern": None,
            }
        },
        {
            "style": {
                "analyzer": "word",
                "ngram_range": (1, 3),
                "min_df": 1,
                "max_df": 1.0,
                "max_features": 800,
                "token_pattern": r"\S+",
            }
        },
    ],
)
def test_fast_transform_equals_sklearn(params):
    union = _small_union(params)
    state = vectoriser_state(union)
    texts = CORPUS[:12] + TRICKY + ["pesse mele calon kpu " * 5, "ta'engkok mole-mole"]
    expected = restore_vectoriser(state).transform(texts).toarray()
    fast = FastTfidf(state)
    got = fast.transform(texts)
    assert got.shape == expected.shape and got.dtype == np.float32
    assert np.abs(got.toarray() - expected).max() < 1e-6
    again = fast.transform(texts)  # now from the word cache
    assert np.abs(again.toarray() - expected).max() < 1e-6
    assert fast.get_feature_names_out() == [str(n) for n in union.get_feature_names_out()]


def test_fast_transform_of_an_empty_batch_and_unknown_words():
    fast = FastTfidf(vectoriser_state(_small_union()))
    assert fast.transform([]).shape == (0, fast.n_features_)
    x = fast.transform(["qqqq zzzz"])
    assert x.nnz == 0


def test_fast_transform_refuses_an_unsupported_analyzer():
    state = vectoriser_state(_small_union())
    state["params"]["char"] = {**state["params"]["char"], "analyzer": "char"}
    with pytest.raises(ValueError, match="char_wb"):
        FastTfidf(state)


def test_term_lookup_and_row_explanations_match_the_named_version():
    union = _small_union()
    fast = FastTfidf(vectoriser_state(union))
    names = fast.get_feature_names_out()
    x = fast.transform(["ayo coblos nomor 2 dapat amplop 50rb per orang"])
    rng = np.random.default_rng(0)

    class Model:
        coef_ = rng.normal(size=(1, fast.n_features_))

    expected = top_contributions(Model(), x[0:1], names)
    got = top_contributions_of(Model.coef_[0], x.indices, x.data, fast.term)
    assert got == expected and got
    for seed in range(20):  # naming only the top k of each kind gives the same answer
        Model.coef_ = np.random.default_rng(seed).normal(size=(1, fast.n_features_))
        assert top_contributions_of(
            Model.coef_[0], x.indices, x.data, fast.term, is_word=fast.is_word(x.indices)
        ) == top_contributions(Model(), x, names)
    assert fast.term(0) == tuple(names[0].split("__", 1))
    assert top_contributions_of(Model.coef_[0], np.array([], dtype=int), np.array([]), fast.term) == []


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\bserangan (fajar|subuh)\b", {"serangan fajar", "serangan subuh"}),
        (r"ab?c", {"ac", "abc"}),
        (r"\d+\s?(rb|ribu)\b", {"rb", "ribu"}),
        (r"(?<!bukan )\b(hoaks|hoax)\b", {"hoaks", "hoax"}),
        (r"x*", None),
        (r"\w+", None),
        (r"(?i)abc", None),
        (r"(?i:abc)d", {"d"}),
    ],
)
def test_required_literals(pattern, expected):
    found = required_literals(pattern)
    assert (set(found) if found is not None else None) == expected


def test_literal_index_candidates():
    index = LiteralIndex([r"ab?c", r"\d+", r"\bserangan (fajar|subuh)\b"])
    assert index.candidates("ac") == {0, 1}
    assert index.candidates("zzz") == {1}
    assert index.candidates("awas serangan subuh") == {1, 2}
    assert index.candidates("") == {1}
    spaced = LiteralIndex([r"k p", r"abc", r"a  b"])
    assert spaced.candidates("ok pak") == {0}
    assert spaced.candidates("xabc\tz") == {1}
    assert spaced.candidates("xa  by") == {2}
    assert spaced.candidates("ok pak") == {0}  # again, from the piece cache


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.name)
def test_every_match_of_every_rule_contains_one_of_its_literals(rule):
    index = LiteralIndex([rule.pattern])
    compiled = re.compile(rule.pattern)

    @settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.from_regex(rule.pattern))
    def check(text):
        if compiled.search(text):
            assert 0 in index.candidates(text), text

    check()


def test_rule_scores_with_the_index_equal_running_every_rule():
    texts = [basic_normalise(t) for t in CORPUS[:12] + TRICKY] + [
        "siap bagi amplop 100rb per kepala buat yang nyoblos nomor 2",
        'polisi mengimbau warga menolak politik uang dan "serangan fajar"',
        "bakar kantor kpu kalau curang! kami tahu rumahmu",
        "bukan hoaks, ini klarifikasi resmi: berita itu tidak benar",
        "pèssè ta' kenning e tarema, mele calon se jujur",
    ]
    fast = RuleScorer(ALL_RULES).compile()
    plain = RuleScorer(ALL_RULES).compile()
    plain.index_ = LiteralIndex([])
    plain.index_.always = list(range(len(ALL_RULES)))
    got = fast.score(texts, normalised=True)
    assert got == plain.score(texts, normalised=True)
    assert any(p > 0.5 for row in got for p, _ in row.values())


def _language_set() -> SignalSet:
    data = SignalSet("language")
    mad = [
        "engkok ta' endhak mele calon jareya",
        "sengko' la mole dhari pasar bik taretan",
        "bada oreng se ngoca' ka engkok",
        "taretan kabbhi mon bada pesse ta' osa e tarema",
        "engkok abhali mole ka bengko",
        "oreng jareya ta' endhak ngakan",
    ]
    ind = [
        "saya tidak mau memilih calon itu",
        "warga pasar bilang harga beras naik",
        "kpu sampang menggelar rapat pleno",
        "polisi mengimbau warga menjaga kondusif",
        "video viral itu ternyata hasil editan",
        "kami akan datang ke kantor besok",
    ]
    data.add(mad[:3], 1, "a-mad")
    data.add(mad[3:], 1, "b-mad")
    data.add(ind[:3], 0, "a-ind")
    data.add(ind[3:], 0, "b-ind")
    return data


def test_language_model_over_the_shared_features():
    fast = FastTfidf(vectoriser_state(_small_union()))
    splits = [Split("a -> b", ("b-mad", "b-ind")), Split("b -> a", ("a-mad", "a-ind"))]
    model, report = fit_language_model(_language_set(), splits, fast, {}, seed=0)
    assert set(report["splits"]) == {"a -> b", "b -> a"}
    assert model.coef_.shape[1] == len(fast.block("char").terms)
    language = language_model_from_bundle(language_bundle(model), fast, {})
    texts = ["engkok ta' endhak mele calon jareya", "saya tidak tahu yang dia katakan"]
    own = language.mad_probabilities(texts)
    shared = language.mad_probabilities(texts, fast.transform(texts))
    assert np.allclose(own, shared) and own[0] > own[1]
    assert detect_language_batch(texts, language, normalised=True, features=fast.transform(texts)) == [
        "mad",
        "ind",
    ]
    with pytest.raises(ValueError, match="featuriser"):
        language_model_from_bundle(language_bundle(model))


def test_old_language_artifact_with_its_own_vectoriser_still_loads():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from classifiers.features import pipeline_bundle

    data = _language_set()
    pipeline = Pipeline(
        [
            (
                "features",
                build_vectoriser(
                    {
                        "chars": {
                            "analyzer": "char_wb",
                            "ngram_range": (1, 4),
                            "min_df": 1,
                            "max_df": 1.0,
                            "max_features": 500,
                            "token_pattern": None,
                        }
                    }
                ),
            ),
            ("model", LogisticRegression(C=2.0, solver="liblinear")),
        ]
    )
    pipeline.fit(data.texts, np.where(data.y == 1, "mad", "ind"))
    language = language_model_from_bundle(pipeline_bundle(pipeline))
    texts = ["engkok ta' mele", "saya mau memilih"]
    expected = pipeline.predict_proba(texts)[:, 1]
    assert np.allclose(language.mad_probabilities(texts), expected, atol=1e-6)


@pytest.fixture(scope="module")
def fixture_model(tmp_path_factory):
    import shutil
    from pathlib import Path

    from classifiers import train

    fixtures = Path(__file__).parent / "fixtures"
    data = tmp_path_factory.mktemp("data")
    shutil.copytree(fixtures / "train", data / "train")
    shutil.copytree(fixtures / "lexicons", data / "lexicons")
    out = tmp_path_factory.mktemp("model")
    train(data / "train", out, seed=0)
    return out


SAMPLE = [
    {"text": "Engkok ta' endhak mele calon jareya, pesse 50rb per oreng"},
    {"title": "KLARIFIKASI", "text": "Beredar pesan berantai bahwa TPS 5 dibakar. Itu tidak benar."},
    {"text": "SEBARKAN!!! Info penting dari grup sebelah soal kotak suara 😡 @kpu https://t.co/x"},
    {"text": "Warga desa Omben menggelar doa bersama untuk pilkada damai"},
    {"text": ""},
]


def test_scoring_equals_the_plain_scikit_learn_route(fixture_model):
    from scipy.sparse import hstack

    from classifiers import load_classifier
    from classifiers.artifacts import load_skops
    from classifiers.normalise import normalise
    from classifiers.text_pass import split_records

    clf = load_classifier(fixture_model)
    _, _, windows = split_records(SAMPLE)
    plain = restore_vectoriser(load_skops(fixture_model / "vectoriser.skops"))
    x_plain = plain.transform([normalise(w, clf.slang_) for w in windows])
    x_fast = clf.vectoriser_.transform([normalise(w, clf.slang_) for w in windows])
    assert np.abs(x_fast.toarray() - x_plain.toarray()).max() < 1e-6
    got = clf._decisions(x_fast, windows)
    style_path = fixture_model / "style.skops"
    styles = {}
    if style_path.exists():
        from classifiers.style import StyleFeatures

        styles = {n: StyleFeatures.from_state(s) for n, s in load_skops(style_path).items()}
    for name, model in clf.models_.items():
        x = hstack([x_plain, styles[name].transform(windows)]).tocsr() if name in styles else x_plain
        assert np.allclose(got[name], model.decision_function(x), atol=1e-5), name


def test_language_from_the_shared_matrix_equals_featurising_again(fixture_model):
    from classifiers import load_classifier
    from classifiers.text_pass import rules_and_languages, split_records

    clf = load_classifier(fixture_model)
    assert clf.language_model_.shared
    records = [r for r in SAMPLE if "title" not in r and r["text"]]  # window == language text
    results = clf.score(records)
    titles, bodies, _ = split_records(records)
    _, langs = rules_and_languages(titles, bodies, clf.rules_, clf.language_model_)
    assert [r.lang for r in results] == langs
    assert results[0].lang == "mad"


def test_a_model_directory_language_model_loads_on_its_own(fixture_model):
    from classifiers.language import detect_language, load_language_model

    language = load_language_model(fixture_model)  # reads vectoriser.skops and the slang table itself
    assert language.shared and language.featuriser.n_features_ > 0
    assert detect_language("Engkok ta' endhak mele calon jareya", language) == "mad"
    assert detect_language("KPU Sampang menggelar rapat pleno rekapitulasi suara", language) == "ind"
