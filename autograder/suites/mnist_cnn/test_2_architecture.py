"""Rubric: the CNN's architecture, compared with the reference layer by layer.

The student's model is rebuilt from plain data in the clean worker (``rebuild_model``) and
described there, never by the kit's describers in the student's worker.
"""

from __future__ import annotations

import pytest

from autograder.engine.client import rebuild_model
from autograder.engine.introspect import describe_model
from autograder.engine.models import first_difference
from autograder.i18n import _


@pytest.mark.rubric(points=1, visibility="public")
def test_build_cnn_returns_a_keras_model(student, clean_worker):
    """build_cnn: returns a built keras.Model for (28, 28, 1) inputs and 10 classes."""
    # Anything but a model of Keras's own classes fails here with a message that says so.
    described = rebuild_model(student.build_cnn((28, 28, 1), 10), clean_worker).inspect("model")
    assert described["is_model"], _("a keras.Model is expected")
    assert described["built"], (
        _("the model is not built: start it with keras.Input(input_shape)")
    )
    assert described["input_shape"] == [None, 28, 28, 1], (
        _("the model's input shape should be (None, 28, 28, 1), got {shape}").format(
            shape=described["input_shape"])
    )


@pytest.mark.rubric(points=3, visibility="public")
def test_build_cnn_layers_match_the_architecture(student, clean_worker, reference):
    """build_cnn: layers, output shapes, parameters and settings match the course's CNN."""
    model = rebuild_model(student.build_cnn((28, 28, 1), 10), clean_worker)
    expected = describe_model(reference.build_cnn((28, 28, 1), 10))
    problem = first_difference(model.inspect("model"), expected)
    assert problem is None, problem


@pytest.mark.rubric(points=2, visibility="hidden")
def test_build_cnn_follows_input_shape_and_class_count(student, clean_worker, reference):
    """build_cnn: the same architecture adapts to other image sizes, channels and classes."""
    for input_shape, classes in [((32, 32, 3), 5), ((20, 20, 1), 2)]:
        model = rebuild_model(student.build_cnn(input_shape, classes), clean_worker)
        expected = describe_model(reference.build_cnn(input_shape, classes))
        problem = first_difference(model.inspect("model"), expected)
        assert problem is None, (
            _("with another input shape and number of classes: {problem} "
              "(use the input_shape and num_classes arguments, not fixed numbers)").format(
                problem=problem)
        )
