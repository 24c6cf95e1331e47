"""Rubric: the training-curves figure and the confusion-matrix figure.

Checked through the figures' plain descriptions (``remote.inspect("figure")``): which axes
exist, their titles, legends and labels, each line's data, each image's array and the texts.

Those descriptions are made in the student's worker, so they are the student's answer: a
forged one can only claim what a correct figure shows, and the reference figure is drawn here
from the same plain inputs. The History handed to ``plot_training_curves`` is built there by
the kit's ``make_history`` tool from plain values; what is expected comes from those values,
never from the worker.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.engine.figures import (
    compare_figures,
    describe_and_close,
    image_of,
    plot_axes,
    same_image,
    student_figure,
)
from autograder.i18n import N_, _, translated
from cnnkit_student.describe import says

# What the contract leaves free, so the comparison with the reference's figure skips it:
# title wording (checked for its key word on its own), axis styling, the x values of the
# curves and the order of the two lines (their y values are checked on their own below), and
# the confusion matrix's colormap and colour limits.
CURVES_FREE = {"titles", "axis", "line_data", "rendering"}
MATRIX_FREE = {"titles", "axis", "colormaps", "colour_limits", "rendering"}

PUBLIC_HISTORY = {
    "loss": [0.69, 0.61, 0.55], "accuracy": [0.52, 0.66, 0.71],
    "val_loss": [0.68, 0.64, 0.63], "val_accuracy": [0.55, 0.62, 0.64],
}

# Titles and labels name their concept in English or Spanish
# (cnnkit_student.describe.says).

# What is said about each metric's axes, a whole sentence per metric (translated when shown).
CURVE_MESSAGES = {
    "loss": {
        "lines": N_("for {label}, the loss axes (the left one) should hold two lines, training "
                    "and validation; it holds {count}"),
        "training": N_("for {label}, the loss axes: no line carries the training loss of the "
                       "history, one point per epoch"),
        "validation": N_("for {label}, the loss axes: no line carries the validation loss of "
                         "the history, one point per epoch"),
        "title": N_("the loss axes should have a title that says 'loss', got {title!r}"),
        "legend": N_("the loss axes should have a legend with one entry per line"),
    },
    "accuracy": {
        "lines": N_("for {label}, the accuracy axes (the right one) should hold two lines, "
                    "training and validation; it holds {count}"),
        "training": N_("for {label}, the accuracy axes: no line carries the training accuracy "
                       "of the history, one point per epoch"),
        "validation": N_("for {label}, the accuracy axes: no line carries the validation "
                         "accuracy of the history, one point per epoch"),
        "title": N_("the accuracy axes should have a title that says 'accuracy', got {title!r}"),
        "legend": N_("the accuracy axes should have a legend with one entry per line"),
    },
}




def _hidden_history() -> dict[str, list[float]]:
    rng = np.random.default_rng(31)
    epochs = 7
    return {
        "loss": np.sort(rng.uniform(0.2, 0.7, epochs))[::-1].round(4).tolist(),
        "accuracy": np.sort(rng.uniform(0.5, 0.9, epochs)).round(4).tolist(),
        "val_loss": rng.uniform(0.4, 0.8, epochs).round(4).tolist(),
        "val_accuracy": rng.uniform(0.5, 0.8, epochs).round(4).tolist(),
        "learning_rate": [0.001] * epochs,  # fit records it too; it is not plotted
    }


def _check_curves(figure: dict, history: dict, label: str) -> None:
    axes = plot_axes(figure)
    assert len(axes) == 2, (
        _("for {label}: two axes (loss, accuracy) are expected, got {got}").format(
            label=label, got=len(axes))
    )
    for ax, metric in zip(axes, ("loss", "accuracy"), strict=True):
        messages = CURVE_MESSAGES[metric]
        expected = [np.asarray(history[metric]), np.asarray(history[f"val_{metric}"])]
        lines = [np.asarray(line["y"]) for line in ax["lines"]]
        assert len(lines) == 2, translated(messages["lines"]).format(label=label, count=len(lines))
        for values, name in zip(expected, ("training", "validation"), strict=True):
            assert any(line.shape == values.shape and np.allclose(line, values)
                       for line in lines), translated(messages[name]).format(label=label)


@pytest.mark.rubric(points=1, visibility="public")
def test_training_curves_plot_the_history(student, worker):
    """plot_training_curves: two axes, loss on the left and accuracy on the right, each with
    the training and validation values of the history."""
    history = worker.tool("make_history", PUBLIC_HISTORY)
    figure = student_figure(student.plot_training_curves(history), "plot_training_curves")
    _check_curves(figure, PUBLIC_HISTORY, _("a 3-epoch history"))


@pytest.mark.rubric(points=2, visibility="hidden")
def test_training_curves_are_titled_and_have_legends(student, worker, reference, pictures):
    """plot_training_curves: exact values for another history; each axes titled with what it
    shows and with a legend entry per line."""
    values = _hidden_history()
    history = worker.tool("make_history", values)
    figure = student_figure(student.plot_training_curves(history), "plot_training_curves")
    expected = describe_and_close(reference.plot_training_curves(_LocalHistory(values)))
    pictures.keep("training curves", student=figure["png"], reference=expected["png"])
    _check_curves(figure, values, _("a 7-epoch history"))
    problems = compare_figures(figure, expected, ignore=CURVES_FREE)
    assert not problems, (
        _("the figure's layout differs from the reference's (two axes side by side): "
          "{problems}").format(problems="; ".join(problems))
    )
    for ax, metric in zip(plot_axes(figure), ("loss", "accuracy"), strict=True):
        messages = CURVE_MESSAGES[metric]
        assert says(ax["title"], metric), translated(messages["title"]).format(title=ax["title"])
        assert ax["legend"] is not None and len([t for t in ax["legend"] if t]) == 2, (
            translated(messages["legend"])
        )


class _LocalHistory:
    """What ``model.fit`` returns, for the reference in the grader process."""

    def __init__(self, values: dict) -> None:
        self.history = values
        self.epoch = list(range(len(values["loss"])))


def _check_matrix_figure(figure: dict, matrix: np.ndarray, label: str) -> None:
    axes = plot_axes(figure)
    assert len(axes) == 1, (
        _("for {label}: one axes (plus an optional colour bar) is expected, got {got}").format(
            label=label, got=len(axes))
    )
    ax = axes[0]
    assert same_image(image_of(ax), matrix), (
        _("for {label}: the axes does not show the matrix").format(label=label)
    )
    assert says(ax["xlabel"], "predicted"), (
        _("the x axis should be labelled as the predicted class")
    )
    assert says(ax["ylabel"], "true"), _("the y axis should be labelled as the true class")


@pytest.mark.rubric(points=1, visibility="public")
def test_confusion_matrix_figure_shows_the_matrix(student):
    """plot_confusion_matrix: one image of the matrix, x axis predicted, y axis true."""
    matrix = np.array([[40, 10], [5, 45]])
    figure = student_figure(student.plot_confusion_matrix(matrix, ["cats", "dogs"]),
                            "plot_confusion_matrix")
    _check_matrix_figure(figure, matrix, _("a 2x2 matrix"))


@pytest.mark.rubric(points=1, visibility="hidden")
def test_confusion_matrix_figure_writes_each_count(student, reference, pictures):
    """plot_confusion_matrix: every cell is annotated with its count, for any matrix."""
    matrix = np.array([[117, 0], [23, 96]])
    figure = student_figure(student.plot_confusion_matrix(matrix, ["digit_3", "digit_8"]),
                            "plot_confusion_matrix")
    expected = describe_and_close(reference.plot_confusion_matrix(matrix, ["digit_3", "digit_8"]))
    pictures.keep("confusion matrix", student=figure["png"], reference=expected["png"])
    _check_matrix_figure(figure, matrix, _("another matrix"))
    problems = compare_figures(figure, expected, ignore=MATRIX_FREE)
    assert not problems, "; ".join(problems)
    texts = [t.strip() for t in plot_axes(figure)[0]["texts"]]
    missing = [str(count) for count in matrix.ravel() if str(count) not in texts]
    assert not missing, (
        _("each cell should be annotated with its count (ax.text); some counts are not written")
    )
