"""Rubric: evaluating binary predictions at a threshold, and the misclassified files."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.engine.client import StudentCodeError
from autograder.i18n import _


def _hidden_predictions() -> tuple[np.ndarray, np.ndarray]:
    """Labels and probabilities of 300 fake predictions, some exactly at the threshold."""
    rng = np.random.default_rng(17)
    y_true = rng.integers(0, 2, size=300)
    y_prob = np.clip(y_true * 0.45 + rng.uniform(0, 0.55, size=300), 0, 1)
    y_prob[::37] = 0.5  # exactly at the threshold: label 0
    return y_true.astype(np.int64), y_prob.astype(np.float32)


def _check_report(report, expected: dict, label: str) -> None:
    assert isinstance(report, dict), _("for {label}: a dict is expected").format(label=label)
    for key in ("accuracy", "f1_macro", "confusion_matrix", "predictions"):
        assert key in report, (
            _("for {label}: the dict has no {key!r}").format(label=label, key=key)
        )
    for key in ("accuracy", "f1_macro"):
        value = report[key]
        assert np.isscalar(value) and np.isfinite(value), (
            _("for {label}: {key} must be a finite number, got {value!r}").format(
                label=label, key=key, value=value)
        )
        assert abs(float(value) - expected[key]) < 1e-9, (
            _("for {label}: {key} is wrong").format(label=label, key=key)
        )
    matrix = np.asarray(report["confusion_matrix"])
    assert matrix.shape == (2, 2) and matrix.dtype.kind in "iu", (
        _("for {label}: the confusion matrix should be a 2x2 integer array, got shape "
          "{shape} and dtype {dtype}").format(label=label, shape=matrix.shape, dtype=matrix.dtype)
    )
    assert np.array_equal(matrix, expected["confusion_matrix"]), (
        _("for {label}: the confusion matrix is wrong (rows true label, columns "
          "predicted)").format(label=label)
    )
    predictions = np.asarray(report["predictions"])
    assert predictions.shape == expected["predictions"].shape, (
        _("for {label}: one predicted label per example is expected, shape "
          "{shape}").format(label=label, shape=expected["predictions"].shape)
    )
    assert np.array_equal(predictions, expected["predictions"]), (
        _("for {label}: the predicted labels are wrong (label 1 when the probability is above "
          "the threshold)").format(label=label)
    )


@pytest.mark.rubric(points=1, visibility="public")
def test_evaluate_predictions_on_a_small_example(student, reference):
    """evaluate_predictions: accuracy, macro F1, confusion matrix and labels at 0.5."""
    y_true = np.array([0, 0, 1, 1, 1, 0])
    y_prob = np.array([0.1, 0.7, 0.8, 0.4, 0.9, 0.2])
    _check_report(student.evaluate_predictions(y_true, y_prob),
                  reference.evaluate_predictions(y_true, y_prob), _("a 6-example case"))


@pytest.mark.rubric(points=2, visibility="hidden")
def test_evaluate_predictions_matches_the_reference(student, reference):
    """evaluate_predictions: right on many predictions given as model.predict returns them
    ((n, 1)), with probabilities exactly at the threshold, and with another threshold; the
    predictions are integer labels."""
    y_true, y_prob = _hidden_predictions()
    cases = {
        _("300 predictions of shape (n, 1)"): (y_true, y_prob[:, None], {}),
        _("300 predictions of shape (n,)"): (y_true, y_prob, {}),
        _("threshold 0.7"): (y_true, y_prob, {"threshold": 0.7}),
    }
    for label, (real, probabilities, kwargs) in cases.items():
        report = student.evaluate_predictions(real, probabilities, **kwargs)
        _check_report(report, reference.evaluate_predictions(real, probabilities, **kwargs),
                      label)
        # the contract's int array: booleans compare equal to 0/1 but are not labels
        predictions = np.asarray(report["predictions"])
        assert predictions.dtype.kind in "iu", (
            _("for {label}: the predictions should be integer labels (0 or 1), got "
              "{dtype}").format(label=label, dtype=predictions.dtype))


@pytest.mark.rubric(points=2, visibility="hidden")
def test_evaluate_predictions_with_a_class_never_predicted(student, reference):
    """evaluate_predictions: a class that is never predicted (or never occurs) gets F1 0,
    with no division by zero and no NaN; the matrix keeps both classes."""
    y_true, _probabilities = _hidden_predictions()
    cases = {
        _("a network that always says 1"): (y_true, np.full(len(y_true), 0.9)),
        _("a network that always says 0"): (y_true, np.full(len(y_true), 0.1)),
        _("only label-1 examples, all predicted 1"): (np.ones(20, dtype=np.int64),
                                                      np.full(20, 0.8)),
    }
    for label, (real, probabilities) in cases.items():
        _check_report(student.evaluate_predictions(real, probabilities),
                      reference.evaluate_predictions(real, probabilities), label)


@pytest.mark.rubric(points=1, visibility="hidden")
def test_evaluate_predictions_rejects_different_lengths(student):
    """evaluate_predictions: labels and probabilities of different lengths raise ValueError."""
    try:
        student.evaluate_predictions(np.array([0, 1, 1]), np.array([0.2, 0.9]))
    except StudentCodeError as error:
        assert error.kind == "ValueError", (
            # brief: the exception's type and line, never its text (a hidden test does not
            # repeat what the student's code wrote)
            _("ValueError is expected for inputs of different lengths, got: {brief}").format(
                brief=error.brief)
        )
    else:
        raise AssertionError(_("ValueError is expected for inputs of different lengths"))


def _check_files(result, expected, label: str) -> None:
    assert isinstance(result, tuple | list) and len(result) == 2, (
        _("for {label}: a pair (false_positives, false_negatives) is expected").format(
            label=label)
    )
    for got, wanted, name in zip(result, expected,
                                 (_("false positives"), _("false negatives")), strict=True):
        got = [str(v) for v in got] if isinstance(got, list | tuple | np.ndarray) else got
        assert got == list(wanted), (
            _("for {label}: the {name} are wrong (a false positive is a true 0 predicted 1, a "
              "false negative a true 1 predicted 0; keep the order of filenames)").format(
                label=label, name=name)
        )


@pytest.mark.rubric(points=1, visibility="public")
def test_misclassified_files_on_a_small_example(student):
    """misclassified_files: names of the false positives and false negatives, in order."""
    names = ["cats/cat.1.jpg", "cats/cat.2.jpg", "dogs/dog.1.jpg", "dogs/dog.2.jpg"]
    result = student.misclassified_files(names, np.array([0, 0, 1, 1]),
                                         np.array([0.9, 0.1, 0.3, 0.6]))
    _check_files(result, (["cats/cat.1.jpg"], ["dogs/dog.1.jpg"]), _("four files"))


@pytest.mark.rubric(points=2, visibility="hidden")
def test_misclassified_files_matches_the_reference(student, reference):
    """misclassified_files: right on many predictions ((n, 1) probabilities, some exactly at
    the threshold, another threshold), and empty lists when nothing is wrong."""
    y_true, y_prob = _hidden_predictions()
    names = [f"{'dogs/dog' if t else 'cats/cat'}.{i}.jpg" for i, t in enumerate(y_true)]
    cases = {
        _("300 predictions"): (names, y_true, y_prob[:, None], {}),
        _("threshold 0.3"): (names, y_true, y_prob, {"threshold": 0.3}),
        _("predictions that are all right"): (names[:10], y_true[:10],
                                              y_true[:10].astype(float), {}),
    }
    for label, (files, real, probabilities, kwargs) in cases.items():
        _check_files(student.misclassified_files(files, real, probabilities, **kwargs),
                     reference.misclassified_files(files, real, probabilities, **kwargs), label)
