"""Rubric: choosing which neurons to show (five strategies), and the grid of their heat maps.

The hidden statistics are built so that each strategy's usual mistakes change the answer: the
rankings by mean and by max overlap (a "mixed" choice that keeps repeats differs), values tie
(order by index), some channels sit exactly on a threshold (``>=`` differs from ``>``), and
the thresholds are also given (defaults written into the body differ). The figures are
compared with the reference's drawn here from the same activations and statistics.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.engine.figures import compare_figures, describe_and_close, student_figure
from autograder.i18n import _
from autograder.suites.activations.conftest import activations_of, expect_value_error
from cnnkit_student.checks.activations import (
    CHOICE_STATISTICS,
    HEATMAP_COLUMNS,
    HEATMAP_NEURONS,
    HEATMAP_SUPTITLES,
    heatmap_problems,
    retitle_heatmaps,
    suptitle_language,
)

# Heat maps are compared like the other heat-map figures (float32 data, min-max rescaled in
# float64 by the reference: differences below 1e-6 measured).
HEATMAP_ATOL = 1e-5

# Twelve channels, other than the public ones: ties by mean (0.8 at 1, 6, 10) and by max (4.0
# at 3, 9), channels on the default thresholds (3: mean 0.3; 5: max 2.0; 11: both), and the
# strongest by mean second by max (1), so that "mixed" with count 6 or 7 meets a repeat.
HIDDEN_STATISTICS = {
    "mean": np.array([0.2, 0.8, 0.45, 0.3, 0.05, 0.6, 0.8, 0.35, 0.1, 0.5, 0.8, 0.3]),
    "max": np.array([4.5, 5.0, 2.5, 4.0, 6.0, 2.0, 3.5, 2.05, 1.0, 4.0, 1.5, 2.0]),
    "std": np.zeros(12),
    "sparsity": np.zeros(12),
}


def _check_choice(result, expected: np.ndarray, label: str) -> None:
    result = np.asarray(result)
    assert result.dtype.kind in "iu", (
        _("for {label}: integer indices are expected").format(label=label))
    assert result.shape == expected.shape, (
        _("for {label}: {expected} indices are expected, got {got}").format(
            label=label, expected=len(expected), got=result.shape))
    assert np.array_equal(result, expected), (
        _("for {label}: not the channels the strategy chooses, or not in its order").format(
            label=label))


@pytest.mark.rubric(points=1, visibility="public")
def test_select_neurons_top_and_manual(student):
    """select_neurons: "top_mean", "top_max" and "manual" (repeats dropped, cut to count)."""
    cases = [
        (_('"top_mean", count=4'), {"strategy": "top_mean", "count": 4}, [2, 5, 4, 9]),
        (_('"top_max", count=4'), {"strategy": "top_max", "count": 4}, [6, 4, 1, 9]),
        (_('"manual" with a repeated channel, count=3'),
         {"strategy": "manual", "count": 3, "manual": [7, 2, 7, 0, 9]}, [7, 2, 0]),
    ]
    for label, arguments, expected in cases:
        _check_choice(student.select_neurons(CHOICE_STATISTICS, **arguments),
                      np.array(expected), label)


def _real_statistics(reference, networks, hidden_digits, cat) -> list[tuple[str, dict]]:
    digit_maps, _names = activations_of(reference, networks["hidden"], hidden_digits)
    cat_maps, _names = activations_of(reference, networks["colour"], cat)
    return [(_("the second layer of the digit network"),
             reference.neuron_statistics(digit_maps[1])),
            (_("the second layer of the colour network"),
             reference.neuron_statistics(cat_maps[1]))]


@pytest.mark.rubric(points=2, visibility="hidden")
def test_select_neurons_mixed_and_interesting(student, reference, networks, hidden_digits, cat):
    """select_neurons: "mixed" half by mean then by max without repeats, "interesting" with
    both thresholds strictly exceeded, given thresholds, fewer neurons than count."""
    cases = [
        (_('"mixed", count=6'), HIDDEN_STATISTICS, {"strategy": "mixed", "count": 6}),
        (_('"mixed", count=7'), HIDDEN_STATISTICS, {"strategy": "mixed", "count": 7}),
        (_('"mixed", count larger than the number of channels'), HIDDEN_STATISTICS,
         {"strategy": "mixed", "count": 16}),
        (_('"interesting" with the default thresholds'), HIDDEN_STATISTICS,
         {"strategy": "interesting"}),
        (_('"interesting", count=2'), HIDDEN_STATISTICS,
         {"strategy": "interesting", "count": 2}),
        (_('"interesting" with other thresholds'), HIDDEN_STATISTICS,
         {"strategy": "interesting", "mean_threshold": 0.55, "max_threshold": 1.2}),
        (_('"interesting" where no channel qualifies'), HIDDEN_STATISTICS,
         {"strategy": "interesting", "mean_threshold": 0.9}),
    ]
    for label, statistics in _real_statistics(reference, networks, hidden_digits, cat):
        # thresholds in the middle of the layer's values: about a quarter of it qualifies
        thresholds = {"mean_threshold": float(np.median(statistics["mean"])),
                      "max_threshold": float(np.median(statistics["max"]))}
        cases += [
            (_("{label}, {strategy}").format(label=label, strategy=strategy), statistics,
             {"strategy": strategy, "count": 5, **options})
            for strategy, options in (("top_mean", {}), ("top_max", {}), ("mixed", {}),
                                      ("interesting", thresholds))
        ]
    for label, statistics, arguments in cases:
        expected = reference.select_neurons(statistics, **arguments)
        _check_choice(student.select_neurons(statistics, **arguments), expected, label)


@pytest.mark.rubric(points=1, visibility="hidden")
def test_select_neurons_manual_lists_and_errors(student, reference):
    """select_neurons: a manual list kept in its order without repeats, and ValueError for an
    unknown strategy, "manual" without a list, or a channel that does not exist."""
    cases = [
        (_('"manual" with repeats, count=3'), {"manual": [10, 3, 10, 0, 3, 7], "count": 3}),
        (_('"manual", count larger than the list'), {"manual": [10, 3, 10, 0, 3, 7],
                                                     "count": 12}),
    ]
    for label, arguments in cases:
        expected = reference.select_neurons(HIDDEN_STATISTICS, "manual", **arguments)
        _check_choice(student.select_neurons(HIDDEN_STATISTICS, "manual", **arguments),
                      expected, label)
    errors = [
        (_("for the strategy 'top_median'"), {"strategy": "top_median"}),
        (_("for \"manual\" without a list"), {"strategy": "manual"}),
        (_("for a manual channel equal to the number of channels"),
         {"strategy": "manual", "manual": [2, 12]}),
        (_("for a negative manual channel after the first count channels"),
         {"strategy": "manual", "manual": [1, 2, 3, -1], "count": 2}),
    ]
    for label, arguments in errors:
        expect_value_error(lambda arguments=arguments: student.select_neurons(HIDDEN_STATISTICS,
                                                                              **arguments),
                           label)


def _compare(student, reference, activation, statistics, neurons, columns) -> dict:
    """The student's figure against the reference's on the same inputs: the problems found
    (in the student's course language), and both descriptions."""
    figure = student_figure(student.plot_neuron_heatmaps(activation, statistics, neurons,
                                                         columns=columns),
                            "plot_neuron_heatmaps")
    drawn = reference.plot_neuron_heatmaps(activation, statistics, neurons, columns)
    lang = suptitle_language(figure.get("suptitle"), HEATMAP_SUPTITLES)
    if lang != "en":
        retitle_heatmaps(drawn, statistics, neurons, lang)
    expected = describe_and_close(drawn)
    problems = compare_figures(figure, expected, atol=HEATMAP_ATOL, rms_tolerance=None)
    problems += heatmap_problems(figure, expected, neurons)
    return {"problems": problems, "student": figure, "reference": expected}


@pytest.mark.rubric(points=1, visibility="public")
def test_neuron_heatmaps_one_per_chosen_neuron(student, reference, networks, public_digit):
    """plot_neuron_heatmaps: a heat map per chosen neuron, columns to a row, each with a
    colour bar and its mean and max in the title."""
    activations, _names = activations_of(reference, networks["public"], public_digit)
    statistics = reference.neuron_statistics(activations[1])
    found = _compare(student, reference, activations[1], statistics, HEATMAP_NEURONS,
                     HEATMAP_COLUMNS)
    assert not found["problems"], "; ".join(found["problems"])


@pytest.mark.rubric(points=2, visibility="hidden")
def test_neuron_heatmaps_match_the_reference(student, reference, networks, cat, hidden_digits,
                                             pictures):
    """plot_neuron_heatmaps: the reference's figure for a choice with a dead channel, a full
    last row, more rows than two, and titles from statistics of several images."""
    cat_maps, _names = activations_of(reference, networks["colour"], cat)
    cat_statistics = reference.neuron_statistics(cat_maps[1])
    dead = int(np.flatnonzero(cat_statistics["max"] <= 0)[0])
    mixed = [int(i) for i in reference.select_neurons(cat_statistics, "mixed", 5)]
    digit_maps, _names = activations_of(reference, networks["hidden"], hidden_digits)
    # the titles' numbers come from the statistics given, here of three digits, while the
    # picture is the first digit's
    batch_statistics = reference.neuron_statistics(digit_maps[0])
    cases = [
        (_("the colour network, a dead channel among 6, 4 columns"), cat_maps[1],
         cat_statistics, [*mixed, dead], 4),
        (_("the digit network, 3 channels, 3 columns"), digit_maps[0][:1], batch_statistics,
         [6, 0, 3], 3),
        (_("the digit network, 5 channels, 2 columns"), digit_maps[0][0], batch_statistics,
         [7, 2, 5, 1, 4], 2),
    ]
    for label, activation, statistics, neurons, columns in cases:
        found = _compare(student, reference, activation, statistics, neurons, columns)
        pictures.keep(label, student=found["student"]["png"],
                      reference=found["reference"]["png"])
        assert not found["problems"], _("for {label}: {problems}").format(
            label=label, problems="; ".join(found["problems"]))
