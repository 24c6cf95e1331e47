"""Rubric: embeddings of every image of an iterator, each beside its own label.

The iterator and the flattening extractor are built in the student's worker (inputs of the
student's function); what it returns is compared here with the images and labels the grader
wrote. Nothing measured in the student's worker decides: that the grader's iterator shuffles
is asked of the same iterator built in the clean worker, and that the student's function read
a shuffled pass is seen in the order of what it returned.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.i18n import _
from autograder.suites.embeddings.conftest import TREE_SIDE, ImageTree

BATCH = 5


def _iterator(worker, tree: ImageTree, *, shuffle: bool, seed: int, **kinds):
    return worker.tool("directory_iterator", tree.in_worker(worker),
                       target_size=(TREE_SIDE, TREE_SIDE), batch_size=BATCH, shuffle=shuffle,
                       seed=seed, **kinds)


def _embeddings(student, worker, tree: ImageTree, *, shuffle: bool, seed: int,
                flatten: bool = True, **kinds):
    iterator = _iterator(worker, tree, shuffle=shuffle, seed=seed, **kinds)
    extractor = worker.tool("flatten_model", (TREE_SIDE, TREE_SIDE, 1), flatten=flatten)
    result = student.extract_embeddings(extractor, iterator)
    assert isinstance(result, tuple) and len(result) == 2, (
        _("a pair (embeddings, labels) is expected")
    )
    embeddings, returned = (np.asarray(v) for v in result)
    n, d = tree.pixels.shape
    assert embeddings.shape == (n, d), (
        _("{n} images of {side}x{side} pixels through a flattening extractor should "
          "give embeddings of shape ({n}, {d}), got {got}") if flatten else
        _("{n} images of {side}x{side} pixels through an extractor whose output is "
          "({side}, {side}, 1) should give flat embeddings of shape ({n}, {d}), got {got}")
    ).format(n=n, side=TREE_SIDE, d=d, got=embeddings.shape)
    assert returned.shape == (n,), (
        _("one label per image is expected: shape ({n},), got {got}").format(
            n=n, got=returned.shape))
    assert returned.dtype.kind in "iu", (
        _("labels must be integers, got {dtype}").format(dtype=returned.dtype))
    assert embeddings.dtype == np.float32, (
        _("embeddings must be float32, got {dtype}").format(dtype=embeddings.dtype))
    return embeddings, returned


def _sources(embeddings: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """Which image each embedding is (the iterator scales pixels by 1/255)."""
    distances = np.abs(embeddings[:, None, :] * 255.0 - pixels[None, :, :]).max(axis=2)
    return np.where(distances.min(axis=1) < 0.5, distances.argmin(axis=1), -1)


@pytest.mark.rubric(points=1, visibility="public")
def test_embeddings_of_an_iterator_in_file_order(student, worker, image_tree):
    """extract_embeddings: float32 (n, d) embeddings and int labels (n,), for an iterator
    that does not shuffle."""
    embeddings, returned = _embeddings(student, worker, image_tree, shuffle=False, seed=0)
    sources = _sources(embeddings, image_tree.pixels)
    assert np.array_equal(sources, np.arange(len(image_tree.labels))), (
        _("every image should appear once, in the iterator's order")
    )
    assert np.array_equal(returned, image_tree.labels), (
        _("the labels are not the images' class indices")
    )


def _other_iterators_and_extractors(student, worker, image_tree) -> None:
    """What a correct function must handle besides a fresh, integer-labelled iterator and a
    flattening extractor (the contract allows each)."""
    cases = {
        _("an iterator two batches of which were already read"): {"batches_read": 2},
        _("an iterator with one-hot labels"): {"class_mode": "categorical"},
        _("an extractor whose output is (h, w, 1), not flat"): {"flatten": False},
    }
    for label, kinds in cases.items():
        embeddings, returned = _embeddings(student, worker, image_tree, shuffle=False, seed=0,
                                           **kinds)
        sources = _sources(embeddings, image_tree.pixels)
        assert np.array_equal(sources, np.arange(len(image_tree.labels))), (
            _("for {label}: every image should appear once, in the iterator's order (reset it "
              "first, then read len(iterator) batches)").format(label=label)
        )
        assert np.array_equal(returned, image_tree.labels), (
            _("for {label}: the labels are not the images' class indices").format(label=label)
        )


SHUFFLE_SEED = 7


@pytest.mark.rubric(points=3, visibility="hidden")
def test_embeddings_stay_aligned_with_labels_when_the_iterator_shuffles(
    student, worker, clean_worker, image_tree
):
    """extract_embeddings: with a shuffling iterator, every image appears once and each
    embedding sits beside its own label; so too with an iterator already partly read, with
    one-hot labels, and with an extractor whose output is not flat."""
    labels = image_tree.labels
    # The check means something only if such an iterator really serves a shuffled order:
    # the same iterator, in the clean worker, draws one batch and says which order it took.
    served = _iterator(clean_worker, image_tree, shuffle=True, seed=SHUFFLE_SEED)
    served.call("__next__")
    order = clean_worker.tool("iterator_order", served)["index_array"]
    assert order is not None and not np.array_equal(order, np.arange(len(labels))), (
        _("the grader's iterator did not shuffle; this is a kit problem")
    )
    embeddings, returned = _embeddings(student, worker, image_tree, shuffle=True,
                                       seed=SHUFFLE_SEED)
    sources = _sources(embeddings, image_tree.pixels)
    assert np.all(sources >= 0), _("some embeddings are not the output of any image")
    assert np.array_equal(np.sort(sources), np.arange(len(labels))), (
        _("every image must appear exactly once: read one full pass of the iterator")
    )
    wrong = int(np.sum(returned != labels[sources]))
    assert wrong == 0, (
        _("{wrong} of {total} embeddings sit beside another image's label: with a "
          "shuffling iterator, take the labels from the same batches as the images, not from "
          "iterator.classes").format(wrong=wrong, total=len(labels))
    )
    # The iterator is an input built in the student's worker, where code could swap the kit's
    # builder for one that does not shuffle; rejecting results in the files' order would stop
    # that, but would also fail a correct function that sorts its results back into file
    # order, so that order is accepted (the kit's README names this limit).
    _other_iterators_and_extractors(student, worker, image_tree)

