"""Rubric: the 2-D PCA scatter of the embeddings, train and test side by side.

The student's figure is described in the student's worker (``student_figure``): a forged
description can only claim what a correct figure shows (the points of the training PCA's
projection, coloured by class), which is the work asked; the reference is drawn here.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.engine.figures import describe_and_close, plot_axes, student_figure
from autograder.i18n import _
from cnnkit_student.describe import says

# Titles name their split in English or Spanish (cnnkit_student.describe.says).


def _messages(split: str) -> dict[str, str]:
    """The messages about the ``split`` axes ("train": the left one, "test": the right one),
    whole sentences so that each reads naturally once translated."""
    if split == "train":
        return {
            "title": _("the left axes' title should say 'train'"),
            "count": _("the train axes should show {expected} points, it shows {shown}"),
            "projection": _(
                "the train points are not the embeddings projected on the first two PCA "
                "components of the training embeddings (fit the PCA on the training set only, "
                "without scaling, and use it for both sets)"),
            "colours": _("the train points are not coloured by class: one colour per class is "
                         "expected"),
        }
    return {
        "title": _("the right axes' title should say 'test'"),
        "count": _("the test axes should show {expected} points, it shows {shown}"),
        "projection": _(
            "the test points are not the embeddings projected on the first two PCA "
            "components of the training embeddings (fit the PCA on the training set only, "
            "without scaling, and use it for both sets)"),
        "colours": _("the test points are not coloured by class: one colour per class is "
                     "expected"),
    }


def _points(axes: dict) -> tuple[np.ndarray, list]:
    """All scatter points of one axes and a colour key per point (the ``c=`` value, or the
    RGBA colour when the colours were fixed, e.g. one scatter call per class)."""
    points, keys = [], []
    for collection in axes["scatters"]:
        offsets = np.asarray(collection["offsets"], dtype=np.float64).reshape(-1, 2)
        points.append(offsets)
        values = collection["values"]
        if values is not None and len(values) == len(offsets):
            keys += [("value", float(v)) for v in values]
        else:
            colours = np.asarray(collection["facecolors"]).reshape(-1, 4)
            colours = np.repeat(colours, len(offsets), axis=0) if len(colours) == 1 else colours
            keys += [("colour", tuple(np.round(c, 4))) for c in colours[: len(offsets)]]
            keys += [("none",)] * (len(offsets) - len(colours))
    return (np.concatenate(points) if points else np.zeros((0, 2))), keys


def _position(ax: dict) -> list[int]:
    return [ax["grid"]["row"], ax["grid"]["col"]] if ax["grid"] else [0, 0]


def _by_position(figure: dict) -> list[dict]:
    """The axes with content (colour bars left out), left to right."""
    return sorted(plot_axes(figure), key=_position)


def _compare(student_ax: dict, expected_ax: dict, split: str) -> None:
    messages = _messages(split)
    points, keys = _points(student_ax)
    expected, expected_keys = _points(expected_ax)
    labels = [key[1] for key in expected_keys]
    assert len(points) == len(expected), (
        messages["count"].format(expected=len(expected), shown=len(points))
    )
    scale = max(float(np.abs(expected).max()), 1e-12)
    # A PCA component is defined up to its sign: flip each one to the closer orientation.
    for k in range(2):
        straight = np.abs(np.sort(points[:, k]) - np.sort(expected[:, k])).max()
        flipped = np.abs(np.sort(points[:, k]) - np.sort(-expected[:, k])).max()
        if flipped < straight:
            expected[:, k] = -expected[:, k]
    distances = np.abs(points[:, None, :] - expected[None, :, :]).max(axis=2)
    matched = distances.argmin(axis=1)
    close = distances[np.arange(len(points)), matched] <= 1e-3 * scale
    assert close.all() and len(set(matched.tolist())) == len(points), messages["projection"]
    pairs = {(keys[i], labels[j]) for i, j in enumerate(matched)}
    assert len({k for k, _label in pairs}) == len(pairs) == len({v for _key, v in pairs}), (
        messages["colours"]
    )


@pytest.mark.rubric(points=1, visibility="public")
def test_scatter_puts_train_and_test_side_by_side(student, blobs):
    """plot_embeddings_2d: two axes side by side, train (left) and test (right), one point
    per embedding."""
    x_train, y_train, x_test, y_test = blobs
    described = student_figure(student.plot_embeddings_2d(x_train, y_train, x_test, y_test),
                               "plot_embeddings_2d")
    axes = _by_position(described)
    assert len(axes) == 2, (
        _("two axes (plus optional colour bars) are expected, got {got}").format(got=len(axes)))
    assert [_position(ax) for ax in axes] == [[0, 0], [0, 1]], (
        _("the two axes should sit side by side in one row")
    )
    for ax, split, count in zip(axes, ("train", "test"), (len(x_train), len(x_test)),
                                strict=True):
        messages = _messages(split)
        assert says(ax["title"], split), messages["title"]
        shown = len(_points(ax)[0])
        assert shown == count, messages["count"].format(expected=count, shown=shown)


@pytest.mark.rubric(points=3, visibility="hidden")
def test_scatter_points_are_the_training_pca_projection(
    student, reference, hidden_split, pictures
):
    """plot_embeddings_2d: the points are the embeddings projected on the training set's
    first two PCA components (up to each component's sign), coloured by class."""
    x_train, y_train, x_test, y_test = hidden_split
    args = (x_train[:150], y_train[:150], x_test[:80], y_test[:80])
    expected = describe_and_close(reference.plot_embeddings_2d(*args))
    described = student_figure(student.plot_embeddings_2d(*args), "plot_embeddings_2d")
    pictures.keep("embeddings_2d", student=described["png"], reference=expected["png"])
    axes, expected_axes = _by_position(described), _by_position(expected)
    assert len(axes) == 2, (
        _("two axes (plus optional colour bars) are expected, got {got}").format(got=len(axes)))
    for ax, expected_ax, split in zip(axes, expected_axes, ("train", "test"), strict=True):
        _compare(ax, expected_ax, split)
