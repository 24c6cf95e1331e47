"""Rubric: the examples a fitted classifier gets wrong."""

from __future__ import annotations

import numpy as np
import pytest


def _check(result, classifier, x, labels, label: str) -> None:
    predicted = np.asarray(classifier.call("predict", x)).reshape(-1)
    wrong = np.flatnonzero(predicted != labels)
    assert isinstance(result, tuple) and len(result) == 2, (
        f"for {label}: a pair (indices, predicted_labels) is expected"
    )
    indices, shown = (np.asarray(v) for v in result)
    assert indices.dtype.kind in "iu" and shown.dtype.kind in "iu", (
        f"for {label}: indices and predicted labels must be integer arrays"
    )
    assert np.array_equal(indices, wrong), (
        f"for {label}: the indices are not the positions where the prediction differs from "
        "the label, in ascending order"
    )
    assert np.array_equal(shown, predicted[wrong]), (
        f"for {label}: the second array should hold the predicted labels at those positions"
    )


@pytest.mark.rubric(points=1, visibility="public")
def test_misclassified_examples_on_three_clusters(student, worker, blobs):
    """misclassified_examples: positions of the wrong predictions and what was predicted."""
    x_train, y_train, x_test, y_test = blobs
    classifier = worker.tool("fitted_classifier", "knn", x_train, y_train, n_neighbors=3)
    labels = y_test.copy()
    labels[[1, 4, 20]] = (labels[[1, 4, 20]] + 1) % 3  # a few certain errors
    result = student.misclassified_examples(classifier, x_test, labels)
    _check(result, classifier, x_test, labels, "three clusters")


@pytest.mark.rubric(points=1, visibility="hidden")
def test_misclassified_examples_on_digit_embeddings_and_without_errors(
    student, worker, hidden_split
):
    """misclassified_examples: right on many embeddings, and empty arrays when nothing is
    wrong."""
    x_train, y_train, x_test, y_test = hidden_split
    classifier = worker.tool("fitted_classifier", "tree", x_train, y_train, seed=1, max_depth=3)
    _check(student.misclassified_examples(classifier, x_test, y_test), classifier, x_test,
           y_test, "digit embeddings")
    perfect = np.asarray(classifier.call("predict", x_test)).reshape(-1).astype(np.int64)
    _check(student.misclassified_examples(classifier, x_test, perfect), classifier, x_test,
           perfect, "labels the classifier gets all right")
