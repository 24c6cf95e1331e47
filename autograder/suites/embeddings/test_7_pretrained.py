"""Rubric: the optional pretrained route, offline (no download is ever attempted here)."""

from __future__ import annotations

import numpy as np
import pytest

SHAPE = (32, 32, 3)  # EfficientNetB0's smallest input without its top: quick to build


def _model(worker, result, how: str) -> tuple[dict, object, object]:
    assert isinstance(result, tuple) and len(result) == 2, (
        f"{how}: a pair (model, weights_used) is expected"
    )
    model, used = result
    summary = worker.tool("model_summary", model) if hasattr(model, "call") else {
        "is_model": False, "type": type(model).__name__}
    assert summary["is_model"], f"{how}: the first item must be a keras.Model"
    assert summary["inputs"] == [[None, *SHAPE]], (
        f"{how}: the model should take the input_shape given, (None, 32, 32, 3)"
    )
    assert summary["outputs"] == [[None, 1280]], (
        f"{how}: EfficientNetB0 without its top and average-pooled outputs (None, 1280), got "
        + ", ".join(str(tuple(shape)) for shape in summary["outputs"])
    )
    return summary, model, used


@pytest.mark.rubric(points=1, visibility="hidden")
def test_pretrained_extractor_without_weights_says_random(student, worker):
    """pretrained_extractor: weights=None gives the pooled EfficientNetB0 without its top,
    and says "random"."""
    _, _, used = _model(worker, student.pretrained_extractor(SHAPE, weights=None, timeout=120),
                        "with weights=None")
    assert used == "random", f"with weights=None, weights_used should be 'random', got {used!r}"


@pytest.mark.rubric(points=1, visibility="hidden")
def test_pretrained_extractor_loads_a_local_weights_file(student, worker):
    """pretrained_extractor: a local weights file is loaded into the model, and named."""
    images = np.random.default_rng(8).uniform(0, 255, size=(3, *SHAPE)).astype(np.float32)
    saved = worker.tool("efficientnet_weights_file", SHAPE, images, seed=2, timeout=120)
    path, expected = saved["path"], np.asarray(saved["outputs"])
    _, model, used = _model(worker, student.pretrained_extractor(SHAPE, weights=path,
                                                                 timeout=120),
                            "with a local weights file")
    assert used == path, "with a weights file, weights_used should be its path as given"
    outputs = np.asarray(model.call("predict", images, verbose=0))
    # A randomly initialised EfficientNet's pooled outputs are tiny (about 1e-6): compare them
    # relative to their size, or a model that ignored the file would pass.
    scale = float(np.abs(expected).max())
    assert outputs.shape == expected.shape and np.allclose(
        outputs, expected, rtol=1e-3, atol=1e-3 * scale), (
        "the model's outputs are not those of the weights in the file: load them into the model"
    )
