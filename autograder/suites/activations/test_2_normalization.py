"""Rubric: normalising feature maps, the normalisation grid, and its figures.

Every value checked here is what a student's function returned (its answer), compared with
the reference's on activations computed in the grader. The figures are described in the
student's worker (``figure.inspect("figure")``): a forged description can only claim what a
correct figure shows, which is the work asked; the reference is drawn here.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.engine.figures import compare_figures, describe_and_close
from autograder.suites.activations.conftest import activations_of

# Normalised maps are uint8: a float32 computation (the activations are float32) may round a
# value that sits on a boundary to the next grey level (measured: a float32 version differs
# from the reference by 1 level on some pixels of the colour network's maps); anything else
# is exact.
GREY_LEVELS = 1


def _check_picture(result, expected: np.ndarray, label: str, what: str) -> None:
    assert isinstance(result, np.ndarray), f"for {label}: an ndarray is expected"
    assert result.dtype == np.uint8, f"for {label}: dtype uint8 is expected, got {result.dtype}"
    assert result.shape == expected.shape, (
        f"for {label}: shape {expected.shape} is expected, got {result.shape}"
    )
    difference = np.abs(result.astype(np.int64) - expected.astype(np.int64))
    assert difference.max() <= GREY_LEVELS, (
        f"for {label}: {int((difference > GREY_LEVELS).sum())} pixels differ from {what} "
        f"(by up to {int(difference.max())} grey levels)"
    )


@pytest.mark.rubric(points=1, visibility="public")
def test_normalize_feature_map_on_one_channel(student, reference, networks, public_digit):
    """normalize_feature_map: centred, divided by the standard deviation, x64 +128, clipped,
    uint8."""
    (conv_1, _), _ = activations_of(reference, networks["public"], public_digit)
    channel = conv_1[0, :, :, 1]
    _check_picture(student.normalize_feature_map(channel),
                   reference.normalize_feature_map(channel), "one channel of the digit network",
                   "the normalised map")


@pytest.mark.rubric(points=2, visibility="hidden")
def test_normalize_feature_map_on_every_channel(student, reference, networks, hidden_digits,
                                                cat):
    """normalize_feature_map: every non-constant channel of two networks' layers, non-square
    maps included."""
    digit_maps, _ = activations_of(reference, networks["hidden"], hidden_digits[1:2])
    cat_maps, _ = activations_of(reference, networks["colour"], cat)
    for label, maps in (("the digit network", digit_maps), ("the colour network", cat_maps)):
        for layer, activation in enumerate(maps, start=1):
            for channel in range(activation.shape[-1]):
                feature_map = activation[0, :, :, channel]
                if np.ptp(feature_map) == 0:
                    continue  # dead (constant) channels have their own check below
                _check_picture(student.normalize_feature_map(feature_map),
                               reference.normalize_feature_map(feature_map),
                               f"channel {channel} of layer {layer} of {label}",
                               "the normalised map")


@pytest.mark.rubric(points=1, visibility="hidden")
def test_normalize_feature_map_is_finite_on_a_constant_map(student, reference, networks,
                                                           hidden_digits):
    """normalize_feature_map: a constant map (a dead ReLU channel) becomes 128 everywhere,
    with no NaN from a zero standard deviation."""
    (conv_1, _), _ = activations_of(reference, networks["hidden"], hidden_digits[:1])
    cases = {
        "a dead ReLU channel (all zeros)": conv_1[0, :, :, -1],
        "a constant map of another value": np.full((9, 13), 2.5, dtype=np.float32),
    }
    for label, feature_map in cases.items():
        result = student.normalize_feature_map(feature_map)
        assert isinstance(result, np.ndarray) and result.shape == feature_map.shape, (
            f"for {label}: an array of the map's shape is expected"
        )
        assert np.all(np.isfinite(result.astype(np.float64))), (
            f"for {label}: the result holds NaN"
        )
        assert np.array_equal(result, reference.normalize_feature_map(feature_map)), (
            f"for {label}: every value should be 128 (mid-grey); when the standard deviation "
            "is 0, skip the division instead of dividing by 0 (0 / 0 is NaN, and NaN cast to "
            "uint8 is meaningless)"
        )


@pytest.mark.rubric(points=1, visibility="public")
def test_normalization_grid_places_every_channel(student, reference, networks, public_digit):
    """normalization_grid: channel i at row i // images_per_row, column i % images_per_row."""
    (conv_1, _), _ = activations_of(reference, networks["public"], public_digit)
    _check_picture(student.normalization_grid(conv_1, images_per_row=4),
                   reference.normalization_grid(conv_1, images_per_row=4),
                   "8 channels, 4 per row", "the grid")


@pytest.mark.rubric(points=2, visibility="hidden")
def test_normalization_grid_pads_the_last_row(student, reference, networks, hidden_digits, cat):
    """normalization_grid: one channel, a channel count that is not a multiple of
    images_per_row (last row padded, no channel dropped), a dead channel, non-square maps,
    maps without the batch axis."""
    digit_maps, _ = activations_of(reference, networks["hidden"], hidden_digits[2:3])
    cat_maps, _ = activations_of(reference, networks["colour"], cat)
    cases = [
        ("a single channel", digit_maps[0][..., 2:3], 8),
        ("12 channels, 5 per row, one of them dead", digit_maps[1], 5),
        ("8 non-square channels, 3 per row, one of them dead", cat_maps[0], 3),
        ("12 channels without the batch axis, 8 per row", cat_maps[1][0], 8),
    ]
    for label, activation, per_row in cases:
        _check_picture(student.normalization_grid(activation, images_per_row=per_row),
                       reference.normalization_grid(activation, images_per_row=per_row),
                       label, "the grid")


def _figures(result, label: str) -> list[dict]:
    assert isinstance(result, list), f"for {label}: a list of figures is expected"
    described = []
    for number, figure in enumerate(result, start=1):
        assert hasattr(figure, "inspect"), f"for {label}: item {number} is not a Figure"
        described.append(figure.inspect("figure"))
        assert described[-1]["is_figure"], f"for {label}: item {number} is not a Figure"
    return described


@pytest.mark.rubric(points=1, visibility="public")
def test_normalization_grid_figures_one_per_layer(student, reference, networks, public_digit):
    """plot_normalization_grids: one figure per layer, in order, titled with its name."""
    activations, names = activations_of(reference, networks["public"], public_digit)
    figures = _figures(student.plot_normalization_grids(activations, names, images_per_row=4),
                       "the digit network")
    assert len(figures) == len(names), (
        f"{len(names)} figures (one per layer) are expected, got {len(figures)}"
    )
    for figure, name in zip(figures, names, strict=True):
        titles = [ax["title"] for ax in figure["axes"]]
        assert name in titles, f"the figure of layer {name!r} should be titled {name!r}"


# The rendered comparison: a grid that differs by the allowed grey level here and there must
# still pass. Measured by rendering the reference's figures of the hidden case with 1 added to
# a random 10% of each grid's pixels (3 draws, `calibrate`): RMS at most 0.24 (0-255, dpi 60); the
# reference against itself: 0.0. The tolerance, 3, leaves room for font rendering only.
GRID_RMS_TOLERANCE = 3.0


@pytest.mark.rubric(points=2, visibility="hidden")
def test_normalization_grid_figures_match_the_reference(student, reference, networks,
                                                        hidden_digits, pictures):
    """plot_normalization_grids: each figure's layout, title, colormap, grid and rendering
    match the reference's (layers with pooling, 5 per row)."""
    activations, names = activations_of(reference, networks["hidden"], hidden_digits[:1],
                                        include_pooling=True)
    figures = _figures(student.plot_normalization_grids(activations, names, images_per_row=5),
                       "the digit network")
    expected = [describe_and_close(f)
                for f in reference.plot_normalization_grids(activations, names, 5)]
    assert len(figures) == len(expected), (
        f"{len(expected)} figures (one per layer) are expected, got {len(figures)}"
    )
    for number, (figure, wanted) in enumerate(zip(figures, expected, strict=True), start=1):
        pictures.keep(f"layer {number}", student=figure["png"], reference=wanted["png"])
    for number, (figure, wanted) in enumerate(zip(figures, expected, strict=True), start=1):
        problems = compare_figures(figure, wanted, atol=GREY_LEVELS,
                                   rms_tolerance=GRID_RMS_TOLERANCE)
        assert not problems, f"figure {number}: " + "; ".join(problems)
