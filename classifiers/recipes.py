"""Candidate recipes per signal: what the inner folds may choose between (issue 13).

A recipe fixes how one signal's logistic regression is fitted on the shared TF-IDF block (and the
style block of :data:`~classifiers.weights.STYLE_SIGNALS`):

* ``c``: the inverse regularisation strength (``C`` of liblinear);
* ``shared_scale``: the shared word + character block is multiplied by this before fitting, so with
  the same L2 penalty its (topical) coefficients are held smaller than the style block's; the scale is
  folded back into the stored coefficients, so scoring is unchanged (``fold_scale``);
* ``balance_sources``: sample weights that give every source family (the group name before its first
  ``-``: ``ibrohim``, ``netifier``, ``claims``, ``news``, ...) the same total weight within each class, so
  that one corpus's definition of the label does not dominate because it has more rows.

In every outer split :func:`classifiers.nested.run_nested` fits each candidate on the inner folds and
keeps the one with the best inner-fold F1; the shipped model uses the candidate with the best pooled
outer F1 (:func:`classifiers.nested.shipped_candidate`), as the shipped threshold is chosen there.
The candidate lists are design choices, fixed before any split was measured with them: the usual
alternatives for each signal's known weakness (hate speech and abusive too cautious: a weaker penalty;
political criticism flagged as hate: ordinary-text sources weighted like the labelled corpus; SARA from
two annotation schemes: source balance; hoax learning topics: a smaller shared block).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Recipe:
    name: str
    c: float = 1.0
    shared_scale: float = 1.0
    balance_sources: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


DEFAULT = Recipe("C=1")
_LEXICAL = (DEFAULT, Recipe("C=4", c=4.0), Recipe("C=4, sources balanced", c=4.0, balance_sources=True))
CANDIDATES: dict[str, tuple[Recipe, ...]] = {
    "hate_speech": _LEXICAL,
    "abusive": _LEXICAL,
    "sara": (DEFAULT, Recipe("C=1, sources balanced", balance_sources=True),
             Recipe("C=4, sources balanced", c=4.0, balance_sources=True)),
    "hoax": (DEFAULT, Recipe("C=1, shared block x0.5", shared_scale=0.5)),
    "counter_narrative": (DEFAULT, Recipe("C=4", c=4.0)),
    "radicalism": (DEFAULT, Recipe("C=1, sources balanced", balance_sources=True)),
}


def candidates(signal: str) -> tuple[Recipe, ...]:
    """The recipes the inner folds choose between for ``signal`` (the default alone if none listed)."""
    return CANDIDATES.get(signal, (DEFAULT,))


def source_family(group: str) -> str:
    """``ibrohim-f2`` -> ``ibrohim``, ``netifier-kaskus`` -> ``netifier``, ``smsa`` -> ``smsa``."""
    return group.split("-", 1)[0]


def source_weights(groups: np.ndarray, y: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Per row of ``rows`` (a mask): within each class, every source family present gets the same total
    weight; the weights of a class add up to its row count (so class balance is left to the model)."""
    w = np.zeros(y.size)
    families = np.array([source_family(g) for g in groups.tolist()])
    for label in (0, 1):
        cls = rows & (y == label)
        present = sorted(set(families[cls].tolist()))
        for family in present:
            cell = cls & (families == family)
            w[cell] = cls.sum() / (len(present) * cell.sum())
    return w[rows]


def fold_scale(model, n_shared: int, scale: float) -> None:
    """Fold a ``shared_scale`` back into the coefficients of the first ``n_shared`` columns."""
    if scale != 1.0:
        model.coef_[:, :n_shared] *= scale
