"""What each step of scoring costs: CPU milliseconds per 1,000 texts, measured on a trained model.

Training calls :func:`measure_costs` on a fixed sample of tweet-length training texts and stores the
result in ``metrics.json`` (``costs``), so the model card can say what each feature block costs. The
numbers are CPU time of this process (``time.process_time``, best of ``repeats``), one batch of the
sample at a time, so another job on the machine inflates them less than wall-clock time would; they
are still a measurement, not a guarantee (benchmarks/bench_classify.py is the speed benchmark).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np


def cost_sample(texts: Sequence[str], n: int = 2000) -> list[str]:
    """A fixed sample of ``n`` texts (the first by hash of the text, whatever their order)."""
    import hashlib

    return sorted(set(texts), key=lambda t: hashlib.sha1(t.encode("utf-8", "replace")).hexdigest())[:n]


def _best(step: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        step()
        best = min(best, time.process_time() - start)
    return best


def measure_costs(model_dir: Path, texts: Sequence[str], repeats: int = 3) -> dict:
    """Per step, CPU ms per 1,000 of ``texts``: ``shared`` (normalisation + shared TF-IDF), ``model``
    (one logistic regression, the mean over the models), ``style`` (the hoax style block), ``rules``,
    ``language`` and ``total`` (:meth:`SignalClassifier.score`, everything included)."""
    from scipy.sparse import hstack

    from classifiers.language import detect_language_batch
    from classifiers.normalise import apply_slang, basic_normalise
    from classifiers.pipeline import load_classifier
    from classifiers.style import distort

    clf = load_classifier(model_dir)
    texts = list(texts)
    records = [{"text": t} for t in texts]
    clf.score(records[:50])  # warm caches and lazy imports
    basic = [basic_normalise(t) for t in texts]
    x = clf.vectoriser_.transform([apply_slang(b, clf.slang_) for b in basic])
    per = 1000.0 / max(1, len(texts))
    costs = {"texts": len(texts)}
    costs["shared"] = (
        _best(
            lambda: clf.vectoriser_.transform([apply_slang(basic_normalise(t), clf.slang_) for t in texts]),
            repeats,
        )
        * 1000
        * per
    )
    models = list(clf.models_.values())
    costs["model"] = (
        float(
            np.mean(
                [
                    _best(lambda m=m: m.decision_function(x), repeats)
                    for m in models
                    if m.coef_.shape[1] == x.shape[1]
                ]
                or [0.0]
            )
        )
        * 1000
        * per
    )
    style = 0.0
    for name, (neutral, featuriser) in clf.style_.items():

        def with_style(distorted: Callable[[str], str], model=clf.models_[name], featuriser=featuriser):
            return model.decision_function(
                hstack([x, featuriser.transform([distorted(t) for t in texts])], format="csr")
            )

        style += _best(lambda neutral=neutral: with_style(lambda t: distort(t, neutral)), repeats)
        style -= _best(lambda: with_style(lambda t: ""), repeats)
    costs["style"] = max(0.0, style) * 1000 * per
    costs["rules"] = _best(lambda: clf.rules_.score(basic, normalised=True), repeats) * 1000 * per
    costs["language"] = (
        _best(lambda: detect_language_batch(basic, clf.language_model_, normalised=True, features=x), repeats)
        * 1000
        * per
    )
    costs["total"] = _best(lambda: clf.score(records), repeats) * 1000 * per
    return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in costs.items()}
