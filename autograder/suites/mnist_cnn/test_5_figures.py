"""Rubric: the figures of misclassified digits and of the confusion matrix."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.engine.figures import (
    compare_figures,
    describe_and_close,
    has_ticks,
    image_of,
    integers_in,
    plot_axes,
    same_image,
    student_figure,
)
from autograder.i18n import _
from cnnkit_student.describe import says

# What the contract leaves free in these figures: the wording of titles (their numbers are
# checked on their own), hiding ticks by removing them or by turning the axis off, and, for
# the confusion matrix, its colormap and colour limits. Digits may be drawn at any scale
# (0-255 or 0-1): their images are compared min-max normalised.
DIGITS_FREE = {"titles", "axis", "rendering"}
MATRIX_FREE = {"titles", "axis", "colormaps", "colour_limits", "rendering"}


# A plausible mistake for each digit (a 4 read as a 9, a 7 as a 1...): the figure of the
# hidden test shows real digits with their true labels and believable wrong predictions, so
# that the picture on the feedback page makes sense.
LOOKALIKE = np.array([6, 7, 7, 5, 9, 3, 0, 1, 3, 4])

# Axis labels name their concept in English or Spanish (cnnkit_student.describe.says).


def _true_labels(digits: np.ndarray, mnist) -> np.ndarray:
    """The labels of ``digits``, found by their pixels among the test digits they come from."""
    label_of = {image.tobytes(): int(label) for image, label in zip(mnist.x_test, mnist.y_test,
                                                                    strict=True)}
    return np.array([label_of[digit.tobytes()] for digit in digits], dtype=np.int64)


def _normalised(array: np.ndarray) -> np.ndarray:
    array = np.asarray(array, dtype=np.float64).squeeze()
    span = array.max() - array.min()
    return (array - array.min()) / span if span else array * 0


def _check_digits(figure: dict, images, y_true, y_pred, indices, label: str) -> None:
    axes = plot_axes(figure)
    assert len(axes) == len(indices), (
        _("for {label}: {expected} axes (one per shown digit, no empty ones) are expected, "
          "got {got}").format(label=label, expected=len(indices), got=len(axes))
    )
    for position, (ax, index) in enumerate(zip(axes, indices, strict=True), start=1):
        numbers = integers_in(ax["title"])
        expected = [int(y_true[index]), int(y_pred[index])]
        assert numbers[:2] == expected, (
            _("for {label}: digit {position} should be titled with its real label, then its "
              "predicted label; its title is {title!r}").format(
                label=label, position=position, title=ax["title"])
        )
        assert same_image(_normalised(image_of(ax)) if image_of(ax) is not None else None,
                          _normalised(images[index])), (
            _("for {label}: digit {position} does not show the image at its index").format(
                label=label, position=position)
        )
        assert not has_ticks(ax), (
            _("for {label}: digit {position} still shows axis ticks").format(
                label=label, position=position)
        )


@pytest.mark.rubric(points=1, visibility="public")
def test_misclassified_figure_shows_each_error_with_its_labels(student, public_digits):
    """plot_misclassified: one axes per error, titled real then predicted label."""
    y_true = np.array([5, 0, 4, 1, 9])
    y_pred = np.array([3, 0, 9, 7, 9])
    indices = np.array([0, 2, 3])
    figure = student_figure(
        student.plot_misclassified(public_digits, y_true, y_pred, indices), "plot_misclassified"
    )
    _check_digits(figure, public_digits, y_true, y_pred, indices, _("three errors"))


@pytest.mark.rubric(points=2, visibility="hidden")
def test_misclassified_figure_keeps_the_limit_and_row_layout(
    student, reference, hidden_digits, mnist, pictures
):
    """plot_misclassified: shows the first max_images errors, per_row to a row, like the
    reference figure."""
    y_true = _true_labels(hidden_digits, mnist)
    y_pred = y_true.copy()
    y_pred[::3] = LOOKALIKE[y_true[::3]]  # enough errors to need more than one row
    indices, _percentage = reference.find_misclassified(y_true, y_pred)
    figure = student_figure(
        student.plot_misclassified(hidden_digits, y_true, y_pred, indices, per_row=4,
                                   max_images=10),
        "plot_misclassified",
    )
    expected = describe_and_close(
        reference.plot_misclassified(hidden_digits, y_true, y_pred, indices, per_row=4,
                                     max_images=10)
    )
    pictures.keep("misclassified", student=figure["png"], reference=expected["png"])
    _check_digits(figure, hidden_digits, y_true, y_pred, indices[:10], _("ten of many errors"))
    problems = compare_figures(figure, expected, ignore=DIGITS_FREE, normalize_images=True)
    assert not problems, (
        _("the figure differs from the reference's (digits laid out per_row to a row, in "
          "order): {problems}").format(problems="; ".join(problems))
    )


@pytest.mark.rubric(points=1, visibility="hidden")
def test_misclassified_figure_without_errors_is_empty(student, reference, hidden_digits):
    """plot_misclassified: with no errors to show, returns a figure without axes."""
    labels = np.zeros(len(hidden_digits), dtype=np.int64)
    none = np.array([], dtype=np.int64)
    figure = student_figure(student.plot_misclassified(hidden_digits, labels, labels, none),
                            "plot_misclassified")
    expected = describe_and_close(reference.plot_misclassified(hidden_digits, labels, labels,
                                                               none))
    problems = compare_figures(figure, expected, ignore=DIGITS_FREE)
    assert not problems, (
        _("no axes are expected when there is nothing to show: {problems}").format(
            problems="; ".join(problems))
    )


@pytest.mark.rubric(points=1, visibility="hidden")
def test_confusion_matrix_figure_shows_the_matrix_with_labelled_axes(student, reference):
    """plot_confusion_matrix: one image of the matrix, x axis predicted, y axis real."""
    rng = np.random.default_rng(11)
    errors_only = rng.integers(0, 20, size=(10, 10))
    np.fill_diagonal(errors_only, 0)
    # A whole confusion matrix too: the figure shows the matrix it is given, diagonal included
    # (a plot that zeroes the diagonal itself, or changes its argument, shows another one).
    whole = errors_only + np.diag(rng.integers(50, 90, size=10))
    for matrix in (errors_only, whole):
        figure = student_figure(student.plot_confusion_matrix(matrix), "plot_confusion_matrix")
        expected = describe_and_close(reference.plot_confusion_matrix(matrix))
        axes = plot_axes(figure)
        assert len(axes) == 1, (
            _("one axes (plus an optional colour bar) is expected, got {got}").format(
                got=len(axes))
        )
        ax = axes[0]
        assert same_image(image_of(ax), matrix), (
            _("the axes does not show the matrix as an image"))
        problems = compare_figures(figure, expected, ignore=MATRIX_FREE)
        assert not problems, "; ".join(problems)
        assert says(ax["xlabel"], "predicted"), (
            _("the x axis should be labelled as predicted classes")
        )
        assert says(ax["ylabel"], "true"), _("the y axis should be labelled as real classes")
