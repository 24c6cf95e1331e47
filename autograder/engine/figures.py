"""Compare figures through their plain descriptions (see :func:`introspect.describe_figure`).

Structure is compared exactly (how many axes, where they sit in the grid, whether their
axis lines and ticks are shown); pixel arrays and line data within a tolerance; the rendered
pictures by their RMS difference, the measure matplotlib's own image tests use.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable

import numpy as np

_INTEGER = re.compile(r"-?\d+")


def describe_and_close(figure) -> dict:
    """Describe a figure made in the grader process (the reference's), then free it."""
    import matplotlib.pyplot as plt

    from autograder.engine.introspect import describe_figure

    try:
        return describe_figure(figure)
    finally:
        plt.close(figure)


def student_figure(result, function: str) -> dict:
    """The plain description of the figure a student's function returned (in the worker).

    Fails the calling test with a rubric message when ``function`` returned something else.
    """
    assert hasattr(result, "inspect"), f"{function} must return a matplotlib Figure"
    described = result.inspect("figure")
    assert described["is_figure"], f"{function} must return a matplotlib Figure"
    return described


def plot_axes(figure: dict) -> list[dict]:
    """The axes that hold content: colourbars and hidden axes are left out."""
    return [ax for ax in figure.get("axes", []) if not ax["is_colorbar"] and ax["visible"]]


def integers_in(text: str) -> list[int]:
    """The integers written in a title, in order: ``"real 3 / predicted 5"`` -> ``[3, 5]``."""
    return [int(match) for match in _INTEGER.findall(text or "")]


def has_ticks(ax: dict) -> bool:
    return ax["axis_on"] and (len(ax["xticks"]) > 0 or len(ax["yticks"]) > 0)


def png_to_array(png: bytes) -> np.ndarray:
    """Decode PNG bytes into a float RGB array in [0, 255] (Pillow parses plain image data)."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.float64)


def rms_difference(png_a: bytes, png_b: bytes) -> float:
    """Root-mean-square pixel difference of two renderings (inf if their sizes differ)."""
    a, b = png_to_array(png_a), png_to_array(png_b)
    if a.shape != b.shape:
        return float("inf")
    return float(np.sqrt(np.mean((a - b) ** 2)))


def image_of(ax: dict) -> np.ndarray | None:
    """The first image an axes shows, as an array, or ``None``."""
    return ax["images"][0]["array"] if ax["images"] else None


def same_image(actual: np.ndarray | None, expected: np.ndarray, *, atol: float = 1e-6) -> bool:
    """Whether an axes' image equals ``expected`` (same shape, values within ``atol``)."""
    if actual is None:
        return False
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    return actual.shape == expected.shape and bool(np.allclose(actual, expected, atol=atol))


def _max_abs_diff(actual, expected) -> float:
    """The largest absolute difference of two same-shaped arrays (NaN counts as infinite)."""
    difference = np.abs(np.asarray(actual, dtype=np.float64) - np.asarray(expected, np.float64))
    if difference.size == 0:
        return 0.0
    if not np.all(np.isfinite(difference)):
        return float("inf")
    return float(difference.max())


def _min_max(array) -> np.ndarray:
    array = np.asarray(array, dtype=np.float64)
    if array.size == 0:
        return array
    span = float(array.max() - array.min())
    return (array - array.min()) / span if span else np.zeros_like(array)


def _grid_of(ax: dict) -> tuple | None:
    grid = ax.get("grid")
    return None if grid is None else (grid["rows"], grid["cols"], grid["row"], grid["col"])


def _compare_arrays(where: str, what: str, actual, expected, atol: float,
                    verb: str = "differs") -> list[str]:
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.shape != expected.shape:
        return [f"{where}: {what} has shape {actual.shape}, expected {expected.shape}"]
    # NaN only matches NaN: a figure that draws nothing where the reference draws a value
    # (or the other way round) is a real difference.
    nan_actual = np.isnan(actual.astype(np.float64))
    nan_expected = np.isnan(expected.astype(np.float64))
    if not np.array_equal(nan_actual, nan_expected):
        return [f"{where}: {what} has missing (NaN) values where the expected one has none, "
                "or the other way round"]
    diff = _max_abs_diff(np.where(nan_actual, 0, actual), np.where(nan_expected, 0, expected))
    if diff > atol:
        return [f"{where}: {what} {verb} from the expected one (max abs diff {diff:.3g})"]
    return []


# What :func:`compare_figures` can be told to leave out, for figures whose contract leaves
# that aspect free (titles written as free text, ticks hidden either way, any colormap...).
IGNORABLE = frozenset({"titles", "axis", "colormaps", "colour_limits", "line_data",
                       "scatter_data", "rendering"})


def _compare_axes(where: str, actual: dict, expected: dict, *, atol: float,
                  ignore: frozenset[str], normalize_images: bool) -> list[str]:
    problems = []
    if _grid_of(actual) != _grid_of(expected):
        problems.append(f"{where}: it is not at the expected place in the grid of subplots")
    if "titles" not in ignore and (
            (actual.get("title") or "").strip() != (expected.get("title") or "").strip()):
        problems.append(f"{where}: title {actual.get('title')!r} differs from the expected one")
    if "axis" not in ignore and actual["axis_on"] != expected["axis_on"]:
        state = "shown" if actual["axis_on"] else "hidden"
        problems.append(f"{where}: the axis lines and ticks are {state}, unlike the expected "
                        "figure")
    for kind, name in (("images", "images"), ("lines", "lines"), ("scatters", "scatter plots")):
        count, wanted = len(actual[kind]), len(expected[kind])
        if count != wanted:
            problems.append(f"{where}: {count} {name}, expected {wanted}")
    if problems:
        return problems
    for number, (mine, theirs) in enumerate(zip(actual["images"], expected["images"],
                                                strict=True), start=1):
        label = "image" if len(expected["images"]) == 1 else f"image {number}"
        if ("colormaps" not in ignore and mine["cmap"] != theirs["cmap"]
                and np.ndim(theirs["array"]) == 2):
            # An RGB(A) image ignores its colormap; only a 2-D array is coloured by it.
            problems.append(f"{where}: {label} uses the colormap {mine['cmap']!r}, "
                            f"expected {theirs['cmap']!r}")
        a, b = mine["array"], theirs["array"]
        if normalize_images and np.shape(a) == np.shape(b):
            a, b = _min_max(a), _min_max(b)
        image_problems = _compare_arrays(where, label, a, b, atol)
        problems += image_problems
        if (not image_problems and not normalize_images and "colour_limits" not in ignore
                and np.ndim(theirs["array"]) == 2):
            clims = [[np.nan if v is None else v for v in c] for c in (mine["clim"],
                                                                       theirs["clim"])]
            # Colour limits are in the image's units: the same tolerance, plus a relative
            # part for large values.
            finite = np.asarray(clims[1], dtype=np.float64)
            scale = float(np.nanmax(np.abs(finite))) if np.any(np.isfinite(finite)) else 0.0
            problems += _compare_arrays(where, f"the colour limits of {label}", clims[0],
                                        clims[1], max(atol, 1e-6 * scale), verb="differ")
    if "line_data" not in ignore:
        for number, (mine, theirs) in enumerate(zip(actual["lines"], expected["lines"],
                                                    strict=True), start=1):
            for coordinate in ("x", "y"):
                problems += _compare_arrays(where, f"line {number} ({coordinate} data)",
                                            mine[coordinate], theirs[coordinate], atol)
    if "scatter_data" not in ignore:
        for number, (mine, theirs) in enumerate(zip(actual["scatters"], expected["scatters"],
                                                    strict=True), start=1):
            problems += _compare_arrays(where, f"scatter plot {number} (points)",
                                        mine["offsets"], theirs["offsets"], atol)
    return problems


def compare_figures(student: dict, reference: dict, *, atol: float = 1e-6,
                    rms_tolerance: float | None = 5.0, ignore: Iterable[str] = (),
                    normalize_images: bool = False) -> list[str]:
    """Compare a figure's description with the reference figure's.

    Structure is compared exactly: the suptitle, how many content axes there are (colour
    bars and hidden axes left out), each one's place in its subplot grid, title, axis
    visibility, how many images, lines and scatter plots it holds, each image's colormap.
    Then the data within ``atol``: image arrays, colour limits, line x/y, scatter points.
    Last, as a second check only when nothing else differs, the two renderings: their root
    mean square pixel difference (0-255 scale, the measure of ``matplotlib.testing.compare``)
    must not exceed ``rms_tolerance``.

    Parameters
    ----------
    student, reference : dict
        Descriptions made by :func:`autograder.engine.introspect.describe_figure`.
    atol : float
        Absolute tolerance on arrays, in the arrays' own units (colour limits too).
    rms_tolerance : float or None
        Largest RMS pixel difference accepted; ``None`` skips the rendered comparison.
    ignore : iterable of str
        Aspects the figure's contract leaves free, from :data:`IGNORABLE`: ``"titles"``
        (axes titles and suptitle), ``"axis"`` (axis shown or hidden), ``"colormaps"``,
        ``"colour_limits"``, ``"line_data"`` (lines are still counted), ``"scatter_data"``
        (scatter plots are still counted), ``"rendering"``.
    normalize_images : bool
        Min-max normalise both images before comparing them (for pictures whose scale is
        free, e.g. a digit drawn as 0-255 or 0-1); colour limits are then not compared.

    Returns
    -------
    list[str]
        Human-readable differences, empty when the figures agree. They name axes by their
        position ("axes 3") and give sizes of differences, never the expected values.
    """
    ignore = frozenset(ignore)
    unknown = ignore - IGNORABLE
    if unknown:
        raise ValueError(f"compare_figures cannot ignore {sorted(unknown)}")
    if not student.get("is_figure"):
        return [f"a matplotlib Figure is expected, got {student.get('type', 'something else')}"]
    problems = []
    if "titles" not in ignore and (
            (student.get("suptitle") or "") != (reference.get("suptitle") or "")):
        problems.append(f"the figure's title (suptitle) {student.get('suptitle')!r} differs "
                        "from the expected one")
    mine, theirs = plot_axes(student), plot_axes(reference)
    if len(mine) != len(theirs):
        problems.append(f"the figure has {len(mine)} axes with content, expected {len(theirs)}")
        return problems
    for number, (actual, expected) in enumerate(zip(mine, theirs, strict=True), start=1):
        problems += _compare_axes(f"axes {number}", actual, expected, atol=atol, ignore=ignore,
                                  normalize_images=normalize_images)
    if problems or rms_tolerance is None or "rendering" in ignore:
        return problems
    if student.get("png") is None or reference.get("png") is None:
        return problems
    rms = rms_difference(student["png"], reference["png"])
    if not np.isfinite(rms):
        problems.append("the rendered figure does not have the expected size in pixels "
                        "(check its figsize)")
    elif rms > rms_tolerance:
        problems.append(f"the rendered figure differs from the expected one (RMS {rms:.2f} "
                        f"over pixels, {rms_tolerance:g} allowed)")
    return problems
