"""Rubric: the CNN's architecture, compared with the reference layer by layer."""

from __future__ import annotations

import pytest

from autograder.engine.introspect import describe_model
from autograder.engine.models import first_difference


@pytest.mark.rubric(points=1, visibility="public")
def test_build_cnn_returns_a_keras_model(student):
    """build_cnn: returns a built keras.Model for (28, 28, 1) inputs and 10 classes."""
    model = student.build_cnn((28, 28, 1), 10)
    described = model.inspect("model") if hasattr(model, "inspect") else {"is_model": False}
    assert described["is_model"], f"a keras.Model is expected, got {type(model).__name__}"
    assert described["built"], "the model is not built: start it with keras.Input(input_shape)"
    assert described["input_shape"] == [None, 28, 28, 1], (
        f"the model's input shape should be (None, 28, 28, 1), got {described['input_shape']}"
    )


@pytest.mark.rubric(points=3, visibility="public")
def test_build_cnn_layers_match_the_architecture(student, reference):
    """build_cnn: layers, output shapes, parameters and settings match the course's CNN."""
    model = student.build_cnn((28, 28, 1), 10)
    expected = describe_model(reference.build_cnn((28, 28, 1), 10))
    problem = first_difference(model.inspect("model"), expected)
    assert problem is None, problem


@pytest.mark.rubric(points=2, visibility="hidden")
def test_build_cnn_follows_input_shape_and_class_count(student, reference):
    """build_cnn: the same architecture adapts to other image sizes, channels and classes."""
    for input_shape, classes in [((32, 32, 3), 5), ((20, 20, 1), 2)]:
        model = student.build_cnn(input_shape, classes)
        expected = describe_model(reference.build_cnn(input_shape, classes))
        problem = first_difference(model.inspect("model"), expected)
        assert problem is None, (
            f"with another input shape and number of classes: {problem} "
            "(use the input_shape and num_classes arguments, not fixed numbers)"
        )
