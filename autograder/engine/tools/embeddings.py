"""Tools for the embeddings assignment: known CNNs, directory iterators whose order the grader
can ask for, a seeded classifier, and plain descriptions of scikit-learn pipelines and of
scatter plots.

Everything here is kit code that builds or describes known objects inside the worker; none
of it holds an expected value of a hidden test.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import numpy as np

# The layers of the fixed CNN, by name: the grader picks layers by these names and indices.
FIXED_CNN_LAYERS = ("conv_1", "pool_1", "conv_2", "pool_2", "flatten", "embedding", "output")


def fixed_cnn(input_shape: tuple[int, ...], num_classes: int, seed: int = 0,
              embedding_units: int = 64, weights: list | None = None):
    """A small seeded, uncompiled CNN whose layers carry the names of ``FIXED_CNN_LAYERS``.

    Parameters
    ----------
    input_shape : tuple of int
        One image's shape, e.g. ``(28, 28, 1)``.
    num_classes : int
        Units of the softmax output.
    seed : int
        Seeds the initial weights.
    embedding_units : int
        Units of the dense layer just before the output (the default embedding).
    weights : list of numpy.ndarray, optional
        Weights as returned by ``model.get_weights()`` (made in a clean worker); they replace
        the seeded ones, so that a student's worker holds the very network the grader measures.

    Returns
    -------
    keras.Sequential
    """
    import keras
    from keras import layers

    keras.utils.set_random_seed(int(seed))
    model = keras.Sequential(
        [
            keras.Input(shape=tuple(int(v) for v in input_shape)),
            layers.Conv2D(16, 3, activation="relu", name="conv_1"),
            layers.MaxPooling2D(2, name="pool_1"),
            layers.Conv2D(32, 3, activation="relu", name="conv_2"),
            layers.MaxPooling2D(2, name="pool_2"),
            layers.Flatten(name="flatten"),
            layers.Dense(int(embedding_units), activation="relu", name="embedding"),
            layers.Dense(int(num_classes), activation="softmax", name="output"),
        ],
        name="fixed_cnn",
    )
    if weights is not None:
        model.set_weights([np.asarray(w) for w in weights])
    return model


def train_fixed_cnn_embeddings(x_train, y_train, x_test, *, num_classes: int, epochs: int,
                               batch_size: int, learning_rate: float, seed: int,
                               embedding_units: int = 64) -> dict[str, np.ndarray]:
    """Train the fixed CNN on float images with a fixed seed; return its embeddings.

    Run in a worker that holds no student code (see the suite's ``budget.py``); the grader
    caches the result so that every grading reuses the same embeddings.

    Returns
    -------
    dict
        ``{"train": (n_train, embedding_units), "test": (n_test, embedding_units)}`` float32
        outputs of the ``embedding`` layer.
    """
    import keras

    x_train = np.asarray(x_train, dtype=np.float32)
    model = fixed_cnn(x_train.shape[1:], num_classes, seed=seed,
                      embedding_units=embedding_units)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=float(learning_rate)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    keras.utils.set_random_seed(int(seed))
    model.fit(x_train, np.asarray(y_train), epochs=int(epochs), batch_size=int(batch_size),
              shuffle=True, verbose=0)
    features = keras.Model(model.inputs, model.get_layer("embedding").output)
    return {
        "train": features.predict(x_train, batch_size=256, verbose=0).astype(np.float32),
        "test": features.predict(np.asarray(x_test, dtype=np.float32), batch_size=256,
                                 verbose=0).astype(np.float32),
    }


def flatten_model(input_shape: tuple[int, ...], *, flatten: bool = True):
    """A model with no weights whose "embedding" of an image is the image itself, so the
    grader can tell which image an embedding came from: flattened, or (``flatten=False``)
    left as it is, ``(h, w, c)``, as the output of a convolution would be."""
    import keras

    layers = [keras.layers.Flatten()] if flatten else [keras.layers.Identity()]
    return keras.Sequential([keras.Input(shape=tuple(int(v) for v in input_shape)), *layers],
                            name="flatten_only" if flatten else "image_as_is")


def layer_output(model, layer: str | int, images) -> np.ndarray:
    """The output of one layer of a Sequential ``model`` on ``images``, computed by running
    the layers one after the other up to it (a path independent of ``keras.Model``)."""
    index = layer if isinstance(layer, int) else [lay.name for lay in model.layers].index(layer)
    x = np.asarray(images, dtype=np.float32)
    for current in model.layers[: int(index) % len(model.layers) + 1]:
        x = current(x, training=False)
    return np.asarray(x)


def model_summary(model) -> dict:
    """The input and output shapes and the output layer's name of a Keras model."""
    import keras

    if not isinstance(model, keras.Model):
        return {"is_model": False, "type": type(model).__name__}
    outputs = model.outputs if isinstance(model.outputs, list) else [model.outputs]
    history = getattr(outputs[0], "_keras_history", None)
    producer = getattr(history, "operation", None) if history is not None else None
    return {
        "is_model": True,
        "inputs": [[None if d is None else int(d) for d in t.shape] for t in model.inputs],
        "outputs": [[None if d is None else int(d) for d in t.shape] for t in outputs],
        "output_layer": getattr(producer, "name", None),
        "last_layer": model.layers[-1].name if model.layers else None,
        "last_layer_class": type(model.layers[-1]).__name__ if model.layers else None,
        "parameters": int(model.count_params()),
    }


def directory_iterator(directory: str, *, target_size: tuple[int, int], batch_size: int,
                       shuffle: bool, seed: int, color_mode: str = "grayscale",
                       class_mode: str = "sparse", batches_read: int = 0,
                       rescale: bool = True):
    """A Keras ``DirectoryIterator`` (``flow_from_directory``) over ``directory``, pixels
    scaled by 1/255 (or, ``rescale=False``, left in [0, 255], as EfficientNet takes them),
    integer labels (``class_mode="sparse"``) or one-hot ones (``"categorical"``), with
    ``batches_read`` batches already drawn from it (an iterator someone used before).

    ``directory`` must be readable by the worker: in a sandboxed worker, under its handover
    folder (``Worker.handover_dir``).
    """
    from tensorflow.keras.preprocessing.image import ImageDataGenerator

    if class_mode not in ("sparse", "categorical"):
        raise ValueError(f"class_mode {class_mode!r}")
    iterator = ImageDataGenerator(rescale=1.0 / 255 if rescale else None).flow_from_directory(
        str(directory), target_size=tuple(int(v) for v in target_size),
        color_mode=color_mode, class_mode=class_mode, batch_size=int(batch_size),
        shuffle=bool(shuffle), seed=int(seed),
    )
    for _batch in range(int(batches_read)):
        next(iterator)
    return iterator


def model_outputs(model, images) -> np.ndarray:
    """A Keras model's outputs on ``images``, the model called in inference mode: the same
    numbers as ``model.predict``, without the tracing ``predict`` does first (a second or more
    for EfficientNetB0)."""
    return np.asarray(model(np.asarray(images, dtype=np.float32), training=False))


def iterator_order(iterator) -> dict:
    """What an iterator has served: its ``classes`` (file order), its file names, and the
    order of the last epoch it drew (``index_array``; ``None`` before any batch)."""
    order = getattr(iterator, "index_array", None)
    return {
        "classes": np.asarray(iterator.classes, dtype=np.int64),
        "filenames": [str(f).replace("\\", "/") for f in iterator.filenames],
        "index_array": None if order is None else np.asarray(order, dtype=np.int64),
        "shuffle": bool(iterator.shuffle),
    }


def seeded_classifier(kind: str, seed: int = 0, **params: Any):
    """An unfitted scikit-learn classifier made in the worker: ``"knn"``, ``"tree"`` or
    ``"logistic"``, seeded when it has randomness."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.tree import DecisionTreeClassifier

    if kind == "knn":
        return KNeighborsClassifier(**params)
    if kind == "tree":
        return DecisionTreeClassifier(random_state=int(seed), **params)
    if kind == "logistic":
        return LogisticRegression(random_state=int(seed), max_iter=1000, **params)
    raise ValueError(f"unknown classifier kind {kind!r}")


def fitted_classifier(kind: str, x, y, seed: int = 0, **params: Any):
    """A seeded classifier (see :func:`seeded_classifier`) fitted on ``(x, y)``."""
    return seeded_classifier(kind, seed, **params).fit(np.asarray(x), np.asarray(y))


def _plain_param(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, np.generic):
        return value.item()
    return type(value).__name__


def describe_pipeline(pipeline) -> dict:
    """A scikit-learn pipeline's steps as plain data.

    Returns
    -------
    dict
        ``{"is_pipeline", "type", "steps": [{"name", "class", "module", "fitted",
        "n_components", "n_components_", "random_state", "id"}]}``; ``id`` tells steps that
        are the very same object apart (a classifier passed in is used as is).
    """
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import check_is_fitted

    if not isinstance(pipeline, Pipeline):
        return {"is_pipeline": False, "type": type(pipeline).__name__, "steps": []}
    steps = []
    for name, step in pipeline.steps:
        try:
            check_is_fitted(step)
            fitted = True
        except Exception:  # noqa: BLE001 - "passthrough", None or an unfitted step
            fitted = False
        params = step.get_params(deep=False) if hasattr(step, "get_params") else {}
        steps.append({
            "name": str(name),
            "class": type(step).__name__,
            "module": type(step).__module__,
            "fitted": fitted,
            "n_components": _plain_param(params.get("n_components")),
            "n_components_": _plain_param(getattr(step, "n_components_", None)),
            "random_state": _plain_param(params.get("random_state")),
            "id": id(step),
        })
    return {"is_pipeline": True, "type": type(pipeline).__name__, "steps": steps}


def object_id(value) -> int:
    """The identity of a worker-side object (to see whether a pipeline kept it)."""
    return id(value)


def efficientnet_weights_file(input_shape: tuple[int, int, int], images, seed: int = 0
                              ) -> dict:
    """The weights of a seeded EfficientNetB0 (no top, average pooling, random init) as the
    bytes of a ``.weights.h5`` file: a local weights file that needs no download.

    Returns
    -------
    dict
        ``{"weights_h5": the file's bytes (uint8), "outputs": that model's outputs on
        images}``
        (one build serves both).
    """
    import keras

    keras.utils.set_random_seed(int(seed))
    model = keras.applications.EfficientNetB0(
        include_top=False, weights=None, pooling="avg",
        input_shape=tuple(int(v) for v in input_shape),
    )
    # Keras writes weights only to a file: one in the worker's own scratch folder.
    with tempfile.TemporaryDirectory(prefix="effnet-", dir=os.getcwd()) as folder:
        path = os.path.join(folder, "efficientnetb0.weights.h5")
        model.save_weights(path)
        with open(path, "rb") as saved:
            content = np.frombuffer(saved.read(), dtype=np.uint8)
    outputs = model.predict(np.asarray(images, dtype=np.float32), verbose=0)
    return {"weights_h5": content, "outputs": np.asarray(outputs)}


# -- scikit-learn pipelines that cross as plain data ------------------------------------------
# The estimators a pipeline may hold to be rebuilt in a clean worker: scikit-learn's own
# scalers, projections and classifiers of the course, named by their public import path. Any
# other class (a custom one, or one that takes code or another estimator) is not rebuilt.
ALLOWED_ESTIMATORS = (
    ("sklearn.preprocessing", "StandardScaler"),
    ("sklearn.preprocessing", "MinMaxScaler"),
    ("sklearn.preprocessing", "MaxAbsScaler"),
    ("sklearn.preprocessing", "RobustScaler"),
    ("sklearn.preprocessing", "Normalizer"),
    ("sklearn.decomposition", "PCA"),
    ("sklearn.decomposition", "TruncatedSVD"),
    ("sklearn.svm", "SVC"),
    ("sklearn.svm", "LinearSVC"),
    ("sklearn.tree", "DecisionTreeClassifier"),
    ("sklearn.ensemble", "RandomForestClassifier"),
    ("sklearn.ensemble", "ExtraTreesClassifier"),
    ("sklearn.neighbors", "KNeighborsClassifier"),
    ("sklearn.linear_model", "LogisticRegression"),
    ("sklearn.naive_bayes", "GaussianNB"),
)

# Fitted attributes exported per class: enough to tell that a step was fitted, and on which
# data (a scaler's statistics, a PCA's mean and spectrum). Any other class: its classes_.
FITTED_ATTRIBUTES = {
    "StandardScaler": ("mean_", "scale_", "n_features_in_"),
    "PCA": ("mean_", "components_", "explained_variance_", "n_components_", "n_features_in_"),
}
DEFAULT_FITTED = ("classes_", "n_features_in_")


def allowed_estimators() -> dict[tuple[str, str], type]:
    """``{(cls.__module__, cls.__qualname__): cls}`` for :data:`ALLOWED_ESTIMATORS`."""
    import importlib

    found = {}
    for module, name in ALLOWED_ESTIMATORS:
        cls = getattr(importlib.import_module(module), name)
        found[(cls.__module__, cls.__qualname__)] = cls
    return found


def _plain_setting(value: Any) -> tuple[bool, Any]:
    """``(True, value)`` for a setting that is plain data (a number, a string, None, or a
    list of those), ``(False, None)`` otherwise (a function, an estimator, a generator...)."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return True, value
    if isinstance(value, (list, tuple)):
        items = [_plain_setting(v) for v in value]
        if all(ok for ok, _ in items):  # a tuple stays a tuple (feature_range=(0, 1))
            plain = [v for _, v in items]
            return True, tuple(plain) if isinstance(value, tuple) else plain
    return False, None


def export_pipeline(pipeline, known=()) -> dict:
    """A scikit-learn pipeline as plain data: each step's name, class, settings and fitted
    statistics.

    This runs in the student's worker: the grader treats what it returns as the student's
    answer, checks it, and rebuilds the pipeline from it in a clean worker
    (:func:`pipeline_from_spec`) before anything is fitted or predicted for points.

    Parameters
    ----------
    pipeline : object
        What the student's function returned.
    known : sequence
        Objects the grader handed in (a classifier to use); ``known`` of a step is the index
        of the one it is, or None.

    Returns
    -------
    dict
        ``{"is_pipeline", "type", "steps": [{"name", "module", "qualname", "params",
        "unsupported", "fitted", "known"}]}``; ``params`` holds the plain settings of
        ``get_params(deep=False)``, ``unsupported`` the names of the others, ``fitted`` the
        fitted attributes of :data:`FITTED_ATTRIBUTES` that the step has.
    """
    from sklearn.pipeline import Pipeline

    if not isinstance(pipeline, Pipeline):
        return {"is_pipeline": False, "type": type(pipeline).__name__, "steps": []}
    steps = []
    for name, step in pipeline.steps:
        params, unsupported = {}, []
        settings = step.get_params(deep=False) if hasattr(step, "get_params") else {}
        for key, value in settings.items():
            ok, plain = _plain_setting(value)
            if ok:
                params[str(key)] = plain
            else:
                unsupported.append(str(key))
        fitted = {}
        for attribute in FITTED_ATTRIBUTES.get(type(step).__name__, DEFAULT_FITTED):
            try:
                value = getattr(step, attribute)
            except Exception:  # noqa: BLE001 - not fitted, or no such attribute
                continue
            fitted[attribute] = np.asarray(value)
        steps.append({
            "name": str(name),
            "module": type(step).__module__,
            "qualname": type(step).__qualname__,
            "params": params,
            "unsupported": unsupported,
            "fitted": fitted,
            "known": next((i for i, k in enumerate(known) if step is k), None),
        })
    return {"is_pipeline": True, "type": type(pipeline).__name__, "steps": steps}


def pipeline_from_spec(steps: list, x, y):
    """Build a pipeline from plain step descriptions and fit it on ``(x, y)``: run in a
    clean worker, on what :func:`export_pipeline` reported from the student's worker.

    Parameters
    ----------
    steps : list of dict
        ``{"name", "module", "qualname", "params"}`` per step; only the classes of
        :data:`ALLOWED_ESTIMATORS` are built (the grader has already refused any other).
    x, y : numpy.ndarray
        Training data.

    Returns
    -------
    sklearn.pipeline.Pipeline
        Fitted.
    """
    from sklearn.pipeline import Pipeline

    allowed = allowed_estimators()
    built = []
    for step in steps:
        cls = allowed.get((str(step["module"]), str(step["qualname"])))
        if cls is None:
            raise ValueError(f"{step['qualname']} is not an estimator the kit rebuilds")
        built.append((str(step["name"]), cls(**dict(step["params"]))))
    return Pipeline(built).fit(np.asarray(x), np.asarray(y))


TOOLS = {
    "fixed_cnn": fixed_cnn,
    "train_fixed_cnn_embeddings": train_fixed_cnn_embeddings,
    "flatten_model": flatten_model,
    "layer_output": layer_output,
    "model_summary": model_summary,
    "directory_iterator": directory_iterator,
    "iterator_order": iterator_order,
    "model_outputs": model_outputs,
    "seeded_classifier": seeded_classifier,
    "fitted_classifier": fitted_classifier,
    "describe_pipeline": describe_pipeline,
    "export_pipeline": export_pipeline,
    "pipeline_from_spec": pipeline_from_spec,
    "object_id": object_id,
    "efficientnet_weights_file": efficientnet_weights_file,
}
