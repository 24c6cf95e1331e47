"""Rubric: heat maps, overlays on the photo, and filter pictures."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.i18n import _
from autograder.suites.activations.conftest import activations_of

# Heat maps and filters are computed from float32 data. Measured (`calibrate`) on each
# channel of the colour network's layers: a float32 min-max against the reference's float64
# one differs by at most 1.1e-7.
HEATMAP_ATOL = 1e-5
# Overlays go through a resize and a 256-entry colormap: float32 arithmetic or another bilinear
# resize can move a value to the next colormap entry, a step of at most 0.018 per channel
# ("jet"; 0.011 "viridis", 0.010 "magma"), times alpha. Measured (`calibrate`), first hidden case:
# tf.image.resize instead of skimage's gives 0.0, a float32 image 2e-8; the mistakes give
# 0.40 (alpha 0.7 for 0.3), 0.27 (viridis for jet), 0.07 (min-max after the resize).
OVERLAY_ATOL = 0.03


def _check_array(result, expected: np.ndarray, atol: float, label: str, what: str) -> None:
    assert isinstance(result, np.ndarray), (
        _("for {label}: an ndarray is expected").format(label=label))
    assert result.shape == expected.shape, (
        _("for {label}: shape {expected} is expected, got {got}").format(
            label=label, expected=expected.shape, got=result.shape)
    )
    assert np.all(np.isfinite(result)), (
        _("for {label}: the result holds NaN or infinite values").format(label=label))
    difference = float(np.max(np.abs(result.astype(np.float64) - expected)))
    assert difference <= atol, (
        _("for {label}: {what} differs from the expected one "
          "(max abs diff {difference:.3g})").format(label=label, what=what,
                                                    difference=difference)
    )


@pytest.mark.rubric(points=1, visibility="hidden")
def test_minmax_heatmap_on_real_and_constant_maps(student, reference, networks, cat):
    """minmax_heatmap: rescaled to [0, 1] by the map's minimum and maximum; zeros for a
    constant map."""
    (conv_1, conv_2), _names = activations_of(reference, networks["colour"], cat)
    cases = {
        _("a channel of the first layer"): conv_1[0, :, :, 0],
        _("a channel of the second layer"): conv_2[0, :, :, 4],
        _("a dead (constant) channel"): conv_1[0, :, :, -1],
    }
    for label, feature_map in cases.items():
        _check_array(student.minmax_heatmap(feature_map), reference.minmax_heatmap(feature_map),
                     HEATMAP_ATOL, label, _("the heat map"))


@pytest.mark.rubric(points=1, visibility="public")
def test_overlay_has_the_image_size(student, reference, networks, public_digit):
    """overlay_activation: an RGB float picture of the image's size, the heat map blended in."""
    (conv_1, _conv_2), _names = activations_of(reference, networks["public"], public_digit)
    digit = (public_digit[0, :, :, 0] * 255).astype(np.uint8)
    feature_map = conv_1[0, :, :, 3]
    _check_array(student.overlay_activation(digit, feature_map),
                 reference.overlay_activation(digit, feature_map), OVERLAY_ATOL,
                 _("a grayscale uint8 digit and a 26x26 map"), _("the overlay"))


@pytest.mark.rubric(points=2, visibility="hidden")
def test_overlay_on_the_cat(student, reference, networks, cat, cat_photo):
    """overlay_activation: maps of both layers over the full-size photo and over the small
    float one, with other colormaps and alphas."""
    (conv_1, conv_2), _names = activations_of(reference, networks["colour"], cat)
    cases = [
        (_("the uint8 photo, a first-layer map, jet, alpha 0.3"), cat_photo,
         conv_1[0, :, :, 2], "jet", 0.3),
        (_("the float photo, a second-layer map, viridis, alpha 0.7"), cat[0],
         conv_2[0, :, :, 5], "viridis", 0.7),
        (_("the uint8 photo, a dead channel, magma, alpha 0.5"), cat_photo,
         conv_2[0, :, :, -1], "magma", 0.5),
    ]
    for label, image, feature_map, colormap, alpha in cases:
        _check_array(
            student.overlay_activation(image, feature_map, colormap=colormap, alpha=alpha),
            reference.overlay_activation(image, feature_map, colormap, alpha),
            OVERLAY_ATOL, label, _("the overlay"),
        )


@pytest.mark.rubric(points=1, visibility="public")
def test_filter_pictures_of_a_grayscale_layer(student, reference, networks):
    """filter_pictures: one picture (kh, kw) per filter for a layer with one input channel."""
    kernel = networks["public"].model.get_layer("conv_1").get_weights()[0]
    _check_array(student.filter_pictures(kernel), reference.filter_pictures(kernel),
                 HEATMAP_ATOL, _("the first layer of the digit network"),
                 _("a filter picture"))


@pytest.mark.rubric(points=2, visibility="hidden")
def test_filter_pictures_rgb_and_channel_averaged(student, reference, networks):
    """filter_pictures: RGB pictures for 3 input channels, the mean over input channels
    otherwise, each filter rescaled on its own; a constant filter gives zeros."""
    colour = networks["colour"].model
    flat = colour.get_layer("conv_2").get_weights()[0].copy()
    flat[..., 0] = 0.25  # a constant filter
    cases = {
        _("the first layer of the colour network (3 input channels)"):
            colour.get_layer("conv_1").get_weights()[0],
        _("the second layer of the colour network (8 input channels)"):
            colour.get_layer("conv_2").get_weights()[0],
        _("a layer with a constant filter"): flat,
    }
    for label, kernel in cases.items():
        _check_array(student.filter_pictures(kernel), reference.filter_pictures(kernel),
                     HEATMAP_ATOL, label, _("a filter picture"))
