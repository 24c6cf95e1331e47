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
from autograder.i18n import _
from autograder.suites.activations.conftest import activations_of
from cnnkit_student.checks.activations import STRONGEST_SUPTITLES

# Heat maps are compared like the heat-map check (float32 data). Measured on the colour case:
# the reference rendered twice, and the reference with float32 heat maps, both give RMS 0.0
# against the reference; the tolerance of 1.0 only absorbs rendering noise.
HEATMAP_ATOL = 1e-5
RMS_TOLERANCE = 1.0


def reference_figure(reference_figure, student: dict) -> dict:
    """The reference's figure, described; titled as the student's when the student used the
    contract's title in another of the course's languages (both render the same otherwise)."""
    if student.get("suptitle") in STRONGEST_SUPTITLES.values():
        reference_figure.suptitle(student["suptitle"])
    return describe_and_close(reference_figure)


@pytest.mark.rubric(points=1, visibility="public")
def test_strongest_channels_figure_has_a_row_per_layer(student, reference, networks,
                                                       public_digit):
    """plot_strongest_channels: one row per layer, k heat maps per row, titled
    "<layer> #<channel>"."""
    activations, names = activations_of(reference, networks["public"], public_digit)
    figure = student_figure(student.plot_strongest_channels(activations, names, k=3),
                            "plot_strongest_channels")
    expected = reference_figure(reference.plot_strongest_channels(activations, names, 3),
                                figure)
    assert len(plot_axes(figure)) == len(plot_axes(expected)), (
        _("{expected} axes (2 layers x 3 channels) are expected, got {got}").format(
            expected=len(plot_axes(expected)), got=len(plot_axes(figure)))
    )
    problems = compare_figures(figure, expected, atol=HEATMAP_ATOL, rms_tolerance=None)
    assert not problems, "; ".join(problems)


@pytest.mark.rubric(points=2, visibility="hidden")
def test_strongest_channels_figure_matches_the_reference(student, reference, networks, cat,
                                                         hidden_digits, pictures):
    """plot_strongest_channels: the reference's figure, data and rendering, for the colour
    network and for a network with fewer channels than k in a layer."""
    cases = [
        (_("the colour network"), *activations_of(reference, networks["colour"], cat), 5),
        (_("k=10 on a layer of 8 channels"),
         *activations_of(reference, networks["hidden"], hidden_digits[:1]), 10),
    ]
    for label, activations, names, k in cases:
        figure = student_figure(student.plot_strongest_channels(activations, names, k=k),
                                "plot_strongest_channels")
        expected = reference_figure(reference.plot_strongest_channels(activations, names, k),
                                    figure)
        pictures.keep(label, student=figure["png"], reference=expected["png"])
        problems = compare_figures(figure, expected, atol=HEATMAP_ATOL,
                                   rms_tolerance=RMS_TOLERANCE)
        assert not problems, _("for {label}: {problems}").format(label=label,
                                                                 problems="; ".join(problems))
