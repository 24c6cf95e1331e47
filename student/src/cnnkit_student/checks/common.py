"""Known objects the checks hand to the student's functions: small seeded networks, image
folders written from fixed seeds, a compiled classifier. None of them holds an answer."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np


def compile_for_checks(model, learning_rate: float = 1e-3):
    """Compile a model for integer labels (Adam, sparse cross-entropy, accuracy)."""
    import keras

    settings = {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]}
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=float(learning_rate)),
                  **settings)
    return model


def small_cnn(input_shape: Sequence[int], names: Sequence[str],
              weights: list[np.ndarray] | None = None):
    """conv 3x3 (8) relu, max-pool 2, conv 3x3 (12) relu, max-pool 2, flatten, softmax 10.

    The layers take ``names``; ``weights`` (as ``model.get_weights()`` gives them) replace
    the initial ones, so that the network is exactly the one the expected values came from.
    """
    import keras

    inputs = keras.Input(shape=tuple(int(d) for d in input_shape))
    x = inputs
    for block, filters in enumerate((8, 12)):
        x = keras.layers.Conv2D(filters, (3, 3), activation="relu", name=names[2 * block])(x)
        x = keras.layers.MaxPooling2D(pool_size=2, name=names[2 * block + 1])(x)
    x = keras.layers.Flatten(name=names[4])(x)
    outputs = keras.layers.Dense(10, activation="softmax", name=names[5])(x)
    model = keras.Model(inputs, outputs, name="checks_cnn")
    if weights is not None:
        model.set_weights([np.asarray(w) for w in weights])
    return model


def embedding_cnn(input_shape: Sequence[int], seed: int = 0):
    """A small seeded CNN whose layer before the output is a 64-unit ``embedding`` layer."""
    import keras

    keras.utils.set_random_seed(int(seed))
    model = keras.Sequential([
        keras.Input(shape=tuple(int(d) for d in input_shape)),
        keras.layers.Conv2D(16, 3, activation="relu", name="conv_1"),
        keras.layers.MaxPooling2D(pool_size=2, name="pool_1"),
        keras.layers.Conv2D(32, 3, activation="relu", name="conv_2"),
        keras.layers.MaxPooling2D(pool_size=2, name="pool_2"),
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(64, activation="relu", name="embedding"),
        keras.layers.Dense(10, activation="softmax", name="output"),
    ], name="embedding_cnn")
    return model


def write_noise_images(folder: Path, names: Sequence[str], rng: np.random.Generator, *,
                       size: tuple[int, int] | None = None, grey: bool = False
                       ) -> list[np.ndarray]:
    """Write random-noise PNG files (lossless) and return their pixels, in ``names`` order.

    Each image gets its own random size between 20 and 48 pixels unless ``size`` is given.
    """
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    pixels = []
    for name in names:
        height, width = size if size else (int(v) for v in rng.integers(20, 49, size=2))
        shape = (height, width) if grey else (height, width, 3)
        image = rng.integers(0, 256, size=shape, dtype=np.uint8)
        Image.fromarray(image).save(folder / name)
        pixels.append(image)
    return pixels
