"""Rubric: preprocessing digits for the network."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.i18n import _


@pytest.mark.rubric(points=1, visibility="public")
def test_preprocess_returns_float32_with_a_channel_axis(student, public_digits):
    """preprocess_images: returns float32 images of shape (n, 28, 28, 1)."""
    out = student.preprocess_images(public_digits)
    assert isinstance(out, np.ndarray), (
        _("an ndarray is expected, got {type}").format(type=type(out).__name__)
    )
    assert out.shape == (5, 28, 28, 1), (
        _("shape (5, 28, 28, 1) is expected, got {shape}").format(shape=out.shape)
    )
    assert out.dtype == np.float32, (
        _("dtype float32 is expected (Keras's default), got {dtype}").format(dtype=out.dtype)
    )


@pytest.mark.rubric(points=2, visibility="hidden")
def test_preprocess_scales_pixels_to_the_unit_range(student, reference, hidden_digits):
    """preprocess_images: pixel values become value / 255, within [0, 1], for any batch and
    any image size."""
    cases = {
        _("a batch of test digits"): hidden_digits,
        _("digits that already have a channel axis"): hidden_digits[:3, :, :, None],
        _("a white image (all 255)"): np.full((1, 28, 28), 255, dtype=np.uint8),
        _("an empty batch"): np.zeros((0, 28, 28), dtype=np.uint8),
        # the contract says (n, h, w): nothing in it is 28 x 28
        _("images of another size (20 x 24)"): hidden_digits[:2, 4:24, 2:26],
        _("images of another size with a channel axis"): hidden_digits[:2, 4:24, 2:26, None],
    }
    for label, images in cases.items():
        out = student.preprocess_images(images)
        expected = reference.preprocess_images(images)
        assert isinstance(out, np.ndarray), (
            _("for {label}: an ndarray is expected").format(label=label)
        )
        assert out.shape == expected.shape, (
            _("for {label}: shape {expected} is expected, got {got}").format(
                label=label, expected=expected.shape, got=out.shape)
        )
        assert out.dtype == np.float32, (
            _("for {label}: dtype float32 is expected, got {dtype}").format(
                label=label, dtype=out.dtype)
        )
        assert np.all(np.isfinite(out)), (
            _("for {label}: the result holds NaN or infinite values").format(label=label)
        )
        assert np.allclose(out, expected, atol=1e-6), (
            _("for {label}: values differ from pixel / 255 (are they scaled to [0, 1]?)").format(
                label=label)
        )
