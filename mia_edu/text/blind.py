"""The blind baseline (Das, Zhang & Tramèr 2024): guess membership from the text alone, no model.

A bag-of-words logistic regression, scored out of fold (``sklearn.model_selection.cross_val_predict``):
on a proper random split it is at chance; when the non-members were collected differently (a later
date range) it beats every attack on the model, which shows that such a split measures the shift,
not membership. Taught in notebook 11.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline

from .._validation import as_membership, check_int


def blind_scores(texts: Sequence[str], is_member, *, folds: int = 5, seed: int = 0) -> np.ndarray:
    """Out-of-fold membership scores of a word-count logistic regression that never sees a model.

    Each text is scored by a classifier fitted on the other folds (members vs non-members, words and
    numbers such as the year ``2023`` as tokens), so no text is scored by a model that saw its label.
    """
    if isinstance(texts, str) or not isinstance(texts, Sequence):
        raise TypeError(f"texts must be a list of strings, got {type(texts).__name__}")
    m = as_membership(is_member, "is_member", n=len(texts), length_of="texts")
    folds = check_int(folds, "folds", minimum=2)
    pipe = make_pipeline(CountVectorizer(token_pattern=r"[A-Za-z]+|\d+", binary=True),
                         LogisticRegression(C=1.0, max_iter=1000))
    cv = StratifiedKFold(folds, shuffle=True, random_state=check_int(seed, "seed", minimum=0))
    return cross_val_predict(pipe, list(texts), m, cv=cv, method="decision_function")
