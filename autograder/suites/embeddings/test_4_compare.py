"""Rubric: four classical classifiers compared on the same embeddings."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.i18n import _
from autograder.suites.embeddings.comparison import (
    UNSEEDED,
    check_structure,
    first_difference,
    one_blas_thread,
    tolerance,
)


@pytest.mark.rubric(points=1, visibility="public")
def test_comparison_reports_train_and_test_accuracy_per_classifier(student, blobs):
    """compare_classifiers: one entry per classifier, each with its train and test accuracy."""
    scores = student.compare_classifiers(*blobs, n_components=5, seed=0)
    check_structure(scores, _("three clusters in 8 dimensions"))


@pytest.mark.rubric(points=2, visibility="hidden")
def test_comparison_matches_the_reference_and_is_seeded(student, reference, hidden_split):
    """compare_classifiers: on embeddings of real digits, every accuracy equals the
    reference's, and the same seed gives the same numbers."""
    first = student.compare_classifiers(*hidden_split, n_components=20, seed=3, timeout=180)
    check_structure(first, _("embeddings of digits"))
    expected = reference.compare_classifiers(*hidden_split, n_components=20, seed=3)
    # One example more or less right out of 200: floating-point noise between processes.
    wrong = first_difference(first, expected, tolerance(hidden_split[3]))
    assert wrong is None, (
        _("{name}'s {split} accuracy differs from the reference's: check its "
          "settings in the table and that it sits behind the scaler and the "
          "PCA").format(name=wrong[0], split=wrong[1])
    )
    again = student.compare_classifiers(*hidden_split, n_components=20, seed=3, timeout=180)
    assert again == first, _("two calls with the same seed gave different accuracies")


# Embeddings wide enough for the PCA's randomized solver: scikit-learn's PCA (svd_solver="auto")
# takes it when the data has more than 500 coordinates and fewer than 0.8 times its smaller
# side are kept; on the digits' 64 coordinates above it takes the exact solver, where
# random_state changes nothing, so a seed that never reaches the PCA goes unseen there. Here,
# noise in every direction around three close centres: a spectrum so flat that the components
# the randomized solver finds, and so the accuracies, depend on its random_state.
WIDE_EXAMPLES = 60  # for training, and as many for testing
WIDE_DIMENSIONS = 600
WIDE_COMPONENTS = 8
WIDE_SEED = 4


@pytest.fixture(scope="module")
def wide_split() -> tuple[np.ndarray, ...]:
    """Seeded wide embeddings: three classes, 60 training and 60 test rows of 600 numbers."""
    rng = np.random.default_rng(5)
    centres = rng.normal(0, 0.12, size=(3, WIDE_DIMENSIONS))
    labels = (np.arange(WIDE_EXAMPLES) % 3).astype(np.int64)
    x_train = centres[labels] + rng.normal(0, 1, size=(WIDE_EXAMPLES, WIDE_DIMENSIONS))
    x_test = centres[labels] + rng.normal(0, 1, size=(WIDE_EXAMPLES, WIDE_DIMENSIONS))
    return x_train, labels, x_test, labels.copy()


@pytest.mark.rubric(points=1, visibility="hidden")
def test_comparison_passes_its_seed_to_every_pca(student, reference, wide_split):
    """compare_classifiers: on wide embeddings, where the PCA draws random numbers, another
    seed gives the reference's accuracies: the seed reaches every pipeline's PCA."""
    within = tolerance(wide_split[3])
    with one_blas_thread():
        expected = reference.compare_classifiers(*wide_split, n_components=WIDE_COMPONENTS,
                                                 seed=WIDE_SEED)
        seed_zero = reference.compare_classifiers(*wide_split, n_components=WIDE_COMPONENTS,
                                                  seed=0)
    # The check means something only if the seed changes what the PCA finds here: with seed 0
    # instead (a seed that never reaches the PCA), the classifiers whose only randomness is
    # the PCA's must score clearly differently. Grader-side, on the reference alone; if it
    # ever failed (another scikit-learn), the check would say nothing, so it is refused as
    # the kit's problem rather than passed or failed.
    if first_difference(seed_zero, expected, 2 * within, UNSEEDED) is None:
        raise RuntimeError(f"seed {WIDE_SEED} and seed 0 give the same accuracies on the wide "
                           "embeddings: the seed check would catch nothing")
    scores = student.compare_classifiers(*wide_split, n_components=WIDE_COMPONENTS,
                                         seed=WIDE_SEED, timeout=180)
    check_structure(scores, _("embeddings of 600 numbers"))
    wrong = first_difference(scores, expected, within)
    assert wrong is None, (
        _("with seed={seed}, {name}'s {split} accuracy differs from the reference's: check "
          "its settings in the table, and that the seed reaches every pipeline, where it is "
          "the PCA's random_state").format(
            seed=WIDE_SEED, name=wrong[0], split=wrong[1])
    )
