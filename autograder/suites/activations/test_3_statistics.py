"""Rubric: per-neuron statistics and the ranking of the strongest neurons."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.i18n import _
from autograder.suites.activations.conftest import activations_of, expect_value_error

KEYS = ("mean", "max", "std", "sparsity")
# Statistics of float32 activations: summing in float32 or float64 changes the last digits.
# Measured on every hidden case (`calibrate`): float32 mean/max/std against the float64 use at
# most 0.73 of (rtol 1e-5, atol 1e-6), so the tolerance is ten times that. A real mistake is
# far larger: std with ddof=1 differs by at least 1.4e-3 (relative) on the smallest layer.
STAT_RTOL, STAT_ATOL = 1e-4, 1e-5

SMALL = np.array(
    [[[0.0, 1.0, 2.0], [0.0, 3.0, 0.0]],
     [[0.0, 0.0, 2.0], [0.0, 4.0, 0.0]]], dtype=np.float32,
)  # (2, 2, 3): channel 0 silent, channel 1 fires three times, channel 2 twice


def _check_statistics(result, expected: dict, label: str) -> None:
    assert isinstance(result, dict), _("for {label}: a dict is expected").format(label=label)
    missing = [key for key in KEYS if key not in result]
    assert not missing, _("for {label}: the keys {missing} are missing").format(
        label=label, missing=missing)
    for key in KEYS:
        values = np.asarray(result[key])
        assert values.shape == expected[key].shape, (
            _("for {label}: {key!r} should hold one value per channel "
              "(shape {expected}), got shape {got}").format(
                label=label, key=key, expected=expected[key].shape, got=values.shape)
        )
        assert np.allclose(values, expected[key], rtol=STAT_RTOL, atol=STAT_ATOL), (
            (_("for {label}: {key!r} differs from the expected values "
               "(the fraction of values <= 0)") if key == "sparsity"
             else _("for {label}: {key!r} differs from the expected values")
             ).format(label=label, key=key)
        )


@pytest.mark.rubric(points=1, visibility="public")
def test_neuron_statistics_on_a_small_map(student):
    """neuron_statistics: mean, max, standard deviation and sparsity per channel."""
    expected = {
        "mean": np.array([0.0, 2.0, 1.0]),
        "max": np.array([0.0, 4.0, 2.0]),
        "std": np.array([0.0, np.std([1.0, 3.0, 0.0, 4.0]), 1.0]),
        "sparsity": np.array([1.0, 0.25, 0.5]),
    }
    _check_statistics(student.neuron_statistics(SMALL), expected,
                      _("a 2x2 map with 3 channels"))


@pytest.mark.rubric(points=1, visibility="hidden")
def test_neuron_statistics_on_real_activations(student, reference, networks, hidden_digits,
                                               cat):
    """neuron_statistics: every layer of two networks, with a batch of digits and with a
    dead channel."""
    digit_maps, _names = activations_of(reference, networks["hidden"], hidden_digits)
    cat_maps, _names = activations_of(reference, networks["colour"], cat, include_pooling=True)
    cases = [(_("layer {n} of the digit network, 3 digits").format(n=n), a)
             for n, a in enumerate(digit_maps, start=1)]
    cases += [(_("layer {n} of the colour network").format(n=n), a)
              for n, a in enumerate(cat_maps, start=1)]
    for label, activation in cases:
        _check_statistics(student.neuron_statistics(activation),
                          reference.neuron_statistics(activation), label)


def _check_top(result, expected: np.ndarray, label: str) -> None:
    result = np.asarray(result)
    assert result.dtype.kind in "iu", (
        _("for {label}: integer indices are expected").format(label=label))
    assert result.shape == expected.shape, (
        _("for {label}: {expected} indices are expected, got {got}").format(
            label=label, expected=len(expected), got=result.shape)
    )
    assert np.array_equal(result, expected), (
        _("for {label}: not the strongest channels, largest first (equal values: smaller "
          "index first)").format(label=label)
    )


@pytest.mark.rubric(points=1, visibility="public")
def test_top_neurons_by_mean_and_by_max(student):
    """top_neurons: the k channels with the largest mean, or max, largest first."""
    statistics = {"mean": np.array([0.1, 0.5, 0.3, 0.2]), "max": np.array([2.0, 1.0, 3.0, 0.5]),
                  "std": np.zeros(4), "sparsity": np.zeros(4)}
    _check_top(student.top_neurons(statistics, k=2), np.array([1, 2]), _("k=2 by mean"))
    _check_top(student.top_neurons(statistics, k=3, criterion="max"), np.array([2, 0, 1]),
               _("k=3 by max"))


@pytest.mark.rubric(points=2, visibility="hidden")
def test_top_neurons_breaks_ties_by_index(student, reference, networks, hidden_digits):
    """top_neurons: equal values keep the smaller index first, k beyond the number of
    channels gives them all, an unknown criterion raises ValueError."""
    digit_maps, _names = activations_of(reference, networks["hidden"], hidden_digits)
    real = reference.neuron_statistics(digit_maps[0])
    rng = np.random.default_rng(17)
    tied = {key: rng.integers(0, 3, size=9).astype(np.float64) for key in KEYS}
    cases = [
        (_("real statistics by mean, k=3"), real, 3, "mean"),
        (_("real statistics by max, all channels"), real, 8, "max"),
        (_("many equal values by mean"), tied, 6, "mean"),
        (_("many equal values by max, k larger than the number of channels"), tied, 20, "max"),
    ]
    for label, statistics, k, criterion in cases:
        _check_top(student.top_neurons(statistics, k=k, criterion=criterion),
                   reference.top_neurons(statistics, k, criterion), label)
    expect_value_error(lambda: student.top_neurons(real, k=3, criterion="median"),
                       _("for the criterion 'median'"))
