"""Compare figures through their plain descriptions (see :func:`introspect.describe_figure`).

Structure is compared exactly (how many axes, where they sit in the grid, whether their
axis lines and ticks are shown); pixel arrays and line data within a tolerance; the rendered
pictures by their RMS difference, the measure matplotlib's own image tests use.
"""

from __future__ import annotations

import io
import re

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
