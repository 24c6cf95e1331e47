"""Tools for image-folder assignments: look into Keras image generators, make a known training
history, and train a binary classifier under a fixed, seeded budget.

A generator (``DirectoryIterator``) cannot cross to the grader; these tools read it where it
lives and return plain data (its settings, one batch as arrays).
"""

from __future__ import annotations

from typing import Any

import numpy as np

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


TOOLS = {
    "generator_info": generator_info,
    "generator_batch": generator_batch,
    "make_history": make_history,
    "compile_binary": compile_binary,
    "fit_batch": fit_batch,
    "fit_binary_and_predict": fit_binary_and_predict,
}
