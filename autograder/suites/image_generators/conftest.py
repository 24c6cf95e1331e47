"""Fixtures of the cats-vs-dogs suite: image folders the grader writes itself (known contents,
varied sizes), real images for the training checks, and the reference, in the grader only."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from autograder.data import find_mirror, load_cats_dogs
from autograder.engine.reference import reference_module
from autograder.i18n import _
from autograder.suites.image_generators import budget

ASSIGNMENT = "02_cats_dogs"
CLASSES = ("cats", "dogs")

# split -> (numbers of the cat files, numbers of the dog files). The numbers make the
# sorted order of the names differ from their numeric order (cat.10 before cat.2), and the
# test split is unbalanced, so that an iterator which shuffles or sorts differently shows.
TREE_LAYOUT = {
    "train": ([1, 2, 3, 10, 11, 20], [4, 5, 12, 13, 30, 31]),
    "validation": ([40, 41, 100], [42, 43, 101]),
    "test": ([7, 8, 9, 70, 700], [6, 60, 600]),
}


def _write_tree(root: Path, seed: int) -> dict[str, Path]:
    """Class folders of random-noise RGB PNGs, each of its own size (lossless: the pixel
    values the grader wrote are the ones the generators read)."""
    rng = np.random.default_rng(seed)
    folders = {}
    for split, numbers in TREE_LAYOUT.items():
        folders[split] = root / split
        for cls, values in zip(CLASSES, numbers, strict=True):
            folder = root / split / cls
            folder.mkdir(parents=True, exist_ok=True)
            for number in values:
                height, width = (int(v) for v in rng.integers(20, 61, size=2))
                pixels = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(folder / f"{cls[:-1]}.{number}.png")
    return folders


# What a correct count_images_per_class finds in the tree below.
COUNTS = {"birds": 5, "empty": 0, "fish": 2}


def _write_count_tree(root: Path) -> None:
    """Class folders holding images in several formats and letter cases, plus files that are
    not images (the counts are ``COUNTS``)."""
    rng = np.random.default_rng(5)

    def picture(path: Path, kind: str) -> None:
        pixels = rng.integers(0, 256, size=(12, 16, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(path, format=kind)

    (root / "birds").mkdir(parents=True)
    formats = [(".png", "PNG"), (".JPG", "JPEG"), (".jpeg", "JPEG"), (".bmp", "BMP"),
               (".Png", "PNG")]
    for index, (suffix, kind) in enumerate(formats):
        picture(root / "birds" / f"bird.{index}{suffix}", kind)
    (root / "birds" / "notes.txt").write_text("not an image\n", encoding="utf-8")
    (root / "birds" / ".DS_Store").write_bytes(b"\0\1")
    (root / "fish").mkdir()
    for index in range(2):
        picture(root / "fish" / f"fish.{index}.jpg", "JPEG")
    (root / "fish" / "fish.csv").write_text("a,b\n", encoding="utf-8")
    (root / "empty").mkdir()
    (root / "labels.txt").write_text("birds\nfish\n", encoding="utf-8")


def _handed_over(worker, name: str, write) -> Path:
    """``name`` in the worker's handover folder, the only folder of the grader's that the
    sandboxed worker can read; written now unless this worker process already has it (a
    restarted worker gets a new, empty folder, hence function-scoped fixtures)."""
    root = worker.handover_dir / name
    if not root.is_dir():
        partial = root.with_name(f"{name}.partial")
        write(partial)
        for path in (partial, *partial.rglob("*")):  # the worker may run as another user
            path.chmod(0o755 if path.is_dir() else 0o644)
        partial.rename(root)
    return root


@pytest.fixture
def image_tree(worker) -> dict[str, str]:
    """``{"root": dir, "train": dir, "validation": dir, "test": dir}`` of a small generated
    image tree, in the folder handed to the worker (the same contents in every process)."""
    root = _handed_over(worker, "image-tree", lambda path: _write_tree(path, seed=2024))
    return {"root": str(root), **{split: str(root / split) for split in TREE_LAYOUT}}


@pytest.fixture
def count_tree(worker) -> tuple[str, dict[str, int]]:
    """A folder whose class folders hold images in several formats and letter cases, plus
    files that are not images (handed to the worker); and the counts a correct function
    finds."""
    return str(_handed_over(worker, "count-tree", _write_count_tree)), dict(COUNTS)


@functools.cache
def _learning_batch() -> tuple[np.ndarray, np.ndarray, str]:
    data = load_cats_dogs("standin", verbose=False)
    images, labels = budget.load_arrays(data.train_dir, data.classes, budget.LEARN_SIZE,
                                        per_class=budget.LEARN_PER_CLASS)
    return images, labels, data.detail


@pytest.fixture(scope="session")
def learning_batch(grading_record) -> tuple[np.ndarray, np.ndarray]:
    """A small fixed batch of real images (the kit's offline stand-in digits, two classes),
    the same wherever the grader runs."""
    images, labels, detail = _learning_batch()
    grading_record["learning_batch"] = detail
    return images, labels


@functools.cache
def _mirror_arrays(folder: str):
    data = load_cats_dogs("mirror", folder, verbose=False)
    x_train, y_train = budget.load_arrays(data.train_dir, data.classes, budget.MIRROR_SIZE)
    x_test, y_test = budget.load_arrays(data.test_dir, data.classes, budget.MIRROR_SIZE)
    return x_train, y_train, x_test, y_test, data.detail


@pytest.fixture(scope="session")
def mirror_data(grading_record):
    """The cats-vs-dogs mirror as arrays (train, and the kit's held-out test split); the
    check that needs it is skipped when no mirror is configured."""
    folder = find_mirror()
    if folder is None:
        pytest.skip(
            _("skipped: no cats-vs-dogs mirror on this grader (set CNNKIT_DATA_DIR to the "
              "cats_and_dogs_filtered folder or to the directory that holds it)")
        )
    *arrays, detail = _mirror_arrays(str(folder))
    grading_record["cats_dogs_mirror"] = detail
    return tuple(arrays)


@pytest.fixture(scope="session")
def reference():
    """The reference solution's functions (never sent to the worker)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return reference_module(ASSIGNMENT)
