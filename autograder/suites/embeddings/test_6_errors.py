"""Rubric: the examples a fitted classifier gets wrong.

The student's function receives a classifier fitted in the student's worker; the predictions
it should find wrong are made by the same seeded classifier fitted on the same data in the
clean worker, never asked of the student's worker.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.i18n import _


def _classifiers(worker, clean_worker, x, y, *args, **settings):
    """The same seeded classifier fitted in the student's worker (the function's input) and in
    the clean worker (where the expected predictions are made)."""
    return (worker.tool("fitted_classifier", *args, x, y, **settings),
            clean_worker.tool("fitted_classifier", *args, x, y, **settings))


def _check(result, predicted: np.ndarray, labels, label: str) -> None:
    wrong = np.flatnonzero(predicted != labels)
    assert isinstance(result, tuple) and len(result) == 2, (
        _("for {label}: a pair (indices, predicted_labels) is expected").format(label=label)
    )
    indices, shown = (np.asarray(v) for v in result)
    assert indices.dtype.kind in "iu" and shown.dtype.kind in "iu", (
        _("for {label}: indices and predicted labels must be integer arrays").format(
            label=label)
    )
    assert np.array_equal(indices, wrong), (
        _("for {label}: the indices are not the positions where the prediction differs from "
          "the label, in ascending order").format(label=label)
    )
    assert np.array_equal(shown, predicted[wrong]), (
        _("for {label}: the second array should hold the predicted labels at those "
          "positions").format(label=label)
    )


def _predictions(classifier, x) -> np.ndarray:
    return np.asarray(classifier.call("predict", x)).reshape(-1)


@pytest.mark.rubric(points=1, visibility="public")
def test_misclassified_examples_on_three_clusters(student, worker, clean_worker, blobs):
    """misclassified_examples: positions of the wrong predictions and what was predicted."""
    x_train, y_train, x_test, y_test = blobs
    classifier, trusted = _classifiers(worker, clean_worker, x_train, y_train, "knn",
                                       n_neighbors=3)
    labels = y_test.copy()
    labels[[1, 4, 20]] = (labels[[1, 4, 20]] + 1) % 3  # a few certain errors
    result = student.misclassified_examples(classifier, x_test, labels)
    _check(result, _predictions(trusted, x_test), labels, _("three clusters"))


@pytest.mark.rubric(points=1, visibility="hidden")
def test_misclassified_examples_on_digit_embeddings_and_without_errors(
    student, worker, clean_worker, hidden_split
):
    """misclassified_examples: right on many embeddings, and empty arrays when nothing is
    wrong."""
    x_train, y_train, x_test, y_test = hidden_split
    classifier, trusted = _classifiers(worker, clean_worker, x_train, y_train, "tree", seed=1,
                                       max_depth=3)
    predicted = _predictions(trusted, x_test)
    _check(student.misclassified_examples(classifier, x_test, y_test), predicted, y_test,
           _("digit embeddings"))
    perfect = predicted.astype(np.int64)
    _check(student.misclassified_examples(classifier, x_test, perfect), predicted, perfect,
           _("labels the classifier gets all right"))
