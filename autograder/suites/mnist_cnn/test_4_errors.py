"""Rubric: finding the misclassified examples and the confusion matrix."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.engine.client import StudentCodeError
from autograder.i18n import _


def _check_misclassified(result, expected, label: str) -> None:
    assert isinstance(result, tuple) and len(result) == 2, (
        _("for {label}: a pair (indices, error_percentage) is expected").format(label=label)
    )
    indices, percentage = result
    expected_indices, expected_percentage = expected
    indices = np.asarray(indices)
    assert indices.dtype.kind in "iu", (
        _("for {label}: indices must be integers, got {dtype}").format(
            label=label, dtype=indices.dtype)
    )
    assert np.array_equal(indices, expected_indices), (
        _("for {label}: the indices are not the positions where the labels differ, in "
          "order").format(label=label)
    )
    assert np.isscalar(percentage) and np.isfinite(percentage), (
        _("for {label}: the error percentage must be a finite number, got {value!r}").format(
            label=label, value=percentage)
    )
    assert abs(float(percentage) - expected_percentage) < 1e-9, (
        _("for {label}: the error percentage is wrong (it is 100 * errors / examples)").format(
            label=label)
    )


@pytest.mark.rubric(points=1, visibility="public")
def test_find_misclassified_on_a_small_example(student):
    """find_misclassified: positions where labels differ, and the error percentage."""
    result = student.find_misclassified(np.array([1, 2, 3, 4]), np.array([1, 0, 3, 0]))
    _check_misclassified(result, (np.array([1, 3]), 50.0), "y_true=[1,2,3,4], y_pred=[1,0,3,0]")


@pytest.mark.rubric(points=2, visibility="hidden")
def test_find_misclassified_matches_the_reference(student, reference, hidden_labels):
    """find_misclassified: right indices and percentage on many labels, all right, all wrong,
    and a percentage that is not a round number."""
    y_true, y_pred = hidden_labels
    cases = {
        _("500 labels with some errors"): (y_true, y_pred),
        _("predictions that are all right"): (y_true[:50], y_true[:50]),
        _("predictions that are all wrong"): (y_true[:50], (y_true[:50] + 1) % 10),
        _("a single wrong prediction"): (np.array([7]), np.array([1])),
        # 100 / 3: a percentage rounded (or truncated) on the way shows here
        _("one error in three labels"): (np.array([4, 8, 2]), np.array([4, 3, 2])),
    }
    for label, (real, predicted) in cases.items():
        result = student.find_misclassified(real, predicted)
        _check_misclassified(result, reference.find_misclassified(real, predicted), label)


@pytest.mark.rubric(points=1, visibility="hidden")
def test_find_misclassified_handles_an_empty_batch(student):
    """find_misclassified: no examples give no indices and 0.0 percent, not NaN or an error."""
    empty = np.array([], dtype=np.int64)
    _check_misclassified(student.find_misclassified(empty, empty), (empty, 0.0),
                         _("empty labels"))


@pytest.mark.rubric(points=1, visibility="hidden")
def test_find_misclassified_rejects_labels_of_different_lengths(student):
    """find_misclassified: labels of different lengths raise ValueError."""
    # 3 against 2, and 3 against 1 (which NumPy would broadcast without a complaint)
    for real, predicted in ((np.array([1, 2, 3]), np.array([1, 2])),
                            (np.array([1, 2, 3]), np.array([2]))):
        with pytest.raises(StudentCodeError) as raised:
            student.find_misclassified(real, predicted)
        assert raised.value.kind == "ValueError", (
            # brief: the exception's type and line, never its text (a hidden test does not
            # repeat what the student's code wrote)
            _("ValueError is expected for labels of different lengths ({real} and {predicted}), "
              "got: {brief}").format(real=len(real), predicted=len(predicted),
                                     brief=raised.value.brief)
        )


def _check_matrix(matrix, expected, label: str) -> None:
    matrix = np.asarray(matrix)
    assert matrix.shape == expected.shape, (
        _("for {label}: shape {expected} is expected, got {got}").format(
            label=label, expected=expected.shape, got=matrix.shape)
    )
    assert matrix.dtype.kind in "iu", (
        _("for {label}: counts must be integers, got {dtype}").format(
            label=label, dtype=matrix.dtype)
    )
    assert np.all(np.diag(matrix) == 0), (
        _("for {label}: the diagonal must be zero").format(label=label)
    )
    assert np.array_equal(matrix, expected), (
        _("for {label}: the counts differ (rows are real classes, columns predicted "
          "classes)").format(label=label)
    )


@pytest.mark.rubric(points=1, visibility="public")
def test_confusion_matrix_zeroes_the_diagonal(student):
    """confusion_matrix_without_diagonal: counts real (rows) vs predicted (columns), diagonal 0."""
    y_true = np.array([0, 0, 1, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 2, 2, 0, 0])
    expected = np.array([[0, 1, 0], [0, 0, 1], [2, 0, 0]])
    matrix = student.confusion_matrix_without_diagonal(y_true, y_pred, num_classes=3)
    _check_matrix(matrix, expected, _("a 3-class example"))


@pytest.mark.rubric(points=2, visibility="hidden")
def test_confusion_matrix_matches_the_reference(student, reference, hidden_labels):
    """confusion_matrix_without_diagonal: right on many labels, and keeps absent classes."""
    y_true, y_pred = hidden_labels
    only_low = y_true < 6  # classes 6 to 9 never occur: their rows and columns must stay
    cases = {
        _("500 labels over 10 classes"): (y_true, y_pred, 10),
        _("labels where some classes never occur"): (y_true[only_low], y_true[only_low] % 3,
                                                     10),
    }
    for label, (real, predicted, classes) in cases.items():
        matrix = student.confusion_matrix_without_diagonal(real, predicted, num_classes=classes)
        expected = reference.confusion_matrix_without_diagonal(real, predicted, classes)
        _check_matrix(matrix, expected, label)
