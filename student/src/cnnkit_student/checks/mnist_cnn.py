"""Public checks of assignment 01: a CNN on MNIST.

The digits are the five first training digits (shipped in this package's data); the other
inputs are small literals or arrays made here from fixed seeds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnkit_student.describe import (
    describe_figure,
    describe_history,
    describe_model,
    first_difference,
    has_ticks,
    image_of,
    integers_in,
    plot_axes,
    same_image,
    says,
)
from cnnkit_student.framework import Assignment, Context, expect, expect_value_error
from cnnkit_student.i18n import _

ASSIGNMENT = Assignment(
    "01_mnist_cnn", "mnist_cnn.ipynb",
    ("preprocess_images", "build_cnn", "compile_model", "train_model", "predict_labels",
     "find_misclassified", "confusion_matrix_without_diagonal", "plot_misclassified",
     "plot_confusion_matrix"),
)
rubric, requirement = ASSIGNMENT.rubric, ASSIGNMENT.requirement

OTHER_SHAPE, OTHER_CLASSES = (36, 36, 3), 4  # a public second architecture case
# Plot layout case: 7 errors shown 3 to a row, at most 5 of them.
LAYOUT_TRUE = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 0])
LAYOUT_PRED = np.array([1, 0, 0, 0, 5, 0, 0, 0, 0, 0])
LAYOUT_ARGS = {"per_row": 3, "max_images": 5}
ABSENT = (np.array([0, 1, 2, 2, 1]), np.array([1, 1, 0, 2, 2]), 5)  # classes 3, 4 never occur


def _model(value: Any, what: str) -> dict:
    import keras

    expect(isinstance(value, keras.Model), _("{what}: a keras.Model is expected, got {got}"
                                             ).format(what=what, got=type(value).__name__))
    return describe_model(value)


def _figure(value: Any, function: str) -> dict:
    from matplotlib.figure import Figure

    expect(isinstance(value, Figure), _("{function} must return a matplotlib Figure, got {got}"
                                        ).format(function=function, got=type(value).__name__))
    return describe_figure(value)


def _tiny_classifier(seed: int = 0):
    import keras

    keras.utils.set_random_seed(int(seed))
    model = keras.Sequential([keras.Input(shape=(28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    return model


def _noise_digits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random float images in [0, 1] and random labels: enough to see a fit run."""
    rng = np.random.default_rng(seed)
    return (rng.random((n, 28, 28, 1), dtype=np.float32),
            rng.integers(0, 10, size=n).astype(np.int64))


# -- preprocess_images ---------------------------------------------------------------------
@rubric("preprocess_images", 1,
        "preprocess_images: returns float32 images of shape (n, 28, 28, 1).")
def preprocess_shape(ctx: Context) -> None:
    out = ctx.student.preprocess_images(ctx.expected["public_digits"])
    expect(isinstance(out, np.ndarray), _("an ndarray is expected, got {got}").format(
        got=type(out).__name__))
    expect(out.shape == (5, 28, 28, 1), _("shape (5, 28, 28, 1) is expected, got {got}").format(
        got=out.shape))
    expect(out.dtype == np.float32, _("dtype float32 is expected (Keras's default), got {got}"
                                      ).format(got=out.dtype))


@requirement("preprocess_images",
             "preprocess_images: pixel values become value / 255, in [0, 1].")
def preprocess_values(ctx: Context) -> None:
    out = np.asarray(ctx.student.preprocess_images(ctx.expected["public_digits"]))
    expected = ctx.expected["preprocess_values"]
    expect(out.shape == expected.shape, _("shape {expected} is expected, got {got}").format(
        expected=expected.shape, got=out.shape))
    expect(np.allclose(out, expected, atol=1e-6),
           _("values differ from pixel / 255 (are they scaled to [0, 1]?)"))


@requirement("preprocess_images",
             "preprocess_images: images that already have a channel axis (n, 28, 28, 1) keep "
             "one channel axis.")
def preprocess_channel_axis(ctx: Context) -> None:
    digits = ctx.expected["public_digits"][:, :, :, None]
    out = np.asarray(ctx.student.preprocess_images(digits))
    expect(out.shape == (5, 28, 28, 1), _("shape (5, 28, 28, 1) is expected for input "
                                          "(5, 28, 28, 1), got {got}").format(got=out.shape))
    expect(np.allclose(out, ctx.expected["preprocess_values"], atol=1e-6),
           _("values differ from pixel / 255"))


# -- build_cnn -----------------------------------------------------------------------------
@rubric("build_cnn", 1,
        "build_cnn: returns a built keras.Model for (28, 28, 1) inputs and 10 classes.")
def build_cnn_is_a_model(ctx: Context) -> None:
    described = _model(ctx.student.build_cnn((28, 28, 1), 10), "build_cnn")
    expect(described["built"],
           _("the model is not built: start it with keras.Input(input_shape)"))
    expect(described["input_shape"] == [None, 28, 28, 1],
           _("the model's input shape should be (None, 28, 28, 1), got {got}").format(
               got=described["input_shape"]))


@rubric("build_cnn", 3,
        "build_cnn: layers, output shapes, parameters and settings match the course's CNN.")
def build_cnn_architecture(ctx: Context) -> None:
    described = _model(ctx.student.build_cnn((28, 28, 1), 10), "build_cnn")
    problem = first_difference(described, ctx.expected["build_cnn"])
    expect(problem is None, problem)


@requirement("build_cnn",
             "build_cnn: the same architecture for another input shape and number of classes "
             "((36, 36, 3), 4 classes).")
def build_cnn_arguments(ctx: Context) -> None:
    described = _model(ctx.student.build_cnn(OTHER_SHAPE, OTHER_CLASSES), "build_cnn")
    problem = first_difference(described, ctx.expected["build_cnn_other"])
    expect(problem is None, _("{problem} (use the input_shape and num_classes arguments, not "
                              "fixed numbers)").format(problem=problem))


# -- compile_model -------------------------------------------------------------------------
@rubric("compile_model", 1,
        "compile_model: Adam with the given learning rate, sparse categorical cross-entropy "
        "and the accuracy metric; returns the model.")
def compile_model_settings(ctx: Context) -> None:
    import keras

    model = _tiny_classifier()
    returned = ctx.student.compile_model(model, learning_rate=0.005)
    expect(returned is model, _("compile_model must return the model it was given"))
    expect(getattr(model, "compiled", False), _("the model was not compiled"))
    optimizer = type(model.optimizer).__name__
    expect(optimizer == "Adam", _("Adam is expected, got {got}").format(got=optimizer))
    rate = float(np.asarray(model.optimizer.learning_rate))
    expect(abs(rate - 0.005) < 1e-7, _("the optimizer does not use the learning_rate argument"))
    loss = model.loss
    name = getattr(loss, "name", None) if isinstance(loss, keras.losses.Loss) else loss
    name = getattr(name, "__name__", str(name))
    expect("sparse_categorical_crossentropy" in name,
           _("sparse categorical cross-entropy is expected (integer labels), got {got}").format(
               got=name))
    metrics = (model.get_compile_config() or {}).get("metrics") or []
    metrics = metrics if isinstance(metrics, list) else [metrics]
    expect(any("acc" in str(getattr(m, "__name__", m)) for m in metrics),
           _("the accuracy metric is missing"))


# -- train_model ---------------------------------------------------------------------------
def _train(ctx: Context, seed: int) -> dict:
    from cnnkit_student.checks.common import compile_for_checks

    x, y = _noise_digits(64, 5)
    x_val, y_val = _noise_digits(16, 6)
    model = compile_for_checks(_tiny_classifier())
    history = ctx.student.train_model(model, x, y, x_val, y_val, epochs=2, batch_size=16,
                                      seed=seed)
    described = describe_history(history)
    expect(described["is_history"], _("the keras History returned by model.fit is expected"))
    return described["history"]


@requirement("train_model",
             "train_model: returns the History of model.fit with loss, accuracy, val_loss and "
             "val_accuracy, one value per epoch.")
def train_model_history(ctx: Context) -> None:
    values = _train(ctx, seed=1)
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        expect(key in values, _("the history has no '{key}' (was validation data passed to "
                                "fit?)").format(key=key))
        expect(len(values[key]) == 2, _("'{key}' should have one value per epoch (2 asked)"
                                        ).format(key=key))


@requirement("train_model",
             "train_model: the same seed gives the same training, whatever ran before.")
def train_model_seeded(ctx: Context) -> None:
    import keras

    losses = []
    for unrelated in (123, 321):
        keras.utils.set_random_seed(unrelated)
        values = _train(ctx, seed=4)
        losses.append(values.get("loss"))
    expect(losses[0] is not None and np.array_equal(losses[0], losses[1]),
           _("two runs with the same seed gave different losses: seed Python, NumPy and "
             "TensorFlow with the seed argument (keras.utils.set_random_seed) before fitting"))


# -- predict_labels ------------------------------------------------------------------------
@requirement("predict_labels",
             "predict_labels: one integer label per image, the most probable class.")
def predict_labels_argmax(ctx: Context) -> None:
    model = _tiny_classifier(seed=3)
    images, _labels = _noise_digits(12, 8)
    labels = np.asarray(ctx.student.predict_labels(model, images))
    wanted = np.argmax(model.predict(images, verbose=0), axis=1)
    expect(labels.shape == wanted.shape, _("one label per image is expected: shape {expected}, "
                                           "got {got}").format(expected=wanted.shape,
                                                               got=labels.shape))
    expect(labels.dtype.kind in "iu", _("labels must be integers, got {got}").format(
        got=labels.dtype))
    expect(np.array_equal(labels, wanted), _("the labels are not the most probable classes"))


# -- find_misclassified --------------------------------------------------------------------
def _check_misclassified(result: Any, expected: tuple, label: str) -> None:
    expect(isinstance(result, tuple) and len(result) == 2,
           _("for {label}: a pair (indices, error_percentage) is expected").format(label=label))
    indices, percentage = result
    indices = np.asarray(indices)
    expect(indices.dtype.kind in "iu", _("for {label}: indices must be integers, got {got}"
                                         ).format(label=label, got=indices.dtype))
    expect(np.array_equal(indices, expected[0]),
           _("for {label}: the indices are not the positions where the labels differ, in "
             "order").format(label=label))
    expect(np.isscalar(percentage) and np.isfinite(percentage),
           _("for {label}: the error percentage must be a finite number, got {got!r}").format(
               label=label, got=percentage))
    expect(abs(float(percentage) - float(expected[1])) < 1e-9,
           _("for {label}: the error percentage is wrong (it is 100 * errors / examples)"
             ).format(label=label))


@rubric("find_misclassified", 1,
        "find_misclassified: positions where labels differ, and the error percentage.")
def find_misclassified_small(ctx: Context) -> None:
    result = ctx.student.find_misclassified(np.array([1, 2, 3, 4]), np.array([1, 0, 3, 0]))
    _check_misclassified(result, ctx.expected["find_misclassified_small"],
                         "y_true=[1,2,3,4], y_pred=[1,0,3,0]")


@requirement("find_misclassified",
             "find_misclassified: no examples give no indices and 0.0 percent (not NaN).")
def find_misclassified_empty(ctx: Context) -> None:
    empty = np.array([], dtype=np.int64)
    _check_misclassified(ctx.student.find_misclassified(empty, empty),
                         (empty, 0.0), _("empty labels"))


@requirement("find_misclassified",
             "find_misclassified: labels of different lengths raise ValueError.")
def find_misclassified_lengths(ctx: Context) -> None:
    expect_value_error(lambda: ctx.student.find_misclassified(np.array([0, 1, 2, 3]),
                                                              np.array([0, 1, 2])),
                       _("for labels of lengths 4 and 3"))


# -- confusion_matrix_without_diagonal -----------------------------------------------------
def _check_matrix(result: Any, expected: np.ndarray, label: str) -> None:
    matrix = np.asarray(result)
    expect(matrix.shape == expected.shape,
           _("for {label}: shape {expected} is expected, got {got}").format(
               label=label, expected=expected.shape, got=matrix.shape))
    expect(matrix.dtype.kind in "iu", _("for {label}: counts must be integers, got {got}"
                                        ).format(label=label, got=matrix.dtype))
    expect(np.all(np.diag(matrix) == 0), _("for {label}: the diagonal must be zero").format(
        label=label))
    expect(np.array_equal(matrix, expected),
           _("for {label}: the counts differ (rows are real classes, columns predicted "
             "classes)").format(label=label))


@rubric("confusion_matrix_without_diagonal", 1,
        "confusion_matrix_without_diagonal: counts real (rows) vs predicted (columns), "
        "diagonal 0.")
def confusion_small(ctx: Context) -> None:
    y_true = np.array([0, 0, 1, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 2, 2, 0, 0])
    matrix = ctx.student.confusion_matrix_without_diagonal(y_true, y_pred, num_classes=3)
    _check_matrix(matrix, ctx.expected["confusion_small"], _("a 3-class example"))


@requirement("confusion_matrix_without_diagonal",
             "confusion_matrix_without_diagonal: classes that never occur keep their row and "
             "column.")
def confusion_absent_classes(ctx: Context) -> None:
    y_true, y_pred, classes = ABSENT
    matrix = ctx.student.confusion_matrix_without_diagonal(y_true, y_pred, num_classes=classes)
    _check_matrix(matrix, ctx.expected["confusion_absent"], _("5 classes, 3 and 4 never seen"))


# -- plot_misclassified --------------------------------------------------------------------
def _normalised(array: Any) -> np.ndarray:
    array = np.asarray(array, dtype=np.float64).squeeze()
    span = array.max() - array.min()
    return (array - array.min()) / span if span else array * 0


def _check_digits(figure: dict, images, y_true, y_pred, indices, label: str) -> None:
    axes = plot_axes(figure)
    expect(len(axes) == len(indices), _("for {label}: {expected} axes (one per shown digit, no "
                                        "empty ones) are expected, got {got}").format(
        label=label, expected=len(indices), got=len(axes)))
    for position, (ax, index) in enumerate(zip(axes, indices, strict=True), start=1):
        numbers = integers_in(ax["title"])
        expect(numbers[:2] == [int(y_true[index]), int(y_pred[index])],
               _("for {label}: digit {position} should be titled with its real label, then its "
                 "predicted label; its title is {title!r}").format(
                   label=label, position=position, title=ax["title"]))
        shown = image_of(ax)
        expect(same_image(None if shown is None else _normalised(shown),
                          _normalised(images[index])),
               _("for {label}: digit {position} does not show the image at its index").format(
                   label=label, position=position))
        expect(not has_ticks(ax), _("for {label}: digit {position} still shows axis ticks"
                                    ).format(label=label, position=position))


@rubric("plot_misclassified", 1,
        "plot_misclassified: one axes per error, titled real then predicted label.")
def plot_misclassified_titles(ctx: Context) -> None:
    digits = ctx.expected["public_digits"]
    y_true, y_pred = np.array([5, 0, 4, 1, 9]), np.array([3, 0, 9, 7, 9])
    indices = np.array([0, 2, 3])
    figure = _figure(ctx.student.plot_misclassified(digits, y_true, y_pred, indices),
                     "plot_misclassified")
    _check_digits(figure, digits, y_true, y_pred, indices, _("three errors"))


def _layout_case(ctx: Context) -> tuple:
    digits = np.concatenate([ctx.expected["public_digits"]] * 2)
    indices = np.flatnonzero(LAYOUT_TRUE != LAYOUT_PRED)
    return digits, indices


@requirement("plot_misclassified",
             "plot_misclassified: shows the first max_images errors, per_row to a row, in "
             "order, and no empty axes.")
def plot_misclassified_layout(ctx: Context) -> None:
    digits, indices = _layout_case(ctx)
    figure = _figure(ctx.student.plot_misclassified(digits, LAYOUT_TRUE, LAYOUT_PRED, indices,
                                                    **LAYOUT_ARGS), "plot_misclassified")
    shown = indices[:LAYOUT_ARGS["max_images"]]
    _check_digits(figure, digits, LAYOUT_TRUE, LAYOUT_PRED, shown,
                  _("5 of 7 errors, 3 per row"))
    places = [[ax["grid"]["row"], ax["grid"]["col"]] if ax["grid"] else None
              for ax in plot_axes(figure)]
    expect(places == ctx.expected["plot_misclassified_places"],
           _("the digits are not laid out per_row to a row, left to right and top to bottom"))


@requirement("plot_misclassified",
             "plot_misclassified: with no errors to show, returns a figure without axes.")
def plot_misclassified_empty(ctx: Context) -> None:
    digits = ctx.expected["public_digits"]
    labels = np.zeros(5, dtype=np.int64)
    figure = _figure(ctx.student.plot_misclassified(digits, labels, labels,
                                                    np.array([], dtype=np.int64)),
                     "plot_misclassified")
    expect(len(plot_axes(figure)) == 0, _("no axes are expected when there is nothing to show, "
                                          "got {got}").format(got=len(plot_axes(figure))))


# -- plot_confusion_matrix -----------------------------------------------------------------
@requirement("plot_confusion_matrix",
             "plot_confusion_matrix: one image of the matrix, x axis predicted, y axis real.")
def plot_confusion_matrix_axes(ctx: Context) -> None:
    matrix = np.array([[0, 3, 1, 0], [2, 0, 4, 1], [0, 1, 0, 5], [3, 0, 2, 0]])
    figure = _figure(ctx.student.plot_confusion_matrix(matrix), "plot_confusion_matrix")
    axes = plot_axes(figure)
    expect(len(axes) == 1, _("one axes (plus an optional colour bar) is expected, got {got}"
                             ).format(got=len(axes)))
    expect(same_image(image_of(axes[0]), matrix),
           _("the axes does not show the matrix as an image"))
    expect(says(axes[0]["xlabel"], "predicted"),
           _("the x axis should be labelled as predicted classes"))
    expect(says(axes[0]["ylabel"], "true"),
           _("the y axis should be labelled as real classes"))


# -- frozen values -------------------------------------------------------------------------
def freeze(reference: Any, sources: Any) -> dict[str, Any]:
    """The expected values of these checks, computed by the reference at release time.

    Parameters
    ----------
    reference : module
        The reference solution's functions (in the instructor's process only).
    sources : object
        The course data the public inputs come from (``mnist_digits(n)``).

    Returns
    -------
    dict
        Plain data, written into this package.
    """
    import matplotlib.pyplot as plt

    digits = np.asarray(sources.mnist_digits(5), dtype=np.uint8)
    layout_digits = np.concatenate([digits] * 2)
    figure = reference.plot_misclassified(layout_digits, LAYOUT_TRUE, LAYOUT_PRED,
                                          np.flatnonzero(LAYOUT_TRUE != LAYOUT_PRED),
                                          **LAYOUT_ARGS)
    places = [[ax["grid"]["row"], ax["grid"]["col"]] if ax["grid"] else None
              for ax in plot_axes(describe_figure(figure))]
    plt.close("all")
    indices, percentage = reference.find_misclassified(np.array([1, 2, 3, 4]),
                                                       np.array([1, 0, 3, 0]))
    return {
        "public_digits": digits,
        "preprocess_values": np.asarray(reference.preprocess_images(digits)),
        "build_cnn": describe_model(reference.build_cnn((28, 28, 1), 10)),
        "build_cnn_other": describe_model(reference.build_cnn(OTHER_SHAPE, OTHER_CLASSES)),
        "find_misclassified_small": (np.asarray(indices), float(percentage)),
        "confusion_small": np.asarray(reference.confusion_matrix_without_diagonal(
            np.array([0, 0, 1, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 2, 0, 0]), 3)),
        "confusion_absent": np.asarray(reference.confusion_matrix_without_diagonal(*ABSENT)),
        "plot_misclassified_places": places,
    }

