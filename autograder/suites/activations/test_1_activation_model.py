"""Rubric: the activation model, checked by running it on real inputs.

The known network is built in the student's worker from the grader's weights (the function's
input). The activation model the function returns is rebuilt from plain data in the clean
worker (``rebuild_model``: Keras's own classes only), and run there; its outputs are compared
with the reference's activation model run in the grader. Nothing the student's worker
measures decides.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.engine.client import StudentCodeError, rebuild_model
from autograder.i18n import _
from autograder.suites.activations.conftest import activations_of, expect_value_error

# Both sides run the same float32 network on the same input; only the order of floating-point
# operations could differ. Measured: the reference's activation model rebuilt in a clean
# worker against the grader's, every layer of the hidden cases, max abs difference 0.0
# (`calibrate --worker`).
ACTIVATION_ATOL = 1e-5


def _rebuilt(model, clean_worker, label: str):
    """The student's activation model rebuilt in the clean worker; a value that cannot be
    rebuilt (not a keras.Model, a custom class) fails the check with the reason."""
    if not hasattr(model, "inspect"):
        raise AssertionError(
            _("for {label}: the first item must be a keras.Model").format(label=label))
    try:
        return rebuild_model(model, clean_worker)
    except StudentCodeError as error:
        if type(error) is not StudentCodeError or error.kind:
            raise  # the student's code failed (or the worker crashed) while exporting it
        raise AssertionError(_("for {label}: {message}").format(label=label,
                                                                message=error.message)) from None


def _check(student, worker, clean_worker, reference, network, images, include_pooling,
           label) -> None:
    result = student.build_activation_model(network.in_worker(worker),
                                            include_pooling=include_pooling)
    assert isinstance(result, tuple) and len(result) == 2, (
        _("for {label}: a pair (activation_model, layer_names) is expected").format(label=label)
    )
    model, names = result
    rebuilt = _rebuilt(model, clean_worker, label)
    expected, expected_names = activations_of(reference, network, images,
                                              include_pooling=include_pooling)
    names = list(names) if isinstance(names, (list, tuple)) else names
    # The names of the grader's networks are part of its inputs: say how many, not which.
    assert names == expected_names, (
        _("for {label}: the layer names are not those of the chosen layers in the order of "
          "model.layers ({expected} expected, got {got})").format(
            label=label, expected=len(expected_names),
            got=len(names) if isinstance(names, list) else type(names).__name__)
    )
    outputs = clean_worker.tool("activation_outputs", rebuilt, images)
    assert len(outputs) == len(expected), (
        _("for {label}: the model has {got} outputs, {expected} expected "
          "(one per chosen layer)").format(label=label, got=len(outputs), expected=len(expected))
    )
    for position, (output, wanted, name) in enumerate(zip(outputs, expected, names,
                                                          strict=True), start=1):
        assert output.shape == wanted.shape and np.allclose(output, wanted,
                                                            atol=ACTIVATION_ATOL), (
            _("for {label}: output {position} ({name}) is not that layer's activation").format(
                label=label, position=position, name=name)
        )


@pytest.mark.rubric(points=1, visibility="public")
def test_activation_model_returns_the_convolutions_feature_maps(
    student, worker, clean_worker, reference, networks, public_digit
):
    """build_activation_model: one output per convolution, in order, and their names."""
    _check(student, worker, clean_worker, reference, networks["public"], public_digit, False,
           _("the digit network"))


@pytest.mark.rubric(points=2, visibility="hidden")
def test_activation_model_chooses_layers_by_type(
    student, worker, clean_worker, reference, networks, hidden_digits, cat
):
    """build_activation_model: chooses layers by type whatever their names, adds the pooling
    layers (max and average) on request, and works on a colour network and on a Sequential
    model."""
    _check(student, worker, clean_worker, reference, networks["hidden"], hidden_digits, False,
           _("a network whose layers are not named after their type"))
    _check(student, worker, clean_worker, reference, networks["hidden"], hidden_digits, True,
           _("the same network with include_pooling=True"))
    _check(student, worker, clean_worker, reference, networks["colour"], cat, True,
           _("a colour network with include_pooling=True"))
    # model.layers of a Sequential model does not start with the input layer
    _check(student, worker, clean_worker, reference, networks["other_kinds"],
           hidden_digits[:, :, 4:24], True,
           _("a Sequential network with average and max pooling, include_pooling=True"))
    _check(student, worker, clean_worker, reference, networks["other_kinds"],
           hidden_digits[:, :, 4:24], False,
           _("the same Sequential network without pooling"))


@pytest.mark.rubric(points=1, visibility="hidden")
def test_activation_model_rejects_a_model_without_convolutions(student, worker):
    """build_activation_model: a model without any convolution raises ValueError."""
    # A kit tool builds the input in the student's worker; what is checked is only whether
    # the student's function raised, which no tool of that worker measures.
    dense_only = worker.tool("tiny_classifier", (28, 28, 1), 10)
    expect_value_error(lambda: student.build_activation_model(dense_only),
                       _("for a model without convolutions"))
