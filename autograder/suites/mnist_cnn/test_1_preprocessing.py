"""Rubric: preprocessing digits for the network."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.rubric(points=1, visibility="public")
def test_preprocess_returns_float32_with_a_channel_axis(student, public_digits):
    """preprocess_images: returns float32 images of shape (n, 28, 28, 1)."""
    out = student.preprocess_images(public_digits)
    assert isinstance(out, np.ndarray), f"an ndarray is expected, got {type(out).__name__}"
    assert out.shape == (5, 28, 28, 1), f"shape (5, 28, 28, 1) is expected, got {out.shape}"
    assert out.dtype == np.float32, f"dtype float32 is expected (Keras's default), got {out.dtype}"


@pytest.mark.rubric(points=2, visibility="hidden")
def test_preprocess_scales_pixels_to_the_unit_range(student, reference, hidden_digits):
    """preprocess_images: pixel values become value / 255, within [0, 1], for any batch."""
    cases = {
        "a batch of test digits": hidden_digits,
        "digits that already have a channel axis": hidden_digits[:3, :, :, None],
        "a white image (all 255)": np.full((1, 28, 28), 255, dtype=np.uint8),
        "an empty batch": np.zeros((0, 28, 28), dtype=np.uint8),
    }
    for label, images in cases.items():
        out = student.preprocess_images(images)
        expected = reference.preprocess_images(images)
        assert isinstance(out, np.ndarray), f"for {label}: an ndarray is expected"
        assert out.shape == expected.shape, (
            f"for {label}: shape {expected.shape} is expected, got {out.shape}"
        )
        assert out.dtype == np.float32, f"for {label}: dtype float32 is expected, got {out.dtype}"
        assert np.all(np.isfinite(out)), f"for {label}: the result holds NaN or infinite values"
        assert np.allclose(out, expected, atol=1e-6), (
            f"for {label}: values differ from pixel / 255 (are they scaled to [0, 1]?)"
        )
