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
from autograder.i18n import _
from autograder.suites.activations.conftest import activations_of

# Normalised maps are uint8: a float32 computation (the activations are float32) may round a
# value that sits on a boundary to the next grey level (measured: a float32 version differs
# from the reference by 1 level on some pixels of the colour network's maps); anything else
# is exact.
GREY_LEVELS = 1


def _check_picture(result, expected: np.ndarray, label: str, what: str) -> None:
    assert isinstance(result, np.ndarray), (
        _("for {label}: an ndarray is expected").format(label=label))
    assert result.dtype == np.uint8, (
        _("for {label}: dtype uint8 is expected, got {dtype}").format(label=label,
                                                                      dtype=result.dtype))
    assert result.shape == expected.shape, (
        _("for {label}: shape {expected} is expected, got {got}").format(
            label=label, expected=expected.shape, got=result.shape)
    )
    difference = np.abs(result.astype(np.int64) - expected.astype(np.int64))
    assert difference.max() <= GREY_LEVELS, (
        _("for {label}: {count} pixels differ from {what} "
          "(by up to {levels} grey levels)").format(
            label=label, count=int((difference > GREY_LEVELS).sum()), what=what,
            levels=int(difference.max()))
    )


@pytest.mark.rubric(points=1, visibility="public")
def test_normalize_feature_map_on_one_channel(student, reference, networks, public_digit):
    """normalize_feature_map: centred, divided by the standard deviation, x64 +128, clipped,
    uint8."""
    (conv_1, _conv_2), _names = activations_of(reference, networks["public"], public_digit)
    channel = conv_1[0, :, :, 1]
    _check_picture(student.normalize_feature_map(channel),
                   reference.normalize_feature_map(channel),
                   _("one channel of the digit network"), _("the normalised map"))


@pytest.mark.rubric(points=2, visibility="hidden")
def test_normalize_feature_map_on_every_channel(student, reference, networks, hidden_digits,
                                                cat):
    """normalize_feature_map: every non-constant channel of two networks' layers, non-square
    maps included."""
    digit_maps, _names = activations_of(reference, networks["hidden"], hidden_digits[1:2])
    cat_maps, _names = activations_of(reference, networks["colour"], cat)
    for label, maps in ((_("the digit network"), digit_maps),
                        (_("the colour network"), cat_maps)):
        for layer, activation in enumerate(maps, start=1):
            for channel in range(activation.shape[-1]):
                feature_map = activation[0, :, :, channel]
                if np.ptp(feature_map) == 0:
                    continue  # dead (constant) channels have their own check below
                _check_picture(student.normalize_feature_map(feature_map),
                               reference.normalize_feature_map(feature_map),
                               _("channel {channel} of layer {layer} of {network}").format(
                                   channel=channel, layer=layer, network=label),
                               _("the normalised map"))


@pytest.mark.rubric(points=1, visibility="hidden")
def test_normalize_feature_map_is_finite_on_a_constant_map(student, reference, networks,
                                                           hidden_digits):
    """normalize_feature_map: a constant map (a dead ReLU channel) becomes 128 everywhere,
    with no NaN from a zero standard deviation."""
    (conv_1, _conv_2), _names = activations_of(reference, networks["hidden"], hidden_digits[:1])
    cases = {
        _("a dead ReLU channel (all zeros)"): conv_1[0, :, :, -1],
        _("a constant map of another value"): np.full((9, 13), 2.5, dtype=np.float32),
    }
    for label, feature_map in cases.items():
        result = student.normalize_feature_map(feature_map)
        assert isinstance(result, np.ndarray) and result.shape == feature_map.shape, (
            _("for {label}: an array of the map's shape is expected").format(label=label)
        )
        assert np.all(np.isfinite(result.astype(np.float64))), (
            _("for {label}: the result holds NaN").format(label=label)
        )
        assert np.array_equal(result, reference.normalize_feature_map(feature_map)), (
            _("for {label}: every value should be 128 (mid-grey); when the standard deviation "
              "is 0, skip the division instead of dividing by 0 (0 / 0 is NaN, and NaN cast to "
              "uint8 is meaningless)").format(label=label)
        )


@pytest.mark.rubric(points=1, visibility="public")
def test_normalization_grid_places_every_channel(student, reference, networks, public_digit):
    """normalization_grid: channel i at row i // images_per_row, column i % images_per_row."""
    (conv_1, _conv_2), _names = activations_of(reference, networks["public"], public_digit)
    _check_picture(student.normalization_grid(conv_1, images_per_row=4),
                   reference.normalization_grid(conv_1, images_per_row=4),
                   _("8 channels, 4 per row"), _("the grid"))


@pytest.mark.rubric(points=2, visibility="hidden")
def test_normalization_grid_pads_the_last_row(student, reference, networks, hidden_digits, cat):
    """normalization_grid: one channel, a channel count that is not a multiple of
    images_per_row (last row padded, no channel dropped), a dead channel, non-square maps,
    maps without the batch axis."""
    digit_maps, _names = activations_of(reference, networks["hidden"], hidden_digits[2:3])
    cat_maps, _names = activations_of(reference, networks["colour"], cat)
    cases = [
        (_("a single channel"), digit_maps[0][..., 2:3], 8),
        (_("12 channels, 5 per row, one of them dead"), digit_maps[1], 5),
        (_("8 non-square channels, 3 per row, one of them dead"), cat_maps[0], 3),
        (_("12 channels without the batch axis, 8 per row"), cat_maps[1][0], 8),
    ]
    for label, activation, per_row in cases:
        _check_picture(student.normalization_grid(activation, images_per_row=per_row),
                       reference.normalization_grid(activation, images_per_row=per_row),
                       label, _("the grid"))


def _figures(result, label: str) -> list[dict]:
    assert isinstance(result, list), (
        _("for {label}: a list of figures is expected").format(label=label))
    described = []
    for number, figure in enumerate(result, start=1):
        assert hasattr(figure, "inspect"), (
            _("for {label}: item {number} is not a Figure").format(label=label, number=number))
        described.append(figure.inspect("figure"))
        assert described[-1]["is_figure"], (
            _("for {label}: item {number} is not a Figure").format(label=label, number=number))
    return described


@pytest.mark.rubric(points=1, visibility="public")
def test_normalization_grid_figures_one_per_layer(student, reference, networks, public_digit):
    """plot_normalization_grids: one figure per layer, in order, titled with its name."""
    activations, names = activations_of(reference, networks["public"], public_digit)
    figures = _figures(student.plot_normalization_grids(activations, names, images_per_row=4),
                       _("the digit network"))
    assert len(figures) == len(names), (
        _("{expected} figures (one per layer) are expected, got {got}").format(
            expected=len(names), got=len(figures))
    )
    for figure, name in zip(figures, names, strict=True):
        titles = [ax["title"] for ax in figure["axes"]]
        # A layer's name is code (the same in every language): the title must hold it as is.
        assert name in titles, (
            _("the figure of layer {name!r} should be titled {name!r}").format(name=name))


# The rendered comparison: a grid that differs by the allowed grey level here and there must
# still pass. Measured by rendering the reference's figures of the hidden case with 1 added to
# a random 10% of each grid's pixels (3 draws, `calibrate`): RMS at most 0.24 (0-255, dpi 60); the
# reference against itself: 0.0. The tolerance, 3, leaves room for font rendering only.
GRID_RMS_TOLERANCE = 3.0


@pytest.mark.rubric(points=2, visibility="hidden")
def test_normalization_grid_figures_match_the_reference(student, reference, networks,
                                                        hidden_digits, pictures):
    """plot_normalization_grids: each figure's layout, title, colormap, grid and rendering
    match the reference's (layers with pooling, 5 per row; maps taller than wide, 3 per
    row)."""
    cases = [
        (_("the digit network"), networks["hidden"], hidden_digits[:1], 5),
        (_("maps taller than wide"), networks["other_kinds"], hidden_digits[:1, :, 4:24], 3),
    ]
    for label, network, images, per_row in cases:
        activations, names = activations_of(reference, network, images, include_pooling=True)
        figures = _figures(student.plot_normalization_grids(activations, names,
                                                            images_per_row=per_row), label)
        expected = [describe_and_close(f)
                    for f in reference.plot_normalization_grids(activations, names, per_row)]
        assert len(figures) == len(expected), (
            _("for {label}: {expected} figures (one per layer) are expected, got {got}").format(
                label=label, expected=len(expected), got=len(figures))
        )
        for number, (figure, wanted) in enumerate(zip(figures, expected, strict=True), start=1):
            pictures.keep(_("{case}, layer {number}").format(case=label, number=number),
                          student=figure["png"], reference=wanted["png"])
        for number, (figure, wanted) in enumerate(zip(figures, expected, strict=True), start=1):
            problems = compare_figures(figure, wanted, atol=GREY_LEVELS,
                                       rms_tolerance=GRID_RMS_TOLERANCE)
            assert not problems, _("for {label}, figure {number}: {problems}").format(
                label=label, number=number, problems="; ".join(problems))
