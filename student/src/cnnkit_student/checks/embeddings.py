"""Public checks of assignment 04: embeddings from a CNN and classical classifiers.

The inputs are made here from fixed seeds: toy clusters, a small seeded CNN, and a folder of
random-noise PNG files whose pixels tell which file an embedding came from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from cnnkit_student.checks.common import embedding_cnn, write_noise_images
from cnnkit_student.describe import describe_figure, plot_axes, says
from cnnkit_student.framework import Assignment, Context, expect
from cnnkit_student.i18n import _

ASSIGNMENT = Assignment(
    "04_embeddings", "embeddings.ipynb",
    ("build_feature_extractor", "extract_embeddings", "make_embedding_classifier",
     "compare_classifiers", "plot_embeddings_2d", "misclassified_examples",
     "pretrained_extractor"),
)
rubric, requirement = ASSIGNMENT.rubric, ASSIGNMENT.requirement

CLASSIFIERS = {"SVC", "DecisionTreeClassifier", "RandomForestClassifier",
               "KNeighborsClassifier"}
STEPS = [("scaler", "StandardScaler"), ("pca", "PCA"), ("classifier", "SVC")]
TREE = {"ash": 6, "elm": 8, "oak": 5}  # class folder -> images; 19 is not a multiple of 4
SIDE = 6
BATCH = 4


def clusters(seed: int = 30) -> tuple[np.ndarray, ...]:
    """Three Gaussian clusters in 8 dimensions: 60 training and 30 test points."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3, size=(3, 8))
    y_train, y_test = np.arange(60) % 3, np.arange(30) % 3
    x_train = centres[y_train] + rng.normal(0, 1.5, size=(60, 8))
    x_test = centres[y_test] + rng.normal(0, 1.5, size=(30, 8))
    return x_train, y_train.astype(np.int64), x_test, y_test.astype(np.int64)


def _split_word(split: str) -> str:
    """A split's name in the language in use."""
    return {"train": _("train"), "test": _("test")}[split]


def _summary(model: Any, function: str) -> dict:
    import keras

    expect(isinstance(model, keras.Model), _("{function} must return a keras.Model, got {got}"
                                             ).format(function=function,
                                                      got=type(model).__name__))
    outputs = model.outputs if isinstance(model.outputs, list) else [model.outputs]
    history = getattr(outputs[0], "_keras_history", None)
    producer = getattr(history, "operation", None) if history is not None else None
    return {"inputs": [[None if d is None else int(d) for d in t.shape] for t in model.inputs],
            "outputs": [[None if d is None else int(d) for d in t.shape] for t in outputs],
            "output_layer": getattr(producer, "name", None)}


# -- build_feature_extractor ---------------------------------------------------------------
@rubric("build_feature_extractor", 1,
        "build_feature_extractor: without a layer, outputs the layer before the output layer.")
def extractor_default(ctx: Context) -> None:
    summary = _summary(ctx.student.build_feature_extractor(embedding_cnn((28, 28, 1), seed=9)),
                       "build_feature_extractor")
    expect(summary["outputs"] == [[None, 64]],
           _("the default extractor should output the 64-unit layer just before the 10-unit "
             "output layer; its output shapes are {got}").format(got=summary["outputs"]))
    expect(summary["output_layer"] == "embedding",
           _("the default extractor ends at layer {got!r}, not at the layer before the output"
             ).format(got=summary["output_layer"]))


@requirement("build_feature_extractor",
             "build_feature_extractor: a layer given by name or by (negative) index gives that "
             "layer's outputs, with the model's own weights.")
def extractor_layers(ctx: Context) -> None:
    model = embedding_cnn((28, 28, 1), seed=9)
    images = np.random.default_rng(21).random((4, 28, 28, 1), dtype=np.float32)
    for layer, label in (("conv_2", _("a layer given by name")),
                         (1, _("a layer given by index")),
                         (-4, _("a layer given by a negative index"))):
        extractor = ctx.student.build_feature_extractor(model, layer)
        summary = _summary(extractor, "build_feature_extractor")
        x = images
        index = layer if isinstance(layer, int) else [y.name for y in model.layers].index(layer)
        for current in model.layers[: index % len(model.layers) + 1]:
            x = current(x, training=False)
        wanted = np.asarray(x)
        expect(summary["inputs"] == [[None, 28, 28, 1]],
               _("for {label}: the extractor should take the model's own input").format(
                   label=label))
        features = np.asarray(extractor.predict(images, verbose=0))
        expect(features.shape == wanted.shape and np.allclose(features, wanted, atol=1e-5),
               _("for {label}: the extractor's outputs are not that layer's outputs (does it "
                 "reuse the layers of the model it was given?)").format(label=label))


# -- extract_embeddings --------------------------------------------------------------------
def _image_tree(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(77)
    pixels, labels = [], []
    for label, (name, count) in enumerate(sorted(TREE.items())):
        written = write_noise_images(folder / name, [f"{name}_{n:02d}.png" for n in range(count)],
                                     rng, size=(SIDE, SIDE), grey=True)
        pixels += [p.reshape(-1).astype(np.float64) for p in written]
        labels += [label] * count
    return np.stack(pixels), np.asarray(labels, dtype=np.int64)


def _embeddings(ctx: Context, shuffle: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    import keras
    from tensorflow.keras.preprocessing.image import ImageDataGenerator

    pixels, labels = _image_tree(ctx.scratch)
    iterator = ImageDataGenerator(rescale=1.0 / 255).flow_from_directory(
        str(ctx.scratch), target_size=(SIDE, SIDE), color_mode="grayscale",
        class_mode="sparse", batch_size=BATCH, shuffle=shuffle, seed=5)
    extractor = keras.Sequential([keras.Input(shape=(SIDE, SIDE, 1)), keras.layers.Flatten()])
    result = ctx.student.extract_embeddings(extractor, iterator)
    expect(isinstance(result, tuple) and len(result) == 2,
           _("a pair (embeddings, labels) is expected"))
    embeddings, returned = (np.asarray(v) for v in result)
    n, d = pixels.shape
    expect(embeddings.shape == (n, d),
           _("{n} images of {side}x{side} pixels through a flattening extractor should give "
             "embeddings of shape ({n}, {d}), got {got}").format(n=n, side=SIDE, d=d,
                                                                 got=embeddings.shape))
    expect(returned.shape == (n,), _("one label per image is expected: shape ({n},), got {got}"
                                     ).format(n=n, got=returned.shape))
    expect(returned.dtype.kind in "iu", _("labels must be integers, got {got}").format(
        got=returned.dtype))
    expect(embeddings.dtype == np.float32, _("embeddings must be float32, got {got}").format(
        got=embeddings.dtype))
    distances = np.abs(embeddings[:, None, :] * 255.0 - pixels[None, :, :]).max(axis=2)
    sources = np.where(distances.min(axis=1) < 0.5, distances.argmin(axis=1), -1)
    return sources, returned, labels


@rubric("extract_embeddings", 1,
        "extract_embeddings: float32 (n, d) embeddings and int labels (n,), for an iterator "
        "that does not shuffle.")
def embeddings_in_order(ctx: Context) -> None:
    sources, returned, labels = _embeddings(ctx, shuffle=False)
    expect(np.array_equal(sources, np.arange(len(labels))),
           _("every image should appear once, in the iterator's order"))
    expect(np.array_equal(returned, labels), _("the labels are not the images' class indices"))


@requirement("extract_embeddings",
             "extract_embeddings: with a shuffling iterator, every image appears once and each "
             "embedding sits beside its own label.")
def embeddings_shuffled(ctx: Context) -> None:
    sources, returned, labels = _embeddings(ctx, shuffle=True)
    expect(np.array_equal(np.sort(sources), np.arange(len(labels))),
           _("every image must appear exactly once: read one full pass of the iterator"))
    wrong = int(np.sum(returned != labels[sources]))
    expect(wrong == 0, _("{wrong} of {total} embeddings sit beside another image's label: take "
                         "the labels from the same batches as the images, not from "
                         "iterator.classes").format(wrong=wrong, total=len(labels)))


# -- make_embedding_classifier -------------------------------------------------------------
def _steps(pipeline: Any) -> list[tuple[str, Any]]:
    from sklearn.pipeline import Pipeline

    expect(isinstance(pipeline, Pipeline), _("a fitted sklearn.pipeline.Pipeline is expected, "
                                             "got {got}").format(got=type(pipeline).__name__))
    return list(pipeline.steps)


def _fitted(step: Any) -> bool:
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(step)
    except Exception:  # "passthrough", None, or an unfitted step
        return False
    return True


@rubric("make_embedding_classifier", 1,
        "make_embedding_classifier: a fitted Pipeline of StandardScaler, PCA and SVC, in that "
        "order, keeping n_components components.")
def classifier_pipeline(ctx: Context) -> None:
    x_train, y_train, _x_test, _y_test = clusters()
    steps = _steps(ctx.student.make_embedding_classifier(x_train, y_train, n_components=5))
    names = [(name, type(step).__name__) for name, step in steps]
    expect(names == STEPS, _("the steps should be {expected}, got {got}").format(
        expected=STEPS, got=names))
    expect(all(_fitted(step) for _name, step in steps), _("the pipeline should be fitted"))
    kept = getattr(steps[1][1], "n_components_", None)
    expect(kept == 5, _("with 60 examples of 8 features, the PCA should keep the n_components "
                        "asked (5), it keeps {got}").format(got=kept))


@requirement("make_embedding_classifier",
             "make_embedding_classifier: n_components is capped to the number of examples and "
             "of features.")
def classifier_cap(ctx: Context) -> None:
    rng = np.random.default_rng(14)
    for label, (x, y, cap) in {_("5 examples of 9 features"): (rng.normal(size=(5, 9)),
                                                               np.arange(5) % 2, 5),
                               _("30 examples of 4 features"): (rng.normal(size=(30, 4)),
                                                                np.arange(30) % 2, 4)}.items():
        steps = _steps(ctx.student.make_embedding_classifier(x, y, n_components=50))
        pca = [step for _name, step in steps if type(step).__name__ == "PCA"]
        expect(pca, _("the pipeline has no PCA step"))
        kept = getattr(pca[0], "n_components_", None)
        expect(kept == cap, _("for {label} and n_components=50, the PCA should keep {cap} "
                              "components, it keeps {got}").format(label=label, cap=cap,
                                                                   got=kept))


@requirement("make_embedding_classifier",
             "make_embedding_classifier: a classifier passed in is the last step, as is, and "
             "the PCA is seeded with seed.")
def classifier_given(ctx: Context) -> None:
    from sklearn.neighbors import KNeighborsClassifier

    x_train, y_train, _x_test, _y_test = clusters()
    given = KNeighborsClassifier(n_neighbors=3)
    steps = _steps(ctx.student.make_embedding_classifier(x_train, y_train, n_components=4,
                                                         classifier=given, seed=13))
    expect(steps[-1][1] is given and _fitted(given),
           _("the last step should be the classifier given (fitted), got a {got}").format(
               got=type(steps[-1][1]).__name__))
    pca = [step for _name, step in steps if type(step).__name__ == "PCA"]
    expect(pca and pca[0].get_params().get("random_state") == 13,
           _("the PCA's random_state should be seed"))


# -- compare_classifiers -------------------------------------------------------------------
def _check_scores(scores: Any, label: str) -> None:
    expect(isinstance(scores, dict), _("for {label}: a dict is expected").format(label=label))
    expect(set(scores) == CLASSIFIERS,
           _("for {label}: the keys should be {expected}, got {got}").format(
               label=label, expected=sorted(CLASSIFIERS), got=sorted(map(str, scores))))
    for name, entry in scores.items():
        expect(isinstance(entry, dict) and set(entry) == {"train", "test"},
               _("for {label}: {name} should map to {{'train': ..., 'test': ...}}").format(
                   label=label, name=name))
        for split, value in entry.items():
            expect(np.isscalar(value) and 0.0 <= float(value) <= 1.0,
                   _("for {label}: {name}'s {split} accuracy should be a number in [0, 1], "
                     "got {got!r}").format(label=label, name=name, split=_split_word(split),
                                          got=value))


@rubric("compare_classifiers", 1,
        "compare_classifiers: one entry per classifier, each with its train and test "
        "accuracy.")
def comparison_structure(ctx: Context) -> None:
    _check_scores(ctx.student.compare_classifiers(*clusters(), n_components=5, seed=0),
                  _("three clusters in 8 dimensions"))


@requirement("compare_classifiers",
             "compare_classifiers: the settings of the table give the course's accuracies on "
             "the toy clusters, and the same seed gives the same numbers.")
def comparison_values(ctx: Context) -> None:
    data = clusters(seed=31)
    first = ctx.student.compare_classifiers(*data, n_components=3, seed=2)
    _check_scores(first, _("three clusters, 3 components"))
    expected = ctx.expected["comparison"]
    for name in sorted(CLASSIFIERS):
        for split in ("train", "test"):
            expect(abs(float(first[name][split]) - expected[name][split]) <= 1.5 / 30,
                   _("{name}'s {split} accuracy differs from the expected one: check its "
                     "settings in the table and that it sits behind the scaler and the PCA"
                     ).format(name=name, split=_split_word(split)))
    again = ctx.student.compare_classifiers(*data, n_components=3, seed=2)
    expect(again == first, _("two calls with the same seed gave different accuracies"))


# -- plot_embeddings_2d --------------------------------------------------------------------
def _points(ax: dict) -> np.ndarray:
    found = [np.asarray(s["offsets"], dtype=np.float64).reshape(-1, 2) for s in ax["scatters"]]
    return np.concatenate(found) if found else np.zeros((0, 2))


def _scatter_axes(ctx: Context) -> list[dict]:
    from matplotlib.figure import Figure

    figure = ctx.student.plot_embeddings_2d(*clusters())
    expect(isinstance(figure, Figure), _("plot_embeddings_2d must return a matplotlib Figure"))
    axes = sorted(plot_axes(describe_figure(figure)),
                  key=lambda ax: [ax["grid"]["row"], ax["grid"]["col"]] if ax["grid"] else [0, 0])
    expect(len(axes) == 2, _("two axes (plus optional colour bars) are expected, got {got}"
                             ).format(got=len(axes)))
    return axes


@rubric("plot_embeddings_2d", 1,
        "plot_embeddings_2d: two axes side by side, train (left) and test (right), one point "
        "per embedding.")
def scatter_layout(ctx: Context) -> None:
    axes = _scatter_axes(ctx)
    places = [[ax["grid"]["row"], ax["grid"]["col"]] if ax["grid"] else [0, 0] for ax in axes]
    expect(places == [[0, 0], [0, 1]], _("the two axes should sit side by side in one row"))
    for ax, split, count in zip(axes, ("train", "test"), (60, 30), strict=True):
        side = _("left") if split == "train" else _("right")
        expect(says(ax["title"], split),
               _("the {side} axes' title should say {split!r}").format(side=side, split=split))
        shown = len(_points(ax))
        expect(shown == count, _("the {split} axes should show {count} points, it shows {shown}"
                                 ).format(split=_split_word(split), count=count, shown=shown))


@requirement("plot_embeddings_2d",
             "plot_embeddings_2d: the points are the embeddings projected on the training "
             "set's first two PCA components (each may have either sign).")
def scatter_projection(ctx: Context) -> None:
    axes = _scatter_axes(ctx)
    for ax, split, wanted in zip(axes, ("train", "test"), ctx.expected["projection"],
                                 strict=True):
        points, wanted = _points(ax), np.array(wanted, dtype=np.float64)
        expect(len(points) == len(wanted), _("the {split} axes should show {count} points"
                                             ).format(split=_split_word(split),
                                                      count=len(wanted)))
        for k in range(2):
            if (np.abs(np.sort(points[:, k]) - np.sort(-wanted[:, k])).max()
                    < np.abs(np.sort(points[:, k]) - np.sort(wanted[:, k])).max()):
                wanted[:, k] = -wanted[:, k]
        scale = max(float(np.abs(wanted).max()), 1e-12)
        distances = np.abs(points[:, None, :] - wanted[None, :, :]).max(axis=2)
        expect(np.all(distances.min(axis=1) <= 1e-3 * scale)
               and len(set(distances.argmin(axis=1).tolist())) == len(points),
               _("the {split} points are not the embeddings projected on the first two PCA "
                 "components of the training embeddings (fit the PCA on the training set only, "
                 "without scaling, and use it for both sets)").format(split=_split_word(split)))


# -- misclassified_examples ----------------------------------------------------------------
def _check_errors(result: Any, classifier: Any, x: np.ndarray, labels: np.ndarray,
                  label: str) -> None:
    predicted = np.asarray(classifier.predict(x)).reshape(-1)
    wrong = np.flatnonzero(predicted != labels)
    expect(isinstance(result, tuple) and len(result) == 2,
           _("for {label}: a pair (indices, predicted_labels) is expected").format(label=label))
    indices, shown = (np.asarray(v) for v in result)
    expect(indices.dtype.kind in "iu" and shown.dtype.kind in "iu",
           _("for {label}: indices and predicted labels must be integer arrays").format(
               label=label))
    expect(np.array_equal(indices, wrong),
           _("for {label}: the indices are not the positions where the prediction differs "
             "from the label, in ascending order").format(label=label))
    expect(np.array_equal(shown, predicted[wrong]),
           _("for {label}: the second array should hold the predicted labels at those "
             "positions").format(label=label))


def _knn() -> tuple[Any, np.ndarray, np.ndarray]:
    from sklearn.neighbors import KNeighborsClassifier

    x_train, y_train, x_test, y_test = clusters()
    return KNeighborsClassifier(n_neighbors=3).fit(x_train, y_train), x_test, y_test


@rubric("misclassified_examples", 1,
        "misclassified_examples: positions of the wrong predictions and what was predicted.")
def errors_on_clusters(ctx: Context) -> None:
    classifier, x_test, y_test = _knn()
    labels = y_test.copy()
    labels[[2, 7, 19]] = (labels[[2, 7, 19]] + 1) % 3  # a few certain errors
    _check_errors(ctx.student.misclassified_examples(classifier, x_test, labels), classifier,
                  x_test, labels, _("three clusters"))


@requirement("misclassified_examples",
             "misclassified_examples: empty integer arrays when nothing is wrong.")
def errors_none(ctx: Context) -> None:
    classifier, x_test, _y_test = _knn()
    perfect = np.asarray(classifier.predict(x_test)).astype(np.int64)
    _check_errors(ctx.student.misclassified_examples(classifier, x_test, perfect), classifier,
                  x_test, perfect, _("labels the classifier gets all right"))


# -- pretrained_extractor ------------------------------------------------------------------
@requirement("pretrained_extractor",
             'pretrained_extractor: weights=None gives the pooled EfficientNetB0 without its '
             'top, outputs (None, 1280), and says "random".')
def pretrained_random(ctx: Context) -> None:
    result = ctx.student.pretrained_extractor((32, 32, 3), weights=None)
    expect(isinstance(result, tuple) and len(result) == 2,
           _("a pair (model, weights_used) is expected"))
    summary = _summary(result[0], "pretrained_extractor")
    expect(summary["inputs"] == [[None, 32, 32, 3]],
           _("the model should take the input_shape given, (None, 32, 32, 3)"))
    expect(summary["outputs"] == [[None, 1280]],
           _("EfficientNetB0 without its top, average-pooled, outputs (None, 1280), got {got}"
             ).format(got=summary["outputs"]))
    expect(result[1] == "random", _("with weights=None, weights_used should be 'random', got "
                                    "{got!r}").format(got=result[1]))


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
    import matplotlib.pyplot as plt

    del sources
    figure = describe_figure(reference.plot_embeddings_2d(*clusters()))
    plt.close("all")
    axes = sorted(plot_axes(figure),
                  key=lambda ax: [ax["grid"]["row"], ax["grid"]["col"]] if ax["grid"] else [0, 0])
    return {
        "comparison": reference.compare_classifiers(*clusters(seed=31), n_components=3, seed=2),
        "projection": [_points(ax) for ax in axes],
    }
