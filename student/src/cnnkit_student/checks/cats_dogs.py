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
    describe_callbacks,
    describe_figure,
    describe_history,
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
     "plot_training_curves", "training_callbacks", "train_with_callbacks",
     "evaluate_predictions", "plot_confusion_matrix", "misclassified_files"),
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


# -- training_callbacks --------------------------------------------------------------------
def _course_callbacks(monitor: str, stop: int, factor: float, slow: int, floor: float) -> list:
    """What the contract asks for, as ``describe_callbacks`` describes it (Keras's defaults
    for the settings the course leaves alone)."""
    return [
        {"kind": "EarlyStopping",
         "settings": {"monitor": monitor, "patience": stop, "min_delta": 0, "mode": "auto",
                      "baseline": None, "restore_best_weights": True, "start_from_epoch": 0}},
        {"kind": "ReduceLROnPlateau",
         "settings": {"monitor": monitor, "factor": factor, "patience": slow, "min_lr": floor,
                      "min_delta": 1e-4, "cooldown": 0, "mode": "auto"}},
    ]


def _check_callbacks(returned: Any, wanted: list, label: str) -> None:
    described = describe_callbacks(returned)
    expect(described["is_list"], _("a list of callbacks is expected, got a {kind}").format(
        kind=described["type"]))
    kinds = [item["kind"] or item["type"] for item in described["callbacks"]]
    expect(kinds == [item["kind"] for item in wanted],
           _("the callbacks should be {expected}, in this order; got {got}").format(
               expected=[item["kind"] for item in wanted], got=kinds))
    for item, target in zip(described["callbacks"], wanted, strict=True):
        for name, value in target["settings"].items():
            actual = item["settings"].get(name)
            same = (actual == value if not isinstance(value, float)
                    else isinstance(actual, (int, float)) and abs(actual - value) <= 1e-9)
            expect(same, _("with {arguments}, {kind}'s {name} is {got!r}, {expected!r} "
                           "expected").format(arguments=label, kind=target["kind"], name=name,
                                              got=actual, expected=value))


@rubric("training_callbacks", 1,
        "training_callbacks: with the default arguments, a list of an EarlyStopping and a "
        "ReduceLROnPlateau, in that order, with the course's settings (val_loss, patience 5 "
        "with the best weights restored; factor 0.2, patience 4, min_lr 1e-5).")
def callbacks_by_default(ctx: Context) -> None:
    _check_callbacks(ctx.student.training_callbacks(),
                     _course_callbacks("val_loss", 5, 0.2, 4, 1e-5),
                     _("the default arguments"))


@requirement("training_callbacks",
             'training_callbacks: monitor="loss", stop_patience=2, lr_factor=0.5, '
             "lr_patience=1 and min_lr=1e-3 reach the callbacks they belong to.")
def callbacks_from_arguments(ctx: Context) -> None:
    arguments = {"monitor": "loss", "stop_patience": 2, "lr_factor": 0.5, "lr_patience": 1,
                 "min_lr": 1e-3}
    _check_callbacks(ctx.student.training_callbacks(**arguments),
                     _course_callbacks("loss", 2, 0.5, 1, 1e-3),
                     ", ".join(f"{name}={value!r}" for name, value in arguments.items()))


# -- train_with_callbacks ------------------------------------------------------------------
def _flip_data(seed: int):
    """Batches of a linear rule for training; for validation the same rule with 40% of the
    labels flipped, so that the validation loss soon stops improving."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    rule = rng.normal(size=6)
    x, x_val = (rng.normal(size=(32, 6)).astype(np.float32) for _unused in range(2))
    y, y_val = (x @ rule > 0).astype(np.int64), (x_val @ rule > 0).astype(np.int64)
    flipped = rng.permutation(32)[:13]
    y_val[flipped] = 1 - y_val[flipped]
    return (tf.data.Dataset.from_tensor_slices((x, y)).batch(32),
            tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(32))


def _small_model():
    import keras

    from cnnkit_student.checks.common import compile_for_checks

    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input(shape=(6,)), keras.layers.Dense(2, activation="softmax")])
    return compile_for_checks(model, learning_rate=0.1)


@rubric("train_with_callbacks", 1,
        "train_with_callbacks: trains the model for the given epochs with the validation data "
        "and the callbacks given, and returns fit's History.")
def trains_with_callbacks(ctx: Context) -> None:
    import keras

    class EpochCounter(keras.callbacks.Callback):
        """Counts the epochs it is told about."""

        def __init__(self) -> None:
            super().__init__()
            self.seen = 0

        def on_epoch_end(self, epoch, logs=None) -> None:
            self.seen += 1

    model = _small_model()
    before = [np.array(w) for w in model.get_weights()]
    counter = EpochCounter()
    train, validation = _flip_data(21)
    history = ctx.student.train_with_callbacks(model, train, validation, 3, [counter],
                                               verbose=0)
    described = describe_history(history)
    expect(described["is_history"], _("the keras History returned by model.fit is expected"))
    for key in ("loss", "val_loss"):
        expect(len(described["history"].get(key, [])) == 3,
               _("the history should have 3 values of '{key}' (3 epochs asked, with validation "
                 "data)").format(key=key))
    expect(counter.seen == 3, _("a callback given was told about {seen} epochs, not 3: pass "
                                "the callbacks on to fit").format(seen=counter.seen))
    expect(any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights(),
                                                        strict=True)),
           _("the model given was not trained (its weights did not change): fit that model"))


@requirement("train_with_callbacks",
             "train_with_callbacks: an EarlyStopping given ends the training before the epochs "
             "asked and leaves the model with its best epoch's weights.")
def stops_early(ctx: Context) -> None:
    import keras

    model = _small_model()
    train, validation = _flip_data(21)
    halt = keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True)
    history = ctx.student.train_with_callbacks(model, train, validation, 30, [halt],
                                               verbose=0)
    losses = describe_history(history)["history"].get("val_loss", np.array([]))
    expect(0 < len(losses) < 30, _("the training ran {epochs} of the 30 epochs asked; the "
                                   "EarlyStopping given should have ended it sooner").format(
        epochs=len(losses)))
    kept = float(model.evaluate(validation, verbose=0, return_dict=True)["loss"])
    expect(abs(kept - float(np.min(losses))) <= 1e-4,
           _("after the early stop the model's validation loss is {got:.4f}, not the best "
             "epoch's {best:.4f}: the best weights were not restored").format(
               got=kept, best=float(np.min(losses))))


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
