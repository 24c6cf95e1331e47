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
)
from cnnkit_student.framework import Assignment, Context, expect, expect_value_error

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
           "get_generators must return three generators: (train, validation, test)")
    for split, generator in zip(SPLITS, result, strict=True):
        expect(all(hasattr(generator, a) for a in ("class_indices", "filenames", "batch_size")),
               f"the {split} generator is not what flow_from_directory returns")
    return list(result)


# -- count_images_per_class ----------------------------------------------------------------
@rubric("count_images_per_class", 1,
        "count_images_per_class: the number of images in each class folder of a split.")
def counts_of_a_split(ctx: Context) -> None:
    tree = _tree(ctx.scratch)
    counts = ctx.student.count_images_per_class(tree["train"])
    expect(isinstance(counts, dict), f"a dict is expected, got {type(counts).__name__}")
    expect(counts == {"cats": 6, "dogs": 6}, "a training folder with 6 cat and 6 dog images "
                                            f"should give {{'cats': 6, 'dogs': 6}}, got {counts}")


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
    expect(isinstance(counts, dict), f"a dict is expected, got {type(counts).__name__}")
    expect(counts == {"ants": 1, "bees": 0, "owls": 4},
           f"expected {{'ants': 1, 'bees': 0, 'owls': 4}} (.PNG, .jpeg, .Tif and .ppm count, "
           f"readme.md does not, the empty folder counts 0), got {counts}")
    expect(list(counts) == sorted(counts), "the classes should come in sorted order")


# -- get_generators ------------------------------------------------------------------------
@rubric("get_generators", 2,
        'get_generators: three generators of float32 RGB batches of the asked size and batch '
        'size, binary labels, classes numbered in folder order, pixels in [0, 1] ("rescaling").')
def generators_rescaled(ctx: Context) -> None:
    for split, generator in zip(SPLITS, _generators(ctx, _tree(ctx.scratch),
                                                    preprocessing_mode="rescaling",
                                                    batch_size=4), strict=True):
        expect(dict(generator.class_indices) == {"cats": 0, "dogs": 1},
               f"{split}: class_indices should be {{'cats': 0, 'dogs': 1}}, got "
               f"{dict(generator.class_indices)}")
        images, labels = (np.asarray(v) for v in generator[0][:2])
        expect(images.shape == (4, *IMG_SIZE, 3),
               f"{split}: a batch of shape (4, 24, 32, 3) is expected for img_size=(24, 32) and "
               f"batch_size=4, got {images.shape}")
        expect(images.dtype == np.float32, f"{split}: float32 images expected, got "
                                           f"{images.dtype}")
        expect(labels.shape == (4,) and set(np.unique(labels)) <= {0.0, 1.0},
               f"{split}: one binary label (0 or 1) per image is expected (class_mode='binary')")
        expect(images.min() >= 0.0 and images.max() <= 1.0,
               f"{split}: pixels should be rescaled into [0, 1], found values up to "
               f"{images.max():.1f}")


@requirement("get_generators",
             "get_generators: the test generator does not shuffle (batches follow its sorted "
             "file names); the training generator shuffles.")
def generators_order(ctx: Context) -> None:
    train, _, test = _generators(ctx, _tree(ctx.scratch), preprocessing_mode="rescaling",
                                 batch_size=3)
    names = sorted(f"{a}/{a[:-1]}.{n}.png" for a, numbers in
                   zip(("cats", "dogs"), LAYOUT["test"], strict=True) for n in numbers)
    expect(not getattr(test, "shuffle", True), "the test generator must not shuffle "
                                               "(shuffle=False)")
    expect([str(f).replace("\\", "/") for f in test.filenames] == names,
           "the test generator's filenames should be the test folder's files, sorted")
    expect(getattr(train, "shuffle", False), "the training generator should shuffle")


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
           "the training generator does not use the augmentation_params given")
    expect(abs(float(getattr(maker, "rescale", 0) or 0) - 1 / 255) < 1e-9,
           "the training generator should also rescale by 1/255")
    for split, generator in (("validation", validation), ("test", test)):
        other = getattr(generator, "image_data_generator", None)
        expect(other is not None and not getattr(other, "rotation_range", 0)
               and not getattr(other, "horizontal_flip", False),
               f"the {split} generator must not be augmented")
        expect(abs(float(getattr(other, "rescale", 0) or 0) - 1 / 255) < 1e-9,
               f"the {split} generator should rescale by 1/255")
    expect_value_error(lambda: ctx.student.get_generators(
        tree["train"], tree["validation"], tree["test"], IMG_SIZE,
        preprocessing_mode="sharpening"), "for the mode 'sharpening'")


# -- build_mlp / build_cnn ------------------------------------------------------------------
def _difference(ctx: Context, function: str, expected: dict, *args: Any) -> str | None:
    import keras

    model = getattr(ctx.student, function)(*args)
    if not isinstance(model, keras.Model):
        return f"a keras.Model is expected, got {type(model).__name__}"
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
    expect(problem is None, f"{problem} (use the input_shape argument)")


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
    expect(problem is None, f"{problem} (use the input_shape and dropout_rate arguments, not "
                            "fixed numbers)")


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
    expect(isinstance(figure, Figure), "plot_training_curves must return a matplotlib Figure")
    axes = plot_axes(describe_figure(figure))
    expect(len(axes) == 2, f"two axes (loss, accuracy) are expected, got {len(axes)}")
    return axes


@rubric("plot_training_curves", 1,
        "plot_training_curves: two axes, loss on the left and accuracy on the right, each with "
        "the training and validation values of the history.")
def curves_values(ctx: Context) -> None:
    for ax, metric in zip(_curves(ctx), ("loss", "accuracy"), strict=True):
        where = f"for a 3-epoch history, the {metric} axes"
        lines = [np.asarray(line["y"]) for line in ax["lines"]]
        expect(len(lines) == 2, f"{where} (the {'left' if metric == 'loss' else 'right'} one) "
                                f"should hold two lines, training and validation; it holds "
                                f"{len(lines)}")
        for key, name in ((metric, "training"), (f"val_{metric}", "validation")):
            values = np.asarray(HISTORY[key])
            expect(any(line.shape == values.shape and np.allclose(line, values)
                       for line in lines),
                   f"{where}: no line carries the {name} {metric} of the history, one point "
                   "per epoch")


@requirement("plot_training_curves",
             'plot_training_curves: titles that contain "loss" / "accuracy", and a legend per '
             "axes with one entry per line.")
def curves_titles(ctx: Context) -> None:
    for ax, metric in zip(_curves(ctx), ("loss", "accuracy"), strict=True):
        expect(metric in ax["title"].lower(),
               f"the {metric} axes should have a title that says {metric!r}, got {ax['title']!r}")
        expect(ax["legend"] is not None and len([t for t in ax["legend"] if t]) == 2,
               f"the {metric} axes should have a legend with one entry per line")


# -- evaluate_predictions ------------------------------------------------------------------
def _check_report(report: Any, expected: dict, label: str) -> None:
    expect(isinstance(report, dict), f"for {label}: a dict is expected")
    for key in ("accuracy", "f1_macro", "confusion_matrix", "predictions"):
        expect(key in report, f"for {label}: the dict has no {key!r}")
    for key in ("accuracy", "f1_macro"):
        value = report[key]
        expect(np.isscalar(value) and np.isfinite(value),
               f"for {label}: {key} must be a finite number, got {value!r}")
        expect(abs(float(value) - float(expected[key])) < 1e-9, f"for {label}: {key} is wrong")
    matrix = np.asarray(report["confusion_matrix"])
    expect(matrix.shape == (2, 2) and matrix.dtype.kind in "iu",
           f"for {label}: the confusion matrix should be a 2x2 integer array, got shape "
           f"{matrix.shape} and dtype {matrix.dtype}")
    expect(np.array_equal(matrix, expected["confusion_matrix"]),
           f"for {label}: the confusion matrix is wrong (rows true label, columns predicted)")
    predictions = np.asarray(report["predictions"])
    expect(predictions.shape == expected["predictions"].shape,
           f"for {label}: one predicted label per example is expected, shape "
           f"{expected['predictions'].shape}")
    expect(np.array_equal(predictions, expected["predictions"]),
           f"for {label}: the predicted labels are wrong (label 1 when the probability is above "
           "the threshold)")


@rubric("evaluate_predictions", 1,
        "evaluate_predictions: accuracy, macro F1, confusion matrix and labels at 0.5.")
def evaluate_small(ctx: Context) -> None:
    _check_report(ctx.student.evaluate_predictions(*SMALL), ctx.expected["evaluate_small"],
                  "a 6-example case")


@requirement("evaluate_predictions",
             "evaluate_predictions: probabilities of shape (n, 1); exactly the threshold gives "
             "label 0.")
def evaluate_threshold(ctx: Context) -> None:
    _check_report(ctx.student.evaluate_predictions(*AT_THRESHOLD),
                  ctx.expected["evaluate_threshold"], "5 examples, (n, 1), two at 0.5")


@requirement("evaluate_predictions",
             "evaluate_predictions: a class never predicted gets F1 0 (no NaN), and the matrix "
             "keeps both classes.")
def evaluate_one_class(ctx: Context) -> None:
    _check_report(ctx.student.evaluate_predictions(np.array([0, 1, 1, 0]), np.full(4, 0.8)),
                  ctx.expected["evaluate_one_class"], "a network that always says 1")


@requirement("evaluate_predictions",
             "evaluate_predictions: labels and probabilities of different lengths raise "
             "ValueError.")
def evaluate_lengths(ctx: Context) -> None:
    expect_value_error(lambda: ctx.student.evaluate_predictions(np.array([0, 1, 0, 1]),
                                                                np.array([0.3, 0.6, 0.1])),
                       "for 4 labels and 3 probabilities")


# -- plot_confusion_matrix -----------------------------------------------------------------
def _matrix_axes(ctx: Context, matrix: np.ndarray, names: list[str]) -> dict:
    from matplotlib.figure import Figure

    figure = ctx.student.plot_confusion_matrix(matrix, names)
    expect(isinstance(figure, Figure), "plot_confusion_matrix must return a matplotlib Figure")
    axes = plot_axes(describe_figure(figure))
    expect(len(axes) == 1, f"one axes (plus an optional colour bar) is expected, got "
                           f"{len(axes)}")
    ax = axes[0]
    expect(same_image(image_of(ax), matrix), "the axes does not show the matrix")
    expect("pred" in ax["xlabel"].lower(), "the x axis should be labelled as the predicted "
                                           "class")
    expect(any(w in ax["ylabel"].lower() for w in ("true", "real")),
           "the y axis should be labelled as the true class")
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
    expect(not missing, f"each cell should be annotated with its count (ax.text); missing: "
                        f"{', '.join(missing)}")


# -- misclassified_files -------------------------------------------------------------------
NAMES = ["cats/cat.1.jpg", "cats/cat.2.jpg", "dogs/dog.1.jpg", "dogs/dog.2.jpg"]


def _check_files(result: Any, expected: tuple, label: str) -> None:
    expect(isinstance(result, (tuple, list)) and len(result) == 2,
           f"for {label}: a pair (false_positives, false_negatives) is expected")
    for got, wanted, name in zip(result, expected, ("false positives", "false negatives"),
                                 strict=True):
        got = [str(v) for v in got] if isinstance(got, (list, tuple, np.ndarray)) else got
        expect(got == list(wanted),
               f"for {label}: the {name} are wrong (a false positive is a true 0 predicted 1, "
               "a false negative a true 1 predicted 0; keep the order of filenames)")


@rubric("misclassified_files", 1,
        "misclassified_files: names of the false positives and false negatives, in order.")
def files_small(ctx: Context) -> None:
    result = ctx.student.misclassified_files(NAMES, np.array([0, 0, 1, 1]),
                                             np.array([0.9, 0.1, 0.3, 0.6]))
    _check_files(result, (["cats/cat.1.jpg"], ["dogs/dog.1.jpg"]), "four files")


@requirement("misclassified_files",
             "misclassified_files: probabilities of shape (n, 1) and another threshold.")
def files_threshold(ctx: Context) -> None:
    y_prob = np.array([[0.65], [0.2], [0.55], [0.7]])
    result = ctx.student.misclassified_files(NAMES, np.array([0, 0, 1, 1]), y_prob,
                                             threshold=0.6)
    _check_files(result, ctx.expected["files_threshold"], "(n, 1) probabilities, threshold 0.6")


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
