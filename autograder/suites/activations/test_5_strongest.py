"""Rubric: the figure that compares the strongest channels of several layers.

The student's figure is described in the student's worker (``student_figure``): a forged
description can only claim what a correct figure shows, which is the work asked; the
reference is drawn here from the same activations.
"""

from __future__ import annotations

import pytest

from autograder.engine.figures import (
    compare_figures,
    describe_and_close,
    plot_axes,
    student_figure,
)
from autograder.suites.activations.conftest import activations_of

# Heat maps are compared like the heat-map check (float32 data). Measured on the colour case:
# the reference rendered twice, and the reference with float32 heat maps, both give RMS 0.0
# against the reference; the tolerance of 1.0 only absorbs rendering noise.
HEATMAP_ATOL = 1e-5
RMS_TOLERANCE = 1.0


@pytest.mark.rubric(points=1, visibility="public")
def test_strongest_channels_figure_has_a_row_per_layer(student, reference, networks,
                                                       public_digit):
    """plot_strongest_channels: one row per layer, k heat maps per row, titled
    "<layer> #<channel>"."""
    activations, names = activations_of(reference, networks["public"], public_digit)
    figure = student_figure(student.plot_strongest_channels(activations, names, k=3),
                            "plot_strongest_channels")
    expected = describe_and_close(reference.plot_strongest_channels(activations, names, 3))
    assert len(plot_axes(figure)) == len(plot_axes(expected)), (
        f"{len(plot_axes(expected))} axes (2 layers x 3 channels) are expected, "
        f"got {len(plot_axes(figure))}"
    )
    problems = compare_figures(figure, expected, atol=HEATMAP_ATOL, rms_tolerance=None)
    assert not problems, "; ".join(problems)


@pytest.mark.rubric(points=2, visibility="hidden")
def test_strongest_channels_figure_matches_the_reference(student, reference, networks, cat,
                                                         hidden_digits, pictures):
    """plot_strongest_channels: the reference's figure, data and rendering, for the colour
    network and for a network with fewer channels than k in a layer."""
    cases = [
        ("the colour network", *activations_of(reference, networks["colour"], cat), 5),
        ("k=10 on a layer of 8 channels",
         *activations_of(reference, networks["hidden"], hidden_digits[:1]), 10),
    ]
    for label, activations, names, k in cases:
        figure = student_figure(student.plot_strongest_channels(activations, names, k=k),
                                "plot_strongest_channels")
        expected = describe_and_close(reference.plot_strongest_channels(activations, names, k))
        pictures.keep(label, student=figure["png"], reference=expected["png"])
        problems = compare_figures(figure, expected, atol=HEATMAP_ATOL,
                                   rms_tolerance=RMS_TOLERANCE)
        assert not problems, f"for {label}: " + "; ".join(problems)
