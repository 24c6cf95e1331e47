"""Rubric: embeddings of every image of an iterator, each beside its own label."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.suites.embeddings.conftest import TREE_SIDE

BATCH = 5


def _embeddings(student, worker, tree, *, shuffle: bool, seed: int):
    folder, pixels, labels = tree
    iterator = worker.tool("directory_iterator", folder, target_size=(TREE_SIDE, TREE_SIDE),
                           batch_size=BATCH, shuffle=shuffle, seed=seed)
    extractor = worker.tool("flatten_model", (TREE_SIDE, TREE_SIDE, 1))
    result = student.extract_embeddings(extractor, iterator)
    assert isinstance(result, tuple) and len(result) == 2, (
        "a pair (embeddings, labels) is expected"
    )
    embeddings, returned = (np.asarray(v) for v in result)
    n, d = pixels.shape
    assert embeddings.shape == (n, d), (
        f"{n} images of {TREE_SIDE}x{TREE_SIDE} pixels through a flattening extractor should "
        f"give embeddings of shape ({n}, {d}), got {embeddings.shape}"
    )
    assert returned.shape == (n,), f"one label per image is expected: shape ({n},), got " \
        f"{returned.shape}"
    assert returned.dtype.kind in "iu", f"labels must be integers, got {returned.dtype}"
    assert embeddings.dtype == np.float32, f"embeddings must be float32, got {embeddings.dtype}"
    return iterator, embeddings, returned


def _sources(embeddings: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """Which image each embedding is (the iterator scales pixels by 1/255)."""
    distances = np.abs(embeddings[:, None, :] * 255.0 - pixels[None, :, :]).max(axis=2)
    return np.where(distances.min(axis=1) < 0.5, distances.argmin(axis=1), -1)


@pytest.mark.rubric(points=1, visibility="public")
def test_embeddings_of_an_iterator_in_file_order(student, worker, image_tree):
    """extract_embeddings: float32 (n, d) embeddings and int labels (n,), for an iterator
    that does not shuffle."""
    _, pixels, labels = image_tree
    _, embeddings, returned = _embeddings(student, worker, image_tree, shuffle=False, seed=0)
    sources = _sources(embeddings, pixels)
    assert np.array_equal(sources, np.arange(len(labels))), (
        "every image should appear once, in the iterator's order"
    )
    assert np.array_equal(returned, labels), "the labels are not the images' class indices"


@pytest.mark.rubric(points=3, visibility="hidden")
def test_embeddings_stay_aligned_with_labels_when_the_iterator_shuffles(
    student, worker, image_tree
):
    """extract_embeddings: with a shuffling iterator, every image appears once and each
    embedding sits beside its own label."""
    _, pixels, labels = image_tree
    iterator, embeddings, returned = _embeddings(student, worker, image_tree, shuffle=True,
                                                 seed=7)
    served = worker.tool("iterator_order", iterator)
    # The check means something only if the iterator really served a shuffled order.
    assert served["shuffle"] and served["index_array"] is not None, (
        "the iterator was not read (use its batches: reset it and take len(iterator) batches)"
    )
    assert not np.array_equal(served["index_array"], np.arange(len(labels))), (
        "the grader's iterator did not shuffle; this is a kit problem"
    )
    sources = _sources(embeddings, pixels)
    assert np.all(sources >= 0), "some embeddings are not the output of any image"
    assert np.array_equal(np.sort(sources), np.arange(len(labels))), (
        "every image must appear exactly once: read one full pass of the iterator"
    )
    wrong = int(np.sum(returned != labels[sources]))
    assert wrong == 0, (
        f"{wrong} of {len(labels)} embeddings sit beside another image's label: with a "
        "shuffling iterator, take the labels from the same batches as the images, not from "
        "iterator.classes"
    )
