"""Tools every assignment uses: seeding, a tiny seeded classifier, compiling, training.

They build the known, seeded objects that a hidden test hands to a student's function
(a tiny classifier to compile or train, for instance), so that each test exercises one
student function and not a chain of them.
"""

from __future__ import annotations

import numpy as np


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and TensorFlow's generators (Keras does all three)."""
    import keras

    keras.utils.set_random_seed(int(seed))


def tiny_classifier(input_shape: tuple[int, ...], num_classes: int, seed: int = 0):
    """A small, seeded, uncompiled softmax classifier: flatten then one dense layer."""
    import keras

    keras.utils.set_random_seed(int(seed))
    return keras.Sequential(
        [
            keras.Input(shape=tuple(input_shape)),
            keras.layers.Flatten(),
            keras.layers.Dense(int(num_classes), activation="softmax"),
        ]
    )


def compile_for_grading(model, learning_rate: float = 1e-3):
    """Compile ``model`` the way the course does (Adam, sparse cross-entropy, accuracy)."""
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=float(learning_rate)),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def fit_and_predict(model, x_train, y_train, x_eval, *, epochs: int, batch_size: int, seed: int,
                    learning_rate: float = 1e-3):
    """Compile ``model`` the course's way, train it with a fixed seed and return its class
    probabilities on ``x_eval``; the grader, not the worker, turns them into an accuracy."""
    compile_for_grading(model, learning_rate)
    seed_everything(seed)
    model.fit(x_train, y_train, epochs=int(epochs), batch_size=int(batch_size), verbose=0,
              shuffle=True)
    return model.predict(x_eval, batch_size=256, verbose=0)


def same_object(first, second) -> bool:
    """Whether two handles point at one object (did a function return its argument?)."""
    return first is second



def import_model(config: str, weights: list, compile_config: str | None = None):
    """Rebuild a model from plain data (see ``introspect.export_model``) in a worker that
    loaded no student code. Keras's safe mode stays on and no custom object is registered,
    so only Keras's own classes can be built; the grader has already refused any other."""
    import json

    import keras

    model = keras.models.model_from_json(config)
    model.set_weights([np.asarray(w) for w in weights])
    if compile_config is not None:
        model.compile_from_config(json.loads(compile_config))
    return model


TOOLS = {
    "same_object": same_object,
    "seed_everything": seed_everything,
    "tiny_classifier": tiny_classifier,
    "compile_for_grading": compile_for_grading,
    "fit_and_predict": fit_and_predict,
    "import_model": import_model,
}
