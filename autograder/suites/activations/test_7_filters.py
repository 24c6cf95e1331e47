"""Rubric: each chosen channel's filter drawn above the activation map it produces.

The channels are given out of order, and the hidden networks' filters and maps differ from
channel to channel, so a figure that sorts the channels, or pairs a filter with another
channel's map, differs from the reference's. The cases cover an RGB first layer (the colour
network on the cat), a grayscale deeper layer with a dead channel, a layer that reads one
input channel, and a single channel. The reference's figure is drawn here from the same
inputs, titled in the student's course language when the student used it.
"""

from __future__ import annotations

import pytest

from autograder.engine.figures import compare_figures, describe_and_close, student_figure
from autograder.i18n import _
from autograder.suites.activations.conftest import activations_of, expect_value_error
from cnnkit_student.checks.activations import (
    PAIRS_CHANNELS,
    PAIRS_SUPTITLES,
    retitle_pairs,
    size_problems,
    suptitle_language,
)

# Heat maps in float32 against the reference's float64 min-max rescaling, as for the other
# heat-map figures; the rendering is compared too (the reference drawn twice gives RMS 0.0,
# the tolerance only absorbs rendering noise).
HEATMAP_ATOL = 1e-5
RMS_TOLERANCE = 1.0


def _compare(student, reference, kernel, activation, channels) -> list[str]:
    """The problems of the student's figure against the reference's on the same inputs."""
    figure = student_figure(student.plot_filters_and_activations(kernel, activation, channels),
                            "plot_filters_and_activations")
    drawn = reference.plot_filters_and_activations(kernel, activation, channels)
    lang = suptitle_language(figure.get("suptitle"), PAIRS_SUPTITLES)
    if lang != "en":
        retitle_pairs(drawn, channels, lang)
    expected = describe_and_close(drawn)
    problems = compare_figures(figure, expected, atol=HEATMAP_ATOL, rms_tolerance=RMS_TOLERANCE)
    return problems + size_problems(figure, expected)


@pytest.mark.rubric(points=1, visibility="public")
def test_filters_above_their_activations(student, reference, networks, public_digit):
    """plot_filters_and_activations: each chosen channel's filter above its activation map,
    in the order given, titled with the channel."""
    activations, _names = activations_of(reference, networks["public"], public_digit)
    kernel = networks["public"].weights[2]
    problems = _compare(student, reference, kernel, activations[1], PAIRS_CHANNELS)
    assert not problems, "; ".join(problems)


@pytest.mark.rubric(points=2, visibility="hidden")
def test_filters_and_activations_match_the_reference(student, reference, networks, cat,
                                                     hidden_digits):
    """plot_filters_and_activations: the reference's figure for RGB filters of the colour
    network, grayscale filters of a deeper layer with a dead channel, a one-channel input
    layer and a single channel, channels out of order."""
    cat_maps, _names = activations_of(reference, networks["colour"], cat)
    digit_maps, _names = activations_of(reference, networks["hidden"], hidden_digits[1:2])
    colour, hidden = networks["colour"].weights, networks["hidden"].weights
    cases = [
        # channel 7 is dead: a uniform map under its filter
        (_("the RGB filters of the colour network's first layer"), colour[0], cat_maps[0],
         [5, 0, 7, 2]),
        # (h, w, c) without the batch axis; channel 11 is dead
        (_("the grayscale filters of the digit network's second layer"), hidden[2],
         digit_maps[1][0], [11, 3, 8, 4, 0]),
        (_("a single channel of the digit network's first layer"), hidden[0], digit_maps[0],
         [6]),
    ]
    for label, kernel, activation, channels in cases:
        problems = _compare(student, reference, kernel, activation, channels)
        assert not problems, _("for {label}: {problems}").format(label=label,
                                                                 problems="; ".join(problems))


@pytest.mark.rubric(points=1, visibility="hidden")
def test_filters_and_activations_errors(student, reference, networks, hidden_digits):
    """plot_filters_and_activations: ValueError for no channel, a channel the layer does not
    have (too large or negative), and a kernel of another layer than the activation's."""
    maps, _names = activations_of(reference, networks["hidden"], hidden_digits[:1])
    weights = networks["hidden"].weights
    channels = maps[1].shape[-1]
    errors = [
        (_("for an empty list of channels"), weights[2], maps[1], []),
        (_("for a channel equal to the number of channels"), weights[2], maps[1],
         [3, channels]),
        (_("for a negative channel"), weights[2], maps[1], [2, -1]),
        (_("for the first layer's kernel with the second layer's activation"), weights[0],
         maps[1], [1]),
    ]
    for label, kernel, activation, chosen in errors:
        expect_value_error(
            lambda kernel=kernel, activation=activation, chosen=chosen:
            student.plot_filters_and_activations(kernel, activation, chosen),
            label)
