"""The grader's own training of a student's ``build_cnn``: fixed, seeded, small budgets.

Two checks train the CNN, both scored here. The student's worker only builds it: the model
is rebuilt from plain data (architecture, weights) in a worker that never loaded student code
and trained there through the kit's tools (``trained_in_clean_worker``, which keeps each
result in the grader's cache: a model trained before is not trained again):

* "can it learn": a fixed batch of real images (the kit's offline stand-in digits, so the
  check is the same on every grader) fitted for a few full-batch steps;
* with the cats-vs-dogs mirror: the full training split at a small image size for a few
  epochs, scored on the kit's held-out test split.

``calibrate.py`` measures the reference under the very same budgets; the thresholds below
come from that measurement.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from autograder.data.cats_dogs import IMAGE_SUFFIXES
from autograder.engine.client import trained_in_clean_worker
from autograder.i18n import _

SEED = 0

# -- can it learn --------------------------------------------------------------------------
LEARN_SIZE = 48  # the CNN's smallest comfortable input (four valid 3x3 convs need >= 46)
LEARN_PER_CLASS = 16
LEARN_RATE = 1e-3
FITTED_LOSS = 0.1
# The reference's loss first drops below FITTED_LOSS at step 14 and it classifies the whole
# batch right from there on (`python -m autograder.suites.image_generators.calibrate --learn`,
# 2-core CPU, TensorFlow 2.21, Keras 3.15; 3.3 s in the worker; step 14 again, twice, with the
# model rebuilt and trained in the clean worker). The budget gives it almost
# three times that many steps: the margin absorbs differences between machines, while a CNN
# that cannot learn (a one-unit softmax output is always 1.0) gets half the batch right.
LEARN_STEPS = 40
LEARN_TIMEOUT = 120.0

# -- accuracy on the mirror ----------------------------------------------------------------
MIRROR_SIZE = 64
MIRROR_EPOCHS = 10
MIRROR_BATCH = 32
MIRROR_RATE = 5e-4
MIRROR_TIMEOUT = 300.0
# Held-out accuracy of the reference under this budget: 0.640 on the 500 images of the kit's
# test split, measured with `CNNKIT_DATA_DIR=... python -m
# autograder.suites.image_generators.calibrate --mirror` (2-core CPU, TensorFlow 2.21,
# Keras 3.15; two fresh workers gave the same value; 40-44 s of training each). The margin
# absorbs floating-point differences between machines; a CNN that learns nothing scores 0.50.
MIRROR_REFERENCE_ACCURACY: float | None = 0.640
MIRROR_MARGIN = 0.05


def load_arrays(folder: str | Path, classes: tuple[str, ...], size: int,
                per_class: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Images of ``folder/<class>/`` as uint8 ``(n, size, size, 3)`` and float labels.

    Files are taken in sorted order (the first ``per_class`` of each class when given) and
    resized with bilinear filtering, the same on every grader.
    """
    from PIL import Image

    images, labels = [], []
    for label, cls in enumerate(classes):
        names = sorted(p for p in (Path(folder) / cls).iterdir()
                       if p.suffix.lower() in IMAGE_SUFFIXES)
        for path in names[:per_class]:
            with Image.open(path) as picture:
                resized = picture.convert("RGB").resize((size, size),
                                                        Image.Resampling.BILINEAR)
                images.append(np.asarray(resized, dtype=np.uint8))
            labels.append(label)
    return np.stack(images), np.asarray(labels, dtype=np.float32)


def _built_cnn(student, worker, size: int):
    """The student's CNN for ``size`` x ``size`` RGB images, built in the student's worker,
    seeded first so that the initial weights do not depend on earlier tests (the training tool
    then rebuilds it in the clean worker, seeded too: rebuilding draws the dropout layers'
    seeds)."""
    worker.tool("seed_everything", SEED)
    return student.build_cnn((size, size, 3))


def learning_run(student, worker, clean_worker, images: np.ndarray,
                 labels: np.ndarray, *, cached: bool = True) -> dict:
    """Build the student's CNN for the batch's size and fit it for ``LEARN_STEPS`` steps in
    the clean worker (a model fitted before is not fitted again unless ``cached`` is false)."""
    model = _built_cnn(student, worker, LEARN_SIZE)
    return trained_in_clean_worker(model, clean_worker, "fit_batch", images, labels,
                                   steps=LEARN_STEPS, learning_rate=LEARN_RATE, seed=SEED,
                                   timeout=LEARN_TIMEOUT, cached=cached)


def steps_to_fit(run: dict, labels: np.ndarray) -> int | None:
    """The first step (1-based) after which the loss is below ``FITTED_LOSS``, when the run
    ends with every image of the batch on the right side of 0.5; otherwise ``None``."""
    losses = np.asarray(run["losses"], dtype=np.float64)
    probabilities = np.asarray(run["probabilities"], dtype=np.float64).reshape(-1)
    if probabilities.shape != labels.shape or not np.all(np.isfinite(losses)):
        return None
    if not np.array_equal(probabilities > 0.5, labels > 0.5):
        return None
    below = np.flatnonzero(losses < FITTED_LOSS)
    return int(below[0]) + 1 if len(below) else None


def mirror_threshold() -> float:
    """The held-out accuracy a student's CNN must reach on the mirror."""
    if MIRROR_REFERENCE_ACCURACY is None:
        raise RuntimeError("the mirror accuracy was never calibrated: run calibrate --mirror")
    return MIRROR_REFERENCE_ACCURACY - MIRROR_MARGIN


def mirror_accuracy(student, worker, clean_worker, arrays, *, cached: bool = True) -> float:
    """Train the student's CNN on the mirror's training split, score it on the test split.

    The grader loaded the images; they reach the clean worker as plain arrays (no worker
    reads the mirror's folder). A model trained before is not trained again unless
    ``cached`` is false."""
    x_train, y_train, x_test, y_test = arrays
    model = _built_cnn(student, worker, MIRROR_SIZE)
    probabilities = trained_in_clean_worker(
        model, clean_worker, "fit_binary_and_predict", x_train, y_train, x_test,
        epochs=MIRROR_EPOCHS, batch_size=MIRROR_BATCH, learning_rate=MIRROR_RATE, seed=SEED,
        timeout=MIRROR_TIMEOUT, cached=cached,
    )["result"]
    probabilities = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    if probabilities.shape != y_test.shape:
        raise AssertionError(
            _("the CNN gave {outputs} outputs for {images} images: one sigmoid probability per "
              "image is expected").format(outputs=probabilities.size, images=y_test.size)
        )
    return float(np.mean((probabilities > 0.5) == (y_test > 0.5)))
