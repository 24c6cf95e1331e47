"""Tools for the activations assignment: a small CNN with known weights, and its activations.

The grader builds the same CNN in its own process with :func:`activation_cnn`, takes its
weights and sends them to the worker as plain arrays, so that both sides hold exactly the same
network whatever the random generators of either process did before. Nothing here holds an
expected value of a hidden test.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Default layer names; a test may rename them (names without "conv" in them, for instance).
DEFAULT_NAMES = ("conv_1", "pool_1", "conv_2", "pool_2", "flatten", "output")
FILTERS = (8, 12)
# The bias a dead filter gets: far below anything its 3x3 window can add up to, so that its
# ReLU output is 0 everywhere, as for a dead unit of a trained network.
DEAD_BIAS = -100.0


def activation_cnn(input_shape: Sequence[int], *, seed: int = 0,
                   names: Sequence[str] = DEFAULT_NAMES, dead_channels: bool = False,
                   weights: list[np.ndarray] | None = None,
                   pooling: Sequence[str] = ("max", "max"), sequential: bool = False):
    """A small CNN: conv 3x3 relu, pool 2, conv 3x3 relu, pool 2, flatten, softmax 10.

    Parameters
    ----------
    input_shape : sequence of int
        One image's shape, e.g. ``(28, 28, 1)`` or ``(72, 108, 3)``.
    seed : int
        Seeds every initialiser (kernels Glorot-uniform, biases uniform in [-0.1, 0.1]).
    names : sequence of str
        The six layers' names, in order.
    dead_channels : bool
        Give the last filter of each convolution a large negative bias (a constant,
        all-zero feature map).
    weights : list of numpy.ndarray, optional
        Weights as returned by ``model.get_weights()``; they replace the seeded ones.
    pooling : sequence of str
        Each block's pooling, ``"max"`` or ``"average"``.
    sequential : bool
        A ``keras.Sequential`` model (its ``layers`` do not start with the input) instead of
        a functional one (whose ``layers`` do).

    Returns
    -------
    keras.Model
        Uncompiled model.
    """
    import keras
    from keras import layers

    names = tuple(names)
    pool_kinds = {"max": layers.MaxPooling2D, "average": layers.AveragePooling2D}
    stack = []
    for block, filters in enumerate(FILTERS):
        stack.append(layers.Conv2D(
            filters, (3, 3), activation="relu", name=names[2 * block],
            kernel_initializer=keras.initializers.GlorotUniform(seed=seed * 10 + block),
            bias_initializer=keras.initializers.RandomUniform(
                -0.1, 0.1, seed=seed * 10 + 5 + block),
        ))
        stack.append(pool_kinds[pooling[block]]((2, 2), name=names[2 * block + 1]))
    stack.append(layers.Flatten(name=names[4]))
    stack.append(layers.Dense(
        10, activation="softmax", name=names[5],
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed * 10 + 9),
    ))
    inputs = keras.Input(shape=tuple(int(d) for d in input_shape), name="image")
    if sequential:
        model = keras.Sequential([inputs, *stack], name="activation_cnn")
    else:
        x = inputs
        for layer in stack:
            x = layer(x)
        model = keras.Model(inputs, x, name="activation_cnn")
    if weights is not None:
        model.set_weights([np.asarray(w) for w in weights])
    elif dead_channels:
        for name in names[0], names[2]:
            kernel, bias = model.get_layer(name).get_weights()
            bias[-1] = DEAD_BIAS
            model.get_layer(name).set_weights([kernel, bias])
    return model


def activation_outputs(model, images: np.ndarray) -> list[np.ndarray]:
    """Run a model (a student's activation model) on ``images``; its outputs as a list."""
    outputs = model(np.asarray(images, dtype=np.float32), training=False)
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    return [np.asarray(output) for output in outputs]


def layer_weights(model, name: str) -> list[np.ndarray]:
    """The weights of one layer of a model, by name."""
    return [np.asarray(w) for w in model.get_layer(name).get_weights()]


TOOLS = {
    "activation_cnn": activation_cnn,
    "activation_outputs": activation_outputs,
    "activation_layer_weights": layer_weights,
}
