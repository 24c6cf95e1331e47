"""Rubric: a feature extractor cut from a trained CNN at a chosen layer."""

from __future__ import annotations

import numpy as np
import pytest

# The fixed CNN of the kit (engine/tools/embeddings.py): conv_1, pool_1, conv_2, pool_2,
# flatten, embedding (64 units), output (10 units).
INPUT_SHAPE = (28, 28, 1)


def _summary(worker, extractor, function: str) -> dict:
    summary = worker.tool("model_summary", extractor)
    assert summary["is_model"], f"{function} must return a keras.Model, got {summary['type']}"
    return summary


def _shapes(summary: dict) -> str:
    """The output shapes as tuples, e.g. ``(None, 64)``."""
    return ", ".join(str(tuple(shape)) for shape in summary["outputs"])


def _check_layer(worker, student, digits, layer, label: str) -> None:
    model = worker.tool("fixed_cnn", INPUT_SHAPE, 10, seed=5)
    extractor = student.build_feature_extractor(model, layer)
    summary = _summary(worker, extractor, "build_feature_extractor")
    expected = np.asarray(worker.tool("layer_output", model, layer, digits))
    assert summary["inputs"] == [[None, *INPUT_SHAPE]], (
        f"for {label}: the extractor should take the model's own input, (None, 28, 28, 1)"
    )
    assert summary["outputs"] == [[None, *expected.shape[1:]]], (
        f"for {label}: the extractor's output shape is {_shapes(summary)}, which is not "
        "the chosen layer's output shape"
    )
    features = np.asarray(extractor.call("predict", digits, verbose=0))
    assert features.shape == expected.shape and np.allclose(features, expected, atol=1e-5), (
        f"for {label}: the extractor's outputs differ from the chosen layer's outputs (does it "
        "reuse the trained layers of the model it was given?)"
    )


@pytest.mark.rubric(points=1, visibility="public")
def test_extractor_stops_at_the_layer_before_the_output_by_default(student, worker, digits):
    """build_feature_extractor: without a layer, outputs the layer before the output layer."""
    model = worker.tool("fixed_cnn", INPUT_SHAPE, 10, seed=5)
    summary = _summary(worker, student.build_feature_extractor(model), "build_feature_extractor")
    assert summary["outputs"] == [[None, 64]], (
        "the default extractor should output the 64-unit layer just before the 10-unit "
        f"output layer; its output shape is {_shapes(summary)}"
    )
    assert summary["output_layer"] == "embedding", (
        f"the default extractor ends at layer {summary['output_layer']!r}, not at the layer "
        "before the output"
    )


@pytest.mark.rubric(points=2, visibility="hidden")
def test_extractor_follows_a_layer_name_or_index(student, worker, digits):
    """build_feature_extractor: a layer given by name or by (negative) index gives that
    layer's outputs, computed with the model's own weights."""
    for layer, label in [("pool_2", "a layer given by name"),
                         (2, "a layer given by index"),
                         (-3, "a layer given by a negative index")]:
        _check_layer(worker, student, digits[:6], layer, label)
