"""compare_figures: the engine's figure comparison, on figures made here (matplotlib only)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from autograder.engine.figures import compare_figures, describe_and_close  # noqa: E402

RNG = np.random.default_rng(0)
PICTURES = RNG.random((3, 6, 6))


def grid_figure(pictures=PICTURES, *, cmap="viridis", titles=("a", "b", "c"), suptitle="maps",
                per_row=2, axis=False, figsize=(4, 4), lines=None):
    """A figure drawn the way the course's grids are: one picture per axes, per_row to a row."""
    rows = -(-len(pictures) // per_row)
    figure, axes = plt.subplots(rows, per_row, figsize=figsize, squeeze=False)
    for ax in axes.flat[len(pictures):]:
        ax.remove()
    for ax, picture, title in zip(axes.flat, pictures, titles, strict=False):
        ax.imshow(picture, cmap=cmap)
        ax.set_title(title)
        if not axis:
            ax.axis("off")
    if lines is not None:
        axes.flat[0].plot(*lines)
    if suptitle:
        figure.suptitle(suptitle)
    return describe_and_close(figure)


def test_the_same_figure_drawn_twice_has_no_difference():
    assert compare_figures(grid_figure(), grid_figure()) == []


def test_a_non_figure_is_reported():
    assert compare_figures({"is_figure": False, "type": "list", "axes": []}, grid_figure()) == [
        "a matplotlib Figure is expected, got list"]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"pictures": PICTURES[:2]}, "the figure has 2 axes with content, expected 3"),
        ({"per_row": 3}, "axes 2: it is not at the expected place in the grid of subplots"),
        ({"titles": ("a", "x", "c")}, "axes 2: title 'x' differs from the expected one"),
        ({"suptitle": "other"}, "the figure's title (suptitle) 'other' differs from the "
                                "expected one"),
        ({"axis": True}, "axes 1: the axis lines and ticks are shown, unlike the expected figure"),
        ({"cmap": "gray"}, "axes 1: image uses the colormap 'gray', expected 'viridis'"),
        ({"lines": ([0, 1], [0, 1])}, "axes 1: 1 lines, expected 0"),
    ],
)
def test_structure_is_compared_exactly(changes, expected):
    problems = compare_figures(grid_figure(**changes), grid_figure())
    assert expected in problems, problems


def test_image_values_are_compared_within_the_tolerance_without_revealing_them():
    changed = PICTURES.copy()
    changed[2, 1, 1] += 0.25
    problems = compare_figures(grid_figure(changed), grid_figure())
    assert problems[0] == "axes 3: image differs from the expected one (max abs diff 0.25)"
    assert compare_figures(grid_figure(changed), grid_figure(), atol=0.3,
                           rms_tolerance=None) == []


def test_a_wrong_image_shape_is_reported():
    smaller = [p[:5, :5] for p in PICTURES]
    problems = compare_figures(grid_figure(smaller), grid_figure())
    assert "axes 1: image has shape (5, 5), expected (6, 6)" in problems


def test_colour_limits_are_compared():
    figure, ax = plt.subplots()
    ax.imshow(PICTURES[0], vmin=0, vmax=2)
    wide = describe_and_close(figure)
    figure, ax = plt.subplots()
    ax.imshow(PICTURES[0])
    problems = compare_figures(wide, describe_and_close(figure))
    assert problems and problems[0].startswith("axes 1: the colour limits of image differ")


def test_line_data_are_compared():
    problems = compare_figures(grid_figure(lines=([0, 1, 2], [1, 2, 4])),
                               grid_figure(lines=([0, 1, 2], [1, 2, 3])))
    assert problems == ["axes 1: line 1 (y data) differs from the expected one "
                        "(max abs diff 1)"]


def test_nan_in_an_image_is_a_difference():
    broken = PICTURES.copy()
    broken[0, 0, 0] = np.nan
    problems = compare_figures(grid_figure(broken), grid_figure())
    assert any("NaN" in p for p in problems), problems


def test_normalised_images_ignore_the_scale_and_titles_can_be_free():
    scaled = grid_figure(PICTURES * 255, titles=("1", "2", "3"))
    assert compare_figures(scaled, grid_figure(), ignore={"titles", "rendering"},
                           normalize_images=True) == []
    assert compare_figures(scaled, grid_figure(), ignore={"titles", "rendering"})


def test_aspects_left_free_by_a_contract_can_be_ignored():
    other = grid_figure(cmap="gray", axis=True, suptitle="", titles=("x", "y", "z"))
    assert len(compare_figures(other, grid_figure())) == 7
    assert compare_figures(other, grid_figure(),
                           ignore={"titles", "axis", "colormaps", "rendering"}) == []
    shifted, plain = grid_figure(lines=([1, 2], [5, 6])), grid_figure(lines=([0, 1], [0, 1]))
    assert len(compare_figures(shifted, plain, rms_tolerance=None)) == 2  # x and y data
    assert compare_figures(shifted, plain, ignore={"line_data", "rendering"}) == []
    with pytest.raises(ValueError, match="cannot ignore"):
        compare_figures(grid_figure(), grid_figure(), ignore={"legend"})


def test_the_rendering_is_a_second_check():
    # Same data and structure, but another figure size: only the rendering tells them apart.
    problems = compare_figures(grid_figure(figsize=(5, 4)), grid_figure())
    assert problems == ["the rendered figure does not have the expected size in pixels "
                        "(check its figsize)"]
    # Same size, an extra text drawn: the pixels differ.
    figure, ax = plt.subplots(figsize=(3, 3))
    ax.imshow(PICTURES[0])
    plain = describe_and_close(figure)
    figure, ax = plt.subplots(figsize=(3, 3))
    ax.imshow(PICTURES[0])
    ax.set_xlabel("an x label that takes room")
    labelled = describe_and_close(figure)
    problems = compare_figures(labelled, plain, rms_tolerance=0.5)
    assert len(problems) == 1 and problems[0].startswith("the rendered figure differs"), problems
    assert compare_figures(labelled, plain, rms_tolerance=None) == []


def scatter_figure(points, *, colours=None):
    """One axes with one scatter plot, coloured by ``colours`` (``c=``) when given."""
    figure, ax = plt.subplots(figsize=(3, 3))
    ax.scatter(points[:, 0], points[:, 1], c=colours)
    return describe_and_close(figure)


def test_scatter_plots_are_described_as_plain_points_and_colour_values():
    points = RNG.random((5, 2))
    classes = np.array([0, 1, 1, 0, 2])
    (ax,) = scatter_figure(points, colours=classes)["axes"]
    (scatter,) = ax["scatters"]
    np.testing.assert_array_equal(scatter["offsets"], points)
    np.testing.assert_array_equal(scatter["values"], classes)
    assert scatter["facecolors"].shape == (5, 4)


def test_scatter_plots_are_counted_and_their_points_compared():
    points = RNG.random((5, 2))
    moved = points + np.array([0.0, 0.01])
    assert compare_figures(scatter_figure(moved), scatter_figure(points)) == [
        "axes 1: scatter plot 1 (points) differs from the expected one (max abs diff 0.01)"]
    assert compare_figures(scatter_figure(moved), scatter_figure(points), atol=0.02,
                           ignore={"rendering"}) == []
    assert compare_figures(scatter_figure(moved), scatter_figure(points),
                           ignore={"scatter_data", "rendering"}) == []
    figure, ax = plt.subplots(figsize=(3, 3))
    ax.plot(points[:, 0], points[:, 1], "o")
    assert "axes 1: 0 scatter plots, expected 1" in compare_figures(
        describe_and_close(figure), scatter_figure(points))


def matrix_figure(matrix, names=None, *, transposed=False, ylim=None, numbers_from=0):
    """A confusion matrix drawn as the course does: counts in their cells, ticks named."""
    figure, ax = plt.subplots(figsize=(3, 3))
    ax.imshow(matrix, cmap="Blues")
    for (row, column), count in np.ndenumerate(matrix):
        x, y = (row, column) if transposed else (column, row)
        ax.text(x, y, str(count), ha="center", va="center")
    ticks = range(len(matrix))
    labels = names if names is not None else [str(i + numbers_from) for i in ticks]
    ax.set_xticks(ticks, labels)
    ax.set_yticks(ticks, labels)
    if ylim is not None:
        ax.set_ylim(*ylim)
    return describe_and_close(figure)


MATRIX = np.array([[117, 0], [23, 96]])


def test_named_ticks_must_match_while_numbers_stay_free():
    expected = matrix_figure(MATRIX, ["cats", "dogs"])
    assert compare_figures(matrix_figure(MATRIX, ["cats", "dogs"]), expected) == []
    problems = compare_figures(matrix_figure(MATRIX), expected)
    assert any("tick labels" in p for p in problems), problems
    assert compare_figures(matrix_figure(MATRIX), expected, ignore={"tick_names"},
                           rms_tolerance=None) == []
    # ticks the reference leaves as numbers are not compared (here: numbered from 1)
    assert compare_figures(matrix_figure(MATRIX, numbers_from=1), matrix_figure(MATRIX),
                           rms_tolerance=None) == []


def test_texts_are_compared_with_the_cells_they_are_written_in():
    expected = matrix_figure(MATRIX, ["cats", "dogs"])
    problems = compare_figures(matrix_figure(MATRIX, ["cats", "dogs"], transposed=True), expected,
                               rms_tolerance=None)
    assert problems and all("texts written" in p for p in problems), problems
    assert "23" not in " ".join(problems)  # the message names no value


def test_the_limits_around_an_image_are_compared():
    expected = matrix_figure(MATRIX, ["cats", "dogs"])
    problems = compare_figures(matrix_figure(MATRIX, ["cats", "dogs"], ylim=(2.5, -0.5)),
                               expected, rms_tolerance=None)
    assert problems == ["axes 1: the y axis limits cut or pad the image differently from the "
                        "expected figure"]
    assert compare_figures(matrix_figure(MATRIX, ["cats", "dogs"], ylim=(2.5, -0.5)), expected,
                           ignore={"image_limits", "rendering"}) == []


def test_a_description_from_before_these_fields_compares_as_before():
    expected = matrix_figure(MATRIX, ["cats", "dogs"])
    for ax in expected["axes"]:
        for key in ("text_at", "xticklabels", "yticklabels", "xlim", "ylim"):
            del ax[key]
    assert compare_figures(matrix_figure(MATRIX, transposed=True), expected,
                           rms_tolerance=None) == []


def _with_colour_bars(order):
    """Three maps in a 2x2 grid, each with a colour bar, placed in the cells of ``order``."""
    figure, axes = plt.subplots(2, 2, figsize=(4, 4), squeeze=False)
    for picture, cell in zip(PICTURES, order, strict=True):
        ax = axes.flat[cell]
        figure.colorbar(ax.imshow(picture, cmap="jet"), ax=ax)
        ax.axis("off")
    for cell in sorted(set(range(4)) - set(order), reverse=True):
        axes.flat[cell].remove()
    return describe_and_close(figure)


def test_axes_with_a_colour_bar_keep_their_cell_of_the_figure_grid():
    # a colour bar given its axes nests that axes in a grid of its own: the described place
    # is still the cell of the figure's grid, for the map and for its bar
    figure = _with_colour_bars((0, 1, 2))
    places = [(ax["grid"]["row"], ax["grid"]["col"], ax["is_colorbar"])
              for ax in figure["axes"]]
    assert sorted(places) == [(0, 0, False), (0, 0, True), (0, 1, False), (0, 1, True),
                              (1, 0, False), (1, 0, True)]
    assert all(ax["grid"]["rows"] == 2 and ax["grid"]["cols"] == 2 for ax in figure["axes"])
    # so a map in another cell is a difference (before, every map was at row 0, column 0 of
    # its own small grid)
    problems = compare_figures(_with_colour_bars((0, 1, 3)), figure, rms_tolerance=None)
    assert problems == ["axes 3: it is not at the expected place in the grid of subplots"]
