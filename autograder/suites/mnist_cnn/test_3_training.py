"""Rubric: compiling, training, predicting, and whether the CNN learns.

What the student's functions return is their answer; everything measured about it (compile
settings, weights, predictions, training) is measured in the clean worker, on models rebuilt
from plain data (``rebuild_model``), or here. The models handed to the student's functions
are built in the clean worker and sent to the student's worker as plain data (architecture
and weights), so that what is expected never depends on the student's worker.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from autograder.engine.client import RemoteObject, rebuild_model
from autograder.i18n import _
from autograder.suites.mnist_cnn.budget import TRAINING_TIMEOUT, threshold, trained_accuracy


@dataclass
class TinyModel:
    """A seeded tiny classifier: the student's copy, the clean worker's, and its weights."""

    student: RemoteObject  # in the student's worker: what the student's function receives
    known: RemoteObject  # in the clean worker: what the grader measures
    weights: list[np.ndarray]


def _tiny_model(worker, clean_worker, seed: int = 0, *, compiled: bool = True) -> TinyModel:
    known = clean_worker.tool("tiny_classifier", (28, 28, 1), 10, seed=seed)
    weights = [np.asarray(w) for w in known.call("get_weights")]
    model = worker.tool("import_model", known.call("to_json"), weights)
    if compiled:
        worker.tool("compile_for_grading", model)
        clean_worker.tool("compile_for_grading", known)
    return TinyModel(student=model, known=known, weights=weights)


def _same_weights(first: list, second: list) -> bool:
    return len(first) == len(second) and all(
        np.shape(a) == np.shape(b) and np.array_equal(a, b)
        for a, b in zip(first, second, strict=True)
    )


def _training_data(reference, mnist, start: int, size: int):
    x = reference.preprocess_images(mnist.x_train[start:start + size])
    return x, mnist.y_train[start:start + size]


@pytest.mark.rubric(points=1, visibility="public")
def test_compile_model_uses_adam_sparse_crossentropy_and_accuracy(student, worker, clean_worker):
    """compile_model: Adam with the given learning rate, sparse categorical
    cross-entropy and the accuracy metric; returns the model."""
    tiny = _tiny_model(worker, clean_worker, compiled=False)
    returned = rebuild_model(student.compile_model(tiny.student, learning_rate=0.005),
                             clean_worker)
    # The model given has known weights: the one returned must carry them (not a new model).
    assert _same_weights(returned.call("get_weights"), tiny.weights), (
        _("compile_model must return the model it was given")
    )
    compiled = returned.inspect("compilation")
    assert compiled["compiled"], _("the model was not compiled")
    assert compiled["optimizer"] == "Adam", (
        _("Adam is expected, got {optimizer}").format(optimizer=compiled["optimizer"])
    )
    rate = compiled["learning_rate"]
    assert rate is not None and abs(rate - 0.005) < 1e-7, (
        _("the optimizer does not use the learning_rate argument")
    )
    assert "sparse_categorical_crossentropy" in str(compiled["loss"]), (
        _("sparse categorical cross-entropy is expected (integer labels), got {loss}").format(
            loss=compiled["loss"])
    )
    assert any("acc" in m for m in compiled["metrics"]), _("the accuracy metric is missing")


def _history(result, epochs: int) -> dict[str, np.ndarray]:
    """The per-epoch values of the History the student's function returned (described in the
    student's worker: the student's answer, checked against measurements below)."""
    described = result.inspect("history") if hasattr(result, "inspect") else {}
    assert described.get("is_history"), _("the keras History returned by model.fit is expected")
    values = described["history"]
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert key in values, (
            _("the history has no '{key}' (was validation data passed to fit?)").format(key=key)
        )
        assert len(values[key]) == epochs, (
            _("'{key}' should have one value per epoch ({epochs} asked)").format(
                key=key, epochs=epochs)
        )
    return values


def _trained(tiny: TinyModel, clean_worker) -> tuple[RemoteObject, list[np.ndarray]]:
    """The model given to train_model as it is now, rebuilt in the clean worker, and its
    weights, which must have changed."""
    trained = rebuild_model(tiny.student, clean_worker)
    weights = trained.call("get_weights")
    assert not _same_weights(weights, tiny.weights), (
        _("the model given to train_model was not trained (its weights did not change): fit "
          "that model")
    )
    return trained, weights


@pytest.mark.rubric(points=2, visibility="hidden")
def test_train_model_returns_the_history_with_validation_metrics(
    student, worker, clean_worker, reference, mnist
):
    """train_model: trains for the given epochs with validation data and returns the History."""
    x, y = _training_data(reference, mnist, 0, 256)
    x_val, y_val = _training_data(reference, mnist, 256, 64)
    tiny = _tiny_model(worker, clean_worker)
    history = student.train_model(
        tiny.student, x, y, x_val, y_val, epochs=2, batch_size=32, seed=1,
        timeout=TRAINING_TIMEOUT,
    )
    values = _history(history, epochs=2)
    # The training's effect, measured on the trained model rebuilt in the clean worker: it
    # changed, and the last validation loss of the history is its loss on the validation data.
    trained, _unused = _trained(tiny, clean_worker)
    clean_worker.tool("compile_for_grading", trained)  # measured with the course's loss
    measured = float(trained.call("evaluate", x_val, y_val, verbose=0, return_dict=True)["loss"])
    assert abs(float(values["val_loss"][-1]) - measured) <= 1e-3 * max(1.0, abs(measured)), (
        _("the history's last validation loss is not the trained model's loss on the "
          "validation data: pass x_val and y_val to fit as validation_data, and return what fit "
          "returns")
    )


@pytest.mark.rubric(points=1, visibility="hidden")
def test_train_model_is_reproducible_with_its_seed(student, worker, clean_worker, reference,
                                                   mnist):
    """train_model: the same seed gives the same training, whatever ran before; another seed
    or another batch size gives another one."""
    x, y = _training_data(reference, mnist, 0, 256)
    x_val, y_val = _training_data(reference, mnist, 256, 64)
    losses, weights = [], []
    for unrelated_seed in (111, 222):
        tiny = _tiny_model(worker, clean_worker)
        # Move the global generators elsewhere: only train_model's own seeding can undo it.
        worker.tool("seed_everything", unrelated_seed)
        history = student.train_model(
            tiny.student, x, y, x_val, y_val, epochs=2, batch_size=32, seed=5,
            timeout=TRAINING_TIMEOUT,
        )
        losses.append(_history(history, epochs=2)["loss"])
        weights.append(_trained(tiny, clean_worker)[1])
    assert np.array_equal(losses[0], losses[1]) and _same_weights(*weights), (
        _("two runs with the same seed gave different losses: seed Python, NumPy and "
          "TensorFlow with the seed argument (keras.utils.set_random_seed) before fitting")
    )
    # The arguments are used: another seed, or another batch size, trains differently.
    for changes, message in (
            ({"seed": 6}, _("a run with seed 6 gave the same losses as with seed 5: use the "
                            "seed argument, not a fixed seed")),
            ({"batch_size": 64}, _("a run with batch_size=64 gave the same losses as with 32: "
                                   "pass batch_size on to fit"))):
        tiny = _tiny_model(worker, clean_worker)
        history = student.train_model(
            tiny.student, x, y, x_val, y_val, **{"epochs": 2, "batch_size": 32, "seed": 5,
                                                  **changes},
            timeout=TRAINING_TIMEOUT,
        )
        assert not np.array_equal(_history(history, epochs=2)["loss"], losses[0]), message


@pytest.mark.rubric(points=1, visibility="hidden")
def test_predict_labels_returns_the_most_probable_class(student, worker, clean_worker, reference,
                                                        hidden_digits):
    """predict_labels: one integer label per image, the class with the highest probability."""
    tiny = _tiny_model(worker, clean_worker, seed=3)
    images = reference.preprocess_images(hidden_digits)
    labels = np.asarray(student.predict_labels(tiny.student, images))
    # The same weights, predicting in the clean worker.
    expected = np.argmax(tiny.known.call("predict", images, verbose=0), axis=1)
    assert labels.shape == expected.shape, (
        _("one label per image is expected: shape {expected}, got {got}").format(
            expected=expected.shape, got=labels.shape)
    )
    assert labels.dtype.kind in "iu", (
        _("labels must be integers, got {dtype}").format(dtype=labels.dtype)
    )
    assert np.array_equal(labels, expected), _("the labels are not the most probable classes")


@pytest.mark.rubric(points=3, visibility="hidden")
def test_cnn_learns_mnist_within_a_small_budget(student, worker, clean_worker, reference, mnist):
    """build_cnn: trained by the grader (seeded, 2 epochs on 2,000 digits), it reaches the
    accuracy the course's CNN reaches, minus a small margin."""
    required = threshold(mnist.source)
    accuracy = trained_accuracy(student, worker, clean_worker, reference, mnist)
    assert accuracy >= required, (
        _("test accuracy {accuracy:.3f} is below the {required:.3f} required "
          "({source} data); compare your layers with the architecture").format(
            accuracy=accuracy, required=required, source=mnist.source)
    )
