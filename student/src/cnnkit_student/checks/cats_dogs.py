"""Public checks of assignment 02: image generators and a CNN on cats vs dogs.

The image folders are written here from fixed seeds (random-noise PNG files of varied sizes);
the other inputs are small literals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from cnnkit_student.checks.common import write_noise_images
from cnnkit_student.describe import (
    describe_figure,
    describe_model,
    first_difference,
    image_of,
    plot_axes,
    same_image,
    says,
)
from cnnkit_student.framework import Assignment, Context, expect, expect_value_error
from cnnkit_student.i18n import _

ASSIGNMENT = Assignment(
    "02_cats_dogs", "cats_dogs.ipynb",
    ("count_images_per_class", "get_generators", "build_mlp", "build_cnn",
     "plot_training_curves", "evaluate_predictions", "plot_confusion_matrix",
     "misclassified_files"),
)
rubric, requirement = ASSIGNMENT.rubric, ASSIGNMENT.requirement

IMG_SIZE = (24, 32)  # (height, width): not square, so a swapped size shows
SPLITS = ("train", "validation", "test")
# The public image tree: split -> (cat numbers, dog numbers).
LAYOUT = {"train": ([1, 2, 3, 10, 12, 21], [5, 6, 14, 15, 33, 34]),
          "validation": ([50, 51, 150], [52, 53, 151]),
          "test": ([3, 4, 30, 300], [5, 50, 500, 501])}
HISTORY = {"loss": [0.69, 0.61, 0.55], "accuracy": [0.52, 0.66, 0.71],
           "val_loss": [0.68, 0.64, 0.63], "val_accuracy": [0.55, 0.62, 0.64]}
SMALL = (np.array([0, 0, 1, 1, 1, 0]), np.array([0.1, 0.7, 0.8, 0.4, 0.9, 0.2]))
AT_THRESHOLD = (np.array([0, 1, 1, 0, 1]), np.array([[0.5], [0.9], [0.5], [0.2], [0.7]]))
OTHER_MLP, OTHER_CNN = (12, 20, 3), ((56, 72, 3), 0.25)


def _split_word(split: str) -> str:
    """A split's name in the language in use (the folder names stay as they are)."""
    return {"train": _("train"), "validation": _("validation"), "test": _("test")}[split]


def _tree(folder: Path) -> dict[str, str]:
    rng = np.random.default_rng(404)
    for split, numbers in LAYOUT.items():
        for animal, values in zip(("cats", "dogs"), numbers, strict=True):
            write_noise_images(folder / split / animal,
                               [f"{animal[:-1]}.{n}.png" for n in values], rng)
    return {split: str(folder / split) for split in SPLITS}


def _generators(ctx: Context, tree: dict[str, str], **kwargs: Any) -> list:
    result = ctx.student.get_generators(tree["train"], tree["validation"], tree["test"],
                                        IMG_SIZE, **kwargs)
    expect(isinstance(result, (tuple, list)) and len(result) == 3,
           _("get_generators must return three generators: (train, validation, test)"))
    for split, generator in zip(SPLITS, result, strict=True):
        expect(all(hasattr(generator, a) for a in ("class_indices", "filenames", "batch_size")),
               _("the {split} generator is not what flow_from_directory returns").format(
                   split=_split_word(split)))
    return list(result)


# -- count_images_per_class ----------------------------------------------------------------
@rubric("count_images_per_class", 1,
        "count_images_per_class: the number of images in each class folder of a split.")
def counts_of_a_split(ctx: Context) -> None:
    tree = _tree(ctx.scratch)
    counts = ctx.student.count_images_per_class(tree["train"])
    expect(isinstance(counts, dict), _("a dict is expected, got {got}").format(
        got=type(counts).__name__))
    expect(counts == {"cats": 6, "dogs": 6}, _("a training folder with 6 cat and 6 dog images "
                                              "should give {{'cats': 6, 'dogs': 6}}, got {got}"
                                              ).format(got=counts))


@requirement("count_images_per_class",
             "count_images_per_class: counts image files of any listed format and letter case, "
             "ignores other files, keeps empty class folders, sorted by class.")
def counts_only_images(ctx: Context) -> None:
    from PIL import Image

    root = ctx.scratch
    for folder in ("owls", "ants", "bees"):
        (root / folder).mkdir()
    pixels = np.zeros((8, 8, 3), dtype=np.uint8)
    for name, kind in (("a.PNG", "PNG"), ("b.jpeg", "JPEG"), ("c.Tif", "TIFF"),
                       ("d.ppm", "PPM")):
        Image.fromarray(pixels).save(root / "owls" / name, format=kind)
    (root / "owls" / "readme.md").write_text("not an image\n", encoding="utf-8")
    Image.fromarray(pixels).save(root / "ants" / "e.jpg", format="JPEG")
    (root / "notes.txt").write_text("a file beside the class folders\n", encoding="utf-8")
    counts = ctx.student.count_images_per_class(str(root))
    expect(isinstance(counts, dict), _("a dict is expected, got {got}").format(
        got=type(counts).__name__))
    expect(counts == {"ants": 1, "bees": 0, "owls": 4},
           _("expected {{'ants': 1, 'bees': 0, 'owls': 4}} (.PNG, .jpeg, .Tif and .ppm count, "
             "readme.md does not, the empty folder counts 0), got {got}").format(got=counts))
    expect(list(counts) == sorted(counts), _("the classes should come in sorted order"))


# -- get_generators ------------------------------------------------------------------------
@rubric("get_generators", 2,
        'get_generators: three generators of float32 RGB batches of the asked size and batch '
        'size, binary labels, classes numbered in folder order, pixels in [0, 1] ("rescaling").')
def generators_rescaled(ctx: Context) -> None:
    for split, generator in zip(SPLITS, _generators(ctx, _tree(ctx.scratch),
                                                    preprocessing_mode="rescaling",
                                                    batch_size=4), strict=True):
        expect(dict(generator.class_indices) == {"cats": 0, "dogs": 1},
               _("{split}: class_indices should be {{'cats': 0, 'dogs': 1}}, got {got}").format(
                   split=_split_word(split), got=dict(generator.class_indices)))
        images, labels = (np.asarray(v) for v in generator[0][:2])
        expect(images.shape == (4, *IMG_SIZE, 3),
               _("{split}: a batch of shape (4, 24, 32, 3) is expected for img_size=(24, 32) "
                 "and batch_size=4, got {got}").format(split=_split_word(split),
                                                       got=images.shape))
        expect(images.dtype == np.float32, _("{split}: float32 images expected, got {got}"
                                             ).format(split=_split_word(split),
                                                      got=images.dtype))
        expect(labels.shape == (4,) and set(np.unique(labels)) <= {0.0, 1.0},
               _("{split}: one binary label (0 or 1) per image is expected "
                 "(class_mode='binary')").format(split=_split_word(split)))
        expect(images.min() >= 0.0 and images.max() <= 1.0,
               _("{split}: pixels should be rescaled into [0, 1], found values up to "
                 "{top:.1f}").format(split=_split_word(split), top=images.max()))


@requirement("get_generators",
             "get_generators: the test generator does not shuffle (batches follow its sorted "
             "file names); the training generator shuffles.")
def generators_order(ctx: Context) -> None:
    train, _validation, test = _generators(ctx, _tree(ctx.scratch),
                                           preprocessing_mode="rescaling", batch_size=3)
    names = sorted(f"{a}/{a[:-1]}.{n}.png" for a, numbers in
                   zip(("cats", "dogs"), LAYOUT["test"], strict=True) for n in numbers)
    expect(not getattr(test, "shuffle", True),
           _("the test generator must not shuffle (shuffle=False)"))
    expect([str(f).replace("\\", "/") for f in test.filenames] == names,
           _("the test generator's filenames should be the test folder's files, sorted"))
    expect(getattr(train, "shuffle", False), _("the training generator should shuffle"))


@requirement("get_generators",
             'get_generators: "augmenting" augments the training images only (validation and '
             "test are only rescaled), and an unknown mode raises ValueError.")
def generators_augmenting(ctx: Context) -> None:
    tree = _tree(ctx.scratch)
    train, validation, test = _generators(ctx, tree, preprocessing_mode="augmenting",
                                          augmentation_params={"rotation_range": 15,
                                                               "horizontal_flip": True},
                                          batch_size=4)
    maker = getattr(train, "image_data_generator", None)
    expect(maker is not None and getattr(maker, "rotation_range", 0) == 15
           and getattr(maker, "horizontal_flip", False),
           _("the training generator does not use the augmentation_params given"))
    expect(abs(float(getattr(maker, "rescale", 0) or 0) - 1 / 255) < 1e-9,
           _("the training generator should also rescale by 1/255"))
    for split, generator in (("validation", validation), ("test", test)):
        other = getattr(generator, "image_data_generator", None)
        expect(other is not None and not getattr(other, "rotation_range", 0)
               and not getattr(other, "horizontal_flip", False),
               _("the {split} generator must not be augmented").format(
                   split=_split_word(split)))
        expect(abs(float(getattr(other, "rescale", 0) or 0) - 1 / 255) < 1e-9,
               _("the {split} generator should rescale by 1/255").format(
                   split=_split_word(split)))
    expect_value_error(lambda: ctx.student.get_generators(
        tree["train"], tree["validation"], tree["test"], IMG_SIZE,
        preprocessing_mode="sharpening"), _("for the mode 'sharpening'"))


# -- build_mlp / build_cnn ------------------------------------------------------------------
def _difference(ctx: Context, function: str, expected: dict, *args: Any) -> str | None:
    import keras

    model = getattr(ctx.student, function)(*args)
    if not isinstance(model, keras.Model):
        return _("a keras.Model is expected, got {got}").format(got=type(model).__name__)
    return first_difference(describe_model(model), expected)


@rubric("build_mlp", 2,
        "build_mlp: layers, output shapes, parameters and settings match the course's MLP for "
        "16x16 RGB images.")
def mlp_architecture(ctx: Context) -> None:
    problem = _difference(ctx, "build_mlp", ctx.expected["build_mlp"], (16, 16, 3))
    expect(problem is None, problem)


@requirement("build_mlp", "build_mlp: the same MLP for another image size (12x20 RGB).")
def mlp_input_shape(ctx: Context) -> None:
    problem = _difference(ctx, "build_mlp", ctx.expected["build_mlp_other"], OTHER_MLP)
    expect(problem is None, _("{problem} (use the input_shape argument)").format(
        problem=problem))


@rubric("build_cnn", 3,
        "build_cnn: layers, output shapes, parameters and settings match the course's "
        "four-block CNN for 150x150 RGB images.")
def cnn_architecture(ctx: Context) -> None:
    problem = _difference(ctx, "build_cnn", ctx.expected["build_cnn"], (150, 150, 3))
    expect(problem is None, problem)


@requirement("build_cnn",
             "build_cnn: the same CNN for another image size and dropout rate (56x72, 0.25).")
def cnn_arguments(ctx: Context) -> None:
    problem = _difference(ctx, "build_cnn", ctx.expected["build_cnn_other"], *OTHER_CNN)
    expect(problem is None, _("{problem} (use the input_shape and dropout_rate arguments, not "
                              "fixed numbers)").format(problem=problem))


# -- plot_training_curves --------------------------------------------------------------------
def _history(values: dict):
    import keras

    history = keras.callbacks.History()
    history.history = {k: list(v) for k, v in values.items()}
    history.epoch = list(range(len(values["loss"])))
    return history


def _curves(ctx: Context) -> list[dict]:
    from matplotlib.figure import Figure

    figure = ctx.student.plot_training_curves(_history(HISTORY))
    expect(isinstance(figure, Figure),
           _("plot_training_curves must return a matplotlib Figure"))
    axes = plot_axes(describe_figure(figure))
    expect(len(axes) == 2, _("two axes (loss, accuracy) are expected, got {got}").format(
        got=len(axes)))
    return axes


@rubric("plot_training_curves", 1,
        "plot_training_curves: two axes, loss on the left and accuracy on the right, each with "
        "the training and validation values of the history.")
def curves_values(ctx: Context) -> None:
    for ax, metric in zip(_curves(ctx), ("loss", "accuracy"), strict=True):
        where = _("for a 3-epoch history, the {metric} axes").format(metric=metric)
        side = _("left") if metric == "loss" else _("right")
        lines = [np.asarray(line["y"]) for line in ax["lines"]]
        expect(len(lines) == 2, _("{where} (the {side} one) should hold two lines, training and "
                                  "validation; it holds {count}").format(
            where=where, side=side, count=len(lines)))
        for key, name in ((metric, _("training")), (f"val_{metric}", _("validation"))):
            values = np.asarray(HISTORY[key])
            expect(any(line.shape == values.shape and np.allclose(line, values)
                       for line in lines),
                   _("{where}: no line carries the {name} {metric} of the history, one point "
                     "per epoch").format(where=where, name=name, metric=metric))


@requirement("plot_training_curves",
             'plot_training_curves: titles that contain "loss" / "accuracy", and a legend per '
             "axes with one entry per line.")
def curves_titles(ctx: Context) -> None:
    for ax, metric in zip(_curves(ctx), ("loss", "accuracy"), strict=True):
        expect(says(ax["title"], metric),
               _("the {metric} axes should have a title that says {metric!r}, got {title!r}"
                 ).format(metric=metric, title=ax["title"]))
        expect(ax["legend"] is not None and len([t for t in ax["legend"] if t]) == 2,
               _("the {metric} axes should have a legend with one entry per line").format(
                   metric=metric))


# -- evaluate_predictions ------------------------------------------------------------------
def _check_report(report: Any, expected: dict, label: str) -> None:
    expect(isinstance(report, dict), _("for {label}: a dict is expected").format(label=label))
    for key in ("accuracy", "f1_macro", "confusion_matrix", "predictions"):
        expect(key in report, _("for {label}: the dict has no {key!r}").format(label=label,
                                                                              key=key))
    for key in ("accuracy", "f1_macro"):
        value = report[key]
        expect(np.isscalar(value) and np.isfinite(value),
               _("for {label}: {key} must be a finite number, got {got!r}").format(
                   label=label, key=key, got=value))
        expect(abs(float(value) - float(expected[key])) < 1e-9,
               _("for {label}: {key} is wrong").format(label=label, key=key))
    matrix = np.asarray(report["confusion_matrix"])
    expect(matrix.shape == (2, 2) and matrix.dtype.kind in "iu",
           _("for {label}: the confusion matrix should be a 2x2 integer array, got shape "
             "{shape} and dtype {dtype}").format(label=label, shape=matrix.shape,
                                                 dtype=matrix.dtype))
    expect(np.array_equal(matrix, expected["confusion_matrix"]),
           _("for {label}: the confusion matrix is wrong (rows true label, columns predicted)"
             ).format(label=label))
    predictions = np.asarray(report["predictions"])
    expect(predictions.shape == expected["predictions"].shape,
           _("for {label}: one predicted label per example is expected, shape {expected}"
             ).format(label=label, expected=expected["predictions"].shape))
    expect(np.array_equal(predictions, expected["predictions"]),
           _("for {label}: the predicted labels are wrong (label 1 when the probability is "
             "above the threshold)").format(label=label))


@rubric("evaluate_predictions", 1,
        "evaluate_predictions: accuracy, macro F1, confusion matrix and labels at 0.5.")
def evaluate_small(ctx: Context) -> None:
    _check_report(ctx.student.evaluate_predictions(*SMALL), ctx.expected["evaluate_small"],
                  _("a 6-example case"))


@requirement("evaluate_predictions",
             "evaluate_predictions: probabilities of shape (n, 1); exactly the threshold gives "
             "label 0.")
def evaluate_threshold(ctx: Context) -> None:
    _check_report(ctx.student.evaluate_predictions(*AT_THRESHOLD),
                  ctx.expected["evaluate_threshold"], _("5 examples, (n, 1), two at 0.5"))


@requirement("evaluate_predictions",
             "evaluate_predictions: a class never predicted gets F1 0 (no NaN), and the matrix "
             "keeps both classes.")
def evaluate_one_class(ctx: Context) -> None:
    _check_report(ctx.student.evaluate_predictions(np.array([0, 1, 1, 0]), np.full(4, 0.8)),
                  ctx.expected["evaluate_one_class"], _("a network that always says 1"))


@requirement("evaluate_predictions",
             "evaluate_predictions: labels and probabilities of different lengths raise "
             "ValueError.")
def evaluate_lengths(ctx: Context) -> None:
    expect_value_error(lambda: ctx.student.evaluate_predictions(np.array([0, 1, 0, 1]),
                                                                np.array([0.3, 0.6, 0.1])),
                       _("for 4 labels and 3 probabilities"))


# -- plot_confusion_matrix -----------------------------------------------------------------
def _matrix_axes(ctx: Context, matrix: np.ndarray, names: list[str]) -> dict:
    from matplotlib.figure import Figure

    figure = ctx.student.plot_confusion_matrix(matrix, names)
    expect(isinstance(figure, Figure),
           _("plot_confusion_matrix must return a matplotlib Figure"))
    axes = plot_axes(describe_figure(figure))
    expect(len(axes) == 1, _("one axes (plus an optional colour bar) is expected, got {got}"
                             ).format(got=len(axes)))
    ax = axes[0]
    expect(same_image(image_of(ax), matrix), _("the axes does not show the matrix"))
    expect(says(ax["xlabel"], "predicted"),
           _("the x axis should be labelled as the predicted class"))
    expect(says(ax["ylabel"], "true"),
           _("the y axis should be labelled as the true class"))
    return ax


@rubric("plot_confusion_matrix", 1,
        "plot_confusion_matrix: one image of the matrix, x axis predicted, y axis true.")
def matrix_figure(ctx: Context) -> None:
    _matrix_axes(ctx, np.array([[40, 10], [5, 45]]), ["cats", "dogs"])


@requirement("plot_confusion_matrix",
             "plot_confusion_matrix: every cell is annotated with its count.")
def matrix_counts(ctx: Context) -> None:
    matrix = np.array([[31, 4], [12, 0]])
    ax = _matrix_axes(ctx, matrix, ["cats", "dogs"])
    texts = [t.strip() for t in ax["texts"]]
    missing = [str(count) for count in matrix.ravel() if str(count) not in texts]
    expect(not missing, _("each cell should be annotated with its count (ax.text); missing: "
                          "{missing}").format(missing=", ".join(missing)))


# -- misclassified_files -------------------------------------------------------------------
NAMES = ["cats/cat.1.jpg", "cats/cat.2.jpg", "dogs/dog.1.jpg", "dogs/dog.2.jpg"]


def _check_files(result: Any, expected: tuple, label: str) -> None:
    expect(isinstance(result, (tuple, list)) and len(result) == 2,
           _("for {label}: a pair (false_positives, false_negatives) is expected").format(
               label=label))
    for got, wanted, name in zip(result, expected, (_("false positives"), _("false negatives")),
                                 strict=True):
        got = [str(v) for v in got] if isinstance(got, (list, tuple, np.ndarray)) else got
        expect(got == list(wanted),
               _("for {label}: the {name} are wrong (a false positive is a true 0 predicted 1, "
                 "a false negative a true 1 predicted 0; keep the order of filenames)").format(
                   label=label, name=name))


@rubric("misclassified_files", 1,
        "misclassified_files: names of the false positives and false negatives, in order.")
def files_small(ctx: Context) -> None:
    result = ctx.student.misclassified_files(NAMES, np.array([0, 0, 1, 1]),
                                             np.array([0.9, 0.1, 0.3, 0.6]))
    _check_files(result, (["cats/cat.1.jpg"], ["dogs/dog.1.jpg"]), _("four files"))


@requirement("misclassified_files",
             "misclassified_files: probabilities of shape (n, 1) and another threshold.")
def files_threshold(ctx: Context) -> None:
    y_prob = np.array([[0.65], [0.2], [0.55], [0.7]])
    result = ctx.student.misclassified_files(NAMES, np.array([0, 0, 1, 1]), y_prob,
                                             threshold=0.6)
    _check_files(result, ctx.expected["files_threshold"],
                 _("(n, 1) probabilities, threshold 0.6"))


# -- frozen values -------------------------------------------------------------------------
def freeze(reference: Any, sources: Any) -> dict[str, Any]:
    """The expected values of these checks, computed by the reference at release time.

    Parameters
    ----------
    reference : module
        The reference solution's functions (in the instructor's process only).
    sources : object
        Unused here: every input is made in this module.

    Returns
    -------
    dict
        Plain data, written into this package.
    """
    del sources
    y_prob = np.array([[0.65], [0.2], [0.55], [0.7]])
    return {
        "build_mlp": describe_model(reference.build_mlp((16, 16, 3))),
        "build_mlp_other": describe_model(reference.build_mlp(OTHER_MLP)),
        "build_cnn": describe_model(reference.build_cnn((150, 150, 3))),
        "build_cnn_other": describe_model(reference.build_cnn(*OTHER_CNN)),
        "evaluate_small": reference.evaluate_predictions(*SMALL),
        "evaluate_threshold": reference.evaluate_predictions(*AT_THRESHOLD),
        "evaluate_one_class": reference.evaluate_predictions(np.array([0, 1, 1, 0]),
                                                             np.full(4, 0.8)),
        "files_threshold": tuple(reference.misclassified_files(
            NAMES, np.array([0, 0, 1, 1]), y_prob, threshold=0.6)),
    }
