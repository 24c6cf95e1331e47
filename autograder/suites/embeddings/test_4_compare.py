"""Rubric: four classical classifiers compared on the same embeddings."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.i18n import _

NAMES = {"SVC", "DecisionTreeClassifier", "RandomForestClassifier", "KNeighborsClassifier"}


def _check_structure(scores, label: str) -> None:
    assert isinstance(scores, dict), _("for {label}: a dict is expected").format(label=label)
    assert set(scores) == NAMES, (
        _("for {label}: the keys should be {expected}, got {got}").format(
            label=label, expected=sorted(NAMES), got=sorted(map(str, scores)))
    )
    for name, entry in scores.items():
        assert isinstance(entry, dict) and set(entry) == {"train", "test"}, (
            _("for {label}: {name} should map to {{'train': ..., 'test': ...}}").format(
                label=label, name=name)
        )
        for split, value in entry.items():
            assert np.isscalar(value) and 0.0 <= float(value) <= 1.0, (
                _("for {label}: {name}'s {split} accuracy should be a number in [0, 1], got "
                  "{value!r}").format(label=label, name=name, split=split, value=value)
            )


@pytest.mark.rubric(points=1, visibility="public")
def test_comparison_reports_train_and_test_accuracy_per_classifier(student, blobs):
    """compare_classifiers: one entry per classifier, each with its train and test accuracy."""
    scores = student.compare_classifiers(*blobs, n_components=5, seed=0)
    _check_structure(scores, _("three clusters in 8 dimensions"))


@pytest.mark.rubric(points=2, visibility="hidden")
def test_comparison_matches_the_reference_and_is_seeded(student, reference, hidden_split):
    """compare_classifiers: on embeddings of real digits, every accuracy equals the
    reference's, and the same seed gives the same numbers."""
    first = student.compare_classifiers(*hidden_split, n_components=20, seed=3, timeout=180)
    _check_structure(first, _("embeddings of digits"))
    expected = reference.compare_classifiers(*hidden_split, n_components=20, seed=3)
    # One example more or less right out of 200: floating-point noise between processes.
    tolerance = 1.5 / len(hidden_split[3])
    for name in sorted(NAMES):
        for split in ("train", "test"):
            assert abs(float(first[name][split]) - expected[name][split]) <= tolerance, (
                _("{name}'s {split} accuracy differs from the reference's: check its "
                  "settings in the table and that it sits behind the scaler and the "
                  "PCA").format(name=name, split=split)
            )
    again = student.compare_classifiers(*hidden_split, n_components=20, seed=3, timeout=180)
    assert again == first, _("two calls with the same seed gave different accuracies")
