"""What ``compare_classifiers`` returns, checked: its shape, and its accuracies against the
reference's on the same arrays (shared by the comparison's checks and the pretrained route's)."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
from threadpoolctl import threadpool_limits

from autograder.i18n import _

NAMES = {"SVC", "DecisionTreeClassifier", "RandomForestClassifier", "KNeighborsClassifier"}
# The classifiers that draw no random numbers of their own: a seed changes their accuracies
# only through the PCA in front of them.
UNSEEDED = ("SVC", "KNeighborsClassifier")
SPLITS = ("train", "test")


def tolerance(y_test) -> float:
    """One example more or less right: floating-point noise between processes."""
    return 1.5 / len(y_test)


def check_structure(scores, label: str) -> None:
    """One entry per classifier, each a dict of its train and test accuracy in [0, 1]."""
    assert isinstance(scores, dict), _("for {label}: a dict is expected").format(label=label)
    assert set(scores) == NAMES, (
        _("for {label}: the keys should be {expected}, got {got}").format(
            label=label, expected=sorted(NAMES), got=sorted(map(str, scores)))
    )
    for name, entry in scores.items():
        assert isinstance(entry, dict) and set(entry) == set(SPLITS), (
            _("for {label}: {name} should map to {{'train': ..., 'test': ...}}").format(
                label=label, name=name)
        )
        for split, value in entry.items():
            assert np.isscalar(value) and 0.0 <= float(value) <= 1.0, (
                _("for {label}: {name}'s {split} accuracy should be a number in [0, 1], got "
                  "{value!r}").format(label=label, name=name, split=split, value=value)
            )


def first_difference(scores: dict, expected: dict, within: float,
                     names=None) -> tuple[str, str] | None:
    """The first ``(name, split)`` whose accuracy differs from ``expected``'s by more than
    ``within``, or None."""
    for name in sorted(NAMES) if names is None else names:
        for split in SPLITS:
            if abs(float(scores[name][split]) - float(expected[name][split])) > within:
                return name, split
    return None


@contextmanager
def one_blas_thread():
    """The grader's own scikit-learn fits with one BLAS thread. The randomized PCA of wide
    embeddings makes many small BLAS calls, and OpenBLAS's threads wait for each other on
    every one: with the cores busy (a second lane, TensorFlow's pools) the reference's
    comparison on EfficientNet's embeddings took 1-7 s with two threads, 0.2-0.3 s with one,
    and gave the same accuracies (measured on this kit's 2-core machine)."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield
