"""Rubric: a feature extractor cut from a trained CNN at a chosen layer.

The CNN is made in the clean worker and handed to the student's function as the same weights
built in the student's worker. The extractor it returns is rebuilt in the clean worker from
plain data (``rebuild_model``); its shapes, its outputs and the expected layer outputs are all
computed there, never in the student's worker.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.engine.client import rebuild_model
from autograder.i18n import _

# The fixed CNN of the kit (engine/tools/embeddings.py): conv_1, pool_1, conv_2, pool_2,
# flatten, embedding (64 units), output (10 units).
INPUT_SHAPE = (28, 28, 1)
SEED = 5


def _networks(worker, clean_worker):
    """The fixed CNN in the clean worker, and the same weights built in the student's."""
    clean_model = clean_worker.tool("fixed_cnn", INPUT_SHAPE, 10, seed=SEED)
    weights = clean_model.call("get_weights")
    return clean_model, worker.tool("fixed_cnn", INPUT_SHAPE, 10, weights=weights)


def _summary(clean_worker, extractor) -> tuple[dict, object]:
    """The extractor rebuilt in the clean worker, and its shapes measured there."""
    rebuilt = rebuild_model(extractor, clean_worker)
    return clean_worker.tool("model_summary", rebuilt), rebuilt


def _shapes(summary: dict) -> str:
    """The output shapes as tuples, e.g. ``(None, 64)``."""
    return ", ".join(str(tuple(shape)) for shape in summary["outputs"])


def _check_layer(worker, clean_worker, student, digits, layer, label: str) -> None:
    clean_model, model = _networks(worker, clean_worker)
    summary, rebuilt = _summary(clean_worker, student.build_feature_extractor(model, layer))
    expected = np.asarray(clean_worker.tool("layer_output", clean_model, layer, digits))
    assert summary["inputs"] == [[None, *INPUT_SHAPE]], (
        _("for {label}: the extractor should take the model's own input, "
          "(None, 28, 28, 1)").format(label=label)
    )
    assert summary["outputs"] == [[None, *expected.shape[1:]]], (
        _("for {label}: the extractor's output shape is {shapes}, which is not "
          "the chosen layer's output shape").format(label=label, shapes=_shapes(summary))
    )
    features = np.asarray(rebuilt.call("predict", digits, verbose=0))
    assert features.shape == expected.shape and np.allclose(features, expected, atol=1e-5), (
        _("for {label}: the extractor's outputs differ from the chosen layer's outputs (does "
          "it reuse the trained layers of the model it was given?)").format(label=label)
    )


@pytest.mark.rubric(points=1, visibility="public")
def test_extractor_stops_at_the_layer_before_the_output_by_default(student, worker,
                                                                   clean_worker, digits):
    """build_feature_extractor: without a layer, outputs the layer before the output layer."""
    _clean_model, model = _networks(worker, clean_worker)
    summary, _rebuilt = _summary(clean_worker, student.build_feature_extractor(model))
    assert summary["outputs"] == [[None, 64]], (
        _("the default extractor should output the 64-unit layer just before the 10-unit "
          "output layer; its output shape is {shapes}").format(shapes=_shapes(summary))
    )
    assert summary["output_layer"] == "embedding", (
        _("the default extractor ends at layer {layer!r}, not at the layer "
          "before the output").format(layer=summary["output_layer"])
    )


@pytest.mark.rubric(points=2, visibility="hidden")
def test_extractor_follows_a_layer_name_or_index(student, worker, clean_worker, digits):
    """build_feature_extractor: a layer given by name or by (negative) index gives that
    layer's outputs, computed with the model's own weights."""
    for layer, label in [("pool_2", _("a layer given by name")),
                         (2, _("a layer given by index")),
                         (-3, _("a layer given by a negative index"))]:
        _check_layer(worker, clean_worker, student, digits[:6], layer, label)
