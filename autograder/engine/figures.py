"""Compare figures through their plain descriptions (see :func:`introspect.describe_figure`).

Structure is compared exactly (how many axes, where they sit in the grid, whether their
axis lines and ticks are shown); pixel arrays and line data within a tolerance; the rendered
pictures by their RMS difference, the measure matplotlib's own image tests use.
"""

from __future__ import annotations

# The comparison is the students' package's code (one copy for the public checks and for the
# grader's suites), re-exported here under the names the suites import.
from autograder.i18n import _
from cnnkit_student.describe import (
    IGNORABLE,
    compare_figures,
    describe_figure,
    has_ticks,
    image_of,
    integers_in,
    plot_axes,
    png_to_array,
    rms_difference,
    same_image,
)

__all__ = [
    "IGNORABLE",
    "compare_figures",
    "describe_and_close",
    "has_ticks",
    "image_of",
    "integers_in",
    "plot_axes",
    "png_to_array",
    "rms_difference",
    "same_image",
    "student_figure",
]


def describe_and_close(figure) -> dict:
    """Describe a figure made in the grader process (the reference's), then free it."""
    import matplotlib.pyplot as plt

    try:
        return describe_figure(figure)
    finally:
        plt.close(figure)


def student_figure(result, function: str) -> dict:
    """The plain description of the figure a student's function returned (in the worker).

    Fails the calling test with a rubric message when ``function`` returned something else.
    """
    message = _("{function} must return a matplotlib Figure").format(function=function)
    assert hasattr(result, "inspect"), message
    described = result.inspect("figure")
    assert described["is_figure"], message
    return described
