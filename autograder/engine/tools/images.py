"""Tools for image-folder assignments: look into Keras image generators, make a known training
history, and train a binary classifier under a fixed, seeded budget.

A generator (``DirectoryIterator``) cannot cross to the grader; these tools read it where it
lives and return plain data (its settings, one batch as arrays).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograder.engine.tools.common import seed_everything

# Settings of an ImageDataGenerator that define what it does to an image.
_GENERATOR_SETTINGS = (
    "rotation_range", "width_shift_range", "height_shift_range", "shear_range", "zoom_range",
    "channel_shift_range", "fill_mode", "cval", "horizontal_flip", "vertical_flip", "rescale",
    "brightness_range", "featurewise_center", "samplewise_center",
)


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.generic,)):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def generator_info(generator) -> dict:
    """What a directory generator is set to do, as plain data.

    Returns
    -------
    dict
        ``{"is_iterator", "type", "class_indices", "filenames", "classes", "samples",
        "batch_size", "shuffle", "target_size", "class_mode", "color_mode", "length",
        "settings": {augmentation / rescale settings}, "preprocessing_function": name or
        None}``; ``{"is_iterator": False, "type": ...}`` for anything else.
    """
    needed = ("class_indices", "filenames", "batch_size")
    if not all(hasattr(generator, name) for name in needed):
        return {"is_iterator": False, "type": type(generator).__name__}
    maker = getattr(generator, "image_data_generator", None)
    settings = {}
    function = None
    if maker is not None:
        settings = {name: _plain(getattr(maker, name, None)) for name in _GENERATOR_SETTINGS}
        raw = getattr(maker, "preprocessing_function", None)
        if raw is not None:
            function = f"{getattr(raw, '__module__', '')}.{getattr(raw, '__name__', repr(raw))}"
    return {
        "is_iterator": True,
        "type": type(generator).__name__,
        "class_indices": {str(k): int(v) for k, v in dict(generator.class_indices).items()},
        "filenames": [str(f).replace("\\", "/") for f in generator.filenames],
        "classes": np.asarray(getattr(generator, "classes", []), dtype=np.int64),
        "samples": int(getattr(generator, "samples", getattr(generator, "n", 0))),
        "batch_size": int(generator.batch_size),
        "shuffle": bool(getattr(generator, "shuffle", False)),
        "target_size": [int(v) for v in getattr(generator, "target_size", ())],
        "class_mode": getattr(generator, "class_mode", None),
        "color_mode": getattr(generator, "color_mode", None),
        "length": int(len(generator)),
        "settings": settings,
        "preprocessing_function": function,
    }


def generator_batch(generator, index: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Batch ``index`` of a generator, as ``(images, labels)`` arrays."""
    batch = generator[int(index)]
    images, labels = batch[0], batch[1]
    return np.asarray(images), np.asarray(labels)


# Everything an ImageDataGenerator was built with, by constructor argument (the attribute
# that holds it when it differs), and what flow_from_directory gives its iterator.
_MAKER_ARGUMENTS = {
    "featurewise_center": "featurewise_center", "samplewise_center": "samplewise_center",
    "featurewise_std_normalization": "featurewise_std_normalization",
    "samplewise_std_normalization": "samplewise_std_normalization",
    "zca_whitening": "zca_whitening", "zca_epsilon": "zca_epsilon",
    "rotation_range": "rotation_range", "width_shift_range": "width_shift_range",
    "height_shift_range": "height_shift_range", "brightness_range": "brightness_range",
    "shear_range": "shear_range", "zoom_range": "zoom_range",
    "channel_shift_range": "channel_shift_range", "fill_mode": "fill_mode", "cval": "cval",
    "horizontal_flip": "horizontal_flip", "vertical_flip": "vertical_flip",
    "rescale": "rescale", "data_format": "data_format", "validation_split": "_validation_split",
    "interpolation_order": "interpolation_order", "dtype": "dtype",
}
_ITERATOR_ARGUMENTS = ("target_size", "color_mode", "class_mode", "batch_size", "shuffle",
                       "seed", "subset", "interpolation", "keep_aspect_ratio")


def _qualified(value: Any) -> str:
    kind = value if isinstance(value, type) else type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


def generator_export(generator) -> dict:
    """A directory iterator as plain data: its folder, the arguments of its
    ``flow_from_directory`` call and of its ``ImageDataGenerator``, and the module and name of
    its preprocessing function; ``{"is_iterator": False, "type": ...}`` for anything else.

    This runs in the student's worker, so the grader treats what it returns as the student's
    answer: it rebuilds the iterator from these settings with Keras's own classes, in the
    grader, and reads its batches there.
    """
    maker = getattr(generator, "image_data_generator", None)
    if maker is None or not all(hasattr(generator, n) for n in ("directory", "class_indices")):
        return {"is_iterator": False, "type": type(generator).__name__}
    raw = getattr(maker, "preprocessing_function", None)
    function = None
    if raw is not None:
        function = {"module": str(getattr(raw, "__module__", "")),
                    "name": str(getattr(raw, "__qualname__", getattr(raw, "__name__", "")))}
    classes = sorted(dict(generator.class_indices).items(), key=lambda item: item[1])
    return {
        "is_iterator": True,
        "type": _qualified(generator),
        "maker_type": _qualified(maker),
        "directory": str(generator.directory),
        "classes": [str(name) for name, _ in classes],
        "iterator": {name: _plain(getattr(generator, name, None))
                     for name in _ITERATOR_ARGUMENTS},
        "maker": {name: _plain(getattr(maker, attribute, None))
                  for name, attribute in _MAKER_ARGUMENTS.items()},
        "preprocessing_function": function,
    }


def make_history(values: dict[str, list[float]]):
    """A ``keras.callbacks.History`` holding ``values``, as ``model.fit`` would return it."""
    import keras

    history = keras.callbacks.History()
    history.history = {str(k): [float(v) for v in vs] for k, vs in values.items()}
    lengths = {len(vs) for vs in history.history.values()}
    history.epoch = list(range(max(lengths, default=0)))
    return history


def compile_binary(model, learning_rate: float = 1e-3):
    """Compile ``model`` for binary labels: Adam, binary cross-entropy, accuracy."""
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=float(learning_rate)),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def fit_batch(model, images, labels, *, steps: int, learning_rate: float, seed: int) -> dict:
    """Train ``model`` (compiled here) on one fixed batch for ``steps`` gradient steps.

    ``images`` are uint8 and are scaled to [0, 1] here. Returns the loss before training,
    the loss after each step and the final probabilities on that batch.
    """
    import keras

    keras.utils.set_random_seed(int(seed))
    compile_binary(model, learning_rate)
    x = np.asarray(images, dtype=np.float32) / 255.0
    y = np.asarray(labels, dtype=np.float32)
    start = float(model.evaluate(x, y, batch_size=len(x), verbose=0)[0])
    history = model.fit(x, y, epochs=int(steps), batch_size=len(x), shuffle=False, verbose=0)
    probabilities = model.predict(x, batch_size=len(x), verbose=0).reshape(-1)
    return {"start_loss": start, "losses": np.asarray(history.history["loss"]),
            "probabilities": probabilities}


def fit_binary_and_predict(model, x_train, y_train, x_eval, *, epochs: int, batch_size: int,
                           learning_rate: float, seed: int) -> np.ndarray:
    """Train ``model`` (compiled here) on uint8 images scaled to [0, 1], with a fixed seed,
    and return its probabilities on ``x_eval``; the grader turns them into an accuracy."""
    import keras

    keras.utils.set_random_seed(int(seed))
    compile_binary(model, learning_rate)
    x = np.asarray(x_train, dtype=np.float32) / 255.0
    model.fit(x, np.asarray(y_train, dtype=np.float32), epochs=int(epochs),
              batch_size=int(batch_size), shuffle=True, verbose=0)
    evaluation = np.asarray(x_eval, dtype=np.float32) / 255.0
    return model.predict(evaluation, batch_size=256, verbose=0).reshape(-1)


def callback_settings(callbacks) -> dict:
    """What a list of callbacks holds, as plain data (``describe_callbacks``). Run in the
    student's worker, it describes the student's answer."""
    from cnnkit_student.describe import describe_callbacks

    return describe_callbacks(callbacks)


def make_callbacks(described: list[dict]) -> list:
    """Keras's own EarlyStopping / ReduceLROnPlateau built from plain settings (the
    ``callbacks`` of a ``describe_callbacks`` description), in that order: the grader's known
    callbacks, for a student's training function or for the clean worker's measurement."""
    import keras

    kinds = {"EarlyStopping": keras.callbacks.EarlyStopping,
             "ReduceLROnPlateau": keras.callbacks.ReduceLROnPlateau}
    return [kinds[item["kind"]](**item["settings"]) for item in described]


def batched_dataset(x, y, batch_size: int):
    """A finite, unshuffled ``tf.data.Dataset`` of ``(x, y)`` batches: data that ``fit`` takes
    as its only argument, as it takes a directory iterator, and that reads the same in every
    worker."""
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices((np.asarray(x), np.asarray(y))).batch(
        int(batch_size))


def fit_with_callbacks(model, train, validation, *, epochs: int, callbacks: list, seed: int,
                       steps_per_epoch: int | None = None,
                       validation_steps: int | None = None) -> dict:
    """Train ``model`` (already compiled) on ``train`` with ``validation`` and ``callbacks``,
    seeded, as the course's training cell does; the per-epoch values of the History as plain
    data (``describe_history``)."""
    from cnnkit_student.describe import describe_history

    seed_everything(seed)
    history = model.fit(train, validation_data=validation, epochs=int(epochs),
                        steps_per_epoch=steps_per_epoch, validation_steps=validation_steps,
                        callbacks=list(callbacks), verbose=0)
    return describe_history(history)


TOOLS = {
    "generator_info": generator_info,
    "generator_batch": generator_batch,
    "generator_export": generator_export,
    "make_history": make_history,
    "compile_binary": compile_binary,
    "fit_batch": fit_batch,
    "fit_binary_and_predict": fit_binary_and_predict,
    "callback_settings": callback_settings,
    "make_callbacks": make_callbacks,
    "batched_dataset": batched_dataset,
    "fit_with_callbacks": fit_with_callbacks,
}
