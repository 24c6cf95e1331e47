"""Rubric: the activation model, checked by running it on real inputs in the worker."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.suites.activations.conftest import activations_of, expect_value_error

# Both sides run the same float32 network on the same input; only the order of floating-point
# operations could differ. Measured: the reference's activation model in a worker against the
# grader's, every layer of the hidden cases, max abs difference 0.0 (`calibrate --worker`).
ACTIVATION_ATOL = 1e-5


def _check(student, worker, reference, network, images, include_pooling, label) -> None:
    result = student.build_activation_model(network.in_worker(worker),
                                            include_pooling=include_pooling)
    assert isinstance(result, tuple) and len(result) == 2, (
        f"for {label}: a pair (activation_model, layer_names) is expected"
    )
    model, names = result
    described = model.inspect("model") if hasattr(model, "inspect") else {"is_model": False}
    assert described["is_model"], f"for {label}: the first item must be a keras.Model"
    expected, expected_names = activations_of(reference, network, images,
                                              include_pooling=include_pooling)
    names = list(names) if isinstance(names, (list, tuple)) else names
    # The names of the grader's networks are part of its inputs: say how many, not which.
    assert names == expected_names, (
        f"for {label}: the layer names are not those of the chosen layers in the order of "
        f"model.layers ({len(expected_names)} expected, got "
        f"{len(names) if isinstance(names, list) else type(names).__name__})"
    )
    outputs = worker.tool("activation_outputs", model, images)
    assert len(outputs) == len(expected), (
        f"for {label}: the model has {len(outputs)} outputs, {len(expected)} expected "
        "(one per chosen layer)"
    )
    for position, (output, wanted, name) in enumerate(zip(outputs, expected, names,
                                                          strict=True), start=1):
        assert output.shape == wanted.shape and np.allclose(output, wanted,
                                                            atol=ACTIVATION_ATOL), (
            f"for {label}: output {position} ({name}) is not that layer's activation"
        )


@pytest.mark.rubric(points=1, visibility="public")
def test_activation_model_returns_the_convolutions_feature_maps(
    student, worker, reference, networks, public_digit
):
    """build_activation_model: one output per convolution, in order, and their names."""
    _check(student, worker, reference, networks["public"], public_digit, False,
           "the digit network")


@pytest.mark.rubric(points=2, visibility="hidden")
def test_activation_model_chooses_layers_by_type(
    student, worker, reference, networks, hidden_digits, cat
):
    """build_activation_model: chooses layers by type whatever their names, adds the pooling
    layers on request, and works on a colour network."""
    _check(student, worker, reference, networks["hidden"], hidden_digits, False,
           "a network whose layers are not named after their type")
    _check(student, worker, reference, networks["hidden"], hidden_digits, True,
           "the same network with include_pooling=True")
    _check(student, worker, reference, networks["colour"], cat, True,
           "a colour network with include_pooling=True")


@pytest.mark.rubric(points=1, visibility="hidden")
def test_activation_model_rejects_a_model_without_convolutions(student, worker):
    """build_activation_model: a model without any convolution raises ValueError."""
    dense_only = worker.tool("tiny_classifier", (28, 28, 1), 10)
    expect_value_error(lambda: student.build_activation_model(dense_only),
                       "for a model without convolutions")
