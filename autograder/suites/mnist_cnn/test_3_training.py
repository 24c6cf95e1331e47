"""Rubric: compiling, training, predicting, and whether the CNN learns."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.suites.mnist_cnn.budget import TRAINING_TIMEOUT, threshold, trained_accuracy


def _tiny_model(worker, seed: int = 0):
    model = worker.tool("tiny_classifier", (28, 28, 1), 10, seed=seed)
    return worker.tool("compile_for_grading", model)


def _training_data(reference, mnist, start: int, size: int):
    x = reference.preprocess_images(mnist.x_train[start:start + size])
    return x, mnist.y_train[start:start + size]


@pytest.mark.rubric(points=1, visibility="public")
def test_compile_model_uses_adam_sparse_crossentropy_and_accuracy(student, worker):
    """compile_model: Adam with the given learning rate, sparse categorical
    cross-entropy and the accuracy metric; returns the model."""
    model = worker.tool("tiny_classifier", (28, 28, 1), 10)
    returned = student.compile_model(model, learning_rate=0.005)
    assert hasattr(returned, "inspect") and worker.tool("same_object", model, returned), (
        "compile_model must return the model it was given"
    )
    compiled = model.inspect("compilation")
    assert compiled["compiled"], "the model was not compiled"
    assert compiled["optimizer"] == "Adam", f"Adam is expected, got {compiled['optimizer']}"
    rate = compiled["learning_rate"]
    assert rate is not None and abs(rate - 0.005) < 1e-7, (
        "the optimizer does not use the learning_rate argument"
    )
    assert "sparse_categorical_crossentropy" in str(compiled["loss"]), (
        f"sparse categorical cross-entropy is expected (integer labels), got {compiled['loss']}"
    )
    assert any("acc" in m for m in compiled["metrics"]), "the accuracy metric is missing"


@pytest.mark.rubric(points=2, visibility="hidden")
def test_train_model_returns_the_history_with_validation_metrics(
    student, worker, reference, mnist
):
    """train_model: trains for the given epochs with validation data and returns the History."""
    x, y = _training_data(reference, mnist, 0, 256)
    x_val, y_val = _training_data(reference, mnist, 256, 64)
    history = student.train_model(
        _tiny_model(worker), x, y, x_val, y_val, epochs=2, batch_size=32, seed=1,
        timeout=TRAINING_TIMEOUT,
    )
    described = history.inspect("history") if hasattr(history, "inspect") else {}
    assert described.get("is_history"), "the keras History returned by model.fit is expected"
    values = described["history"]
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert key in values, f"the history has no '{key}' (was validation data passed to fit?)"
        assert len(values[key]) == 2, f"'{key}' should have one value per epoch (2 asked)"


@pytest.mark.rubric(points=1, visibility="hidden")
def test_train_model_is_reproducible_with_its_seed(student, worker, reference, mnist):
    """train_model: the same seed gives the same training, whatever ran before."""
    x, y = _training_data(reference, mnist, 0, 256)
    x_val, y_val = _training_data(reference, mnist, 256, 64)
    losses = []
    for unrelated_seed in (111, 222):
        model = _tiny_model(worker)
        # Move the global generators elsewhere: only train_model's own seeding can undo it.
        worker.tool("seed_everything", unrelated_seed)
        history = student.train_model(
            model, x, y, x_val, y_val, epochs=2, batch_size=32, seed=5, timeout=TRAINING_TIMEOUT
        )
        described = history.inspect("history") if hasattr(history, "inspect") else {}
        assert described.get("is_history"), "the keras History returned by model.fit is expected"
        losses.append(described["history"]["loss"])
    assert np.array_equal(losses[0], losses[1]), (
        "two runs with the same seed gave different losses: seed Python, NumPy and "
        "TensorFlow with the seed argument (keras.utils.set_random_seed) before fitting"
    )


@pytest.mark.rubric(points=1, visibility="hidden")
def test_predict_labels_returns_the_most_probable_class(student, worker, reference, hidden_digits):
    """predict_labels: one integer label per image, the class with the highest probability."""
    model = _tiny_model(worker, seed=3)
    images = reference.preprocess_images(hidden_digits)
    labels = student.predict_labels(model, images)
    expected = np.argmax(model.call("predict", images, verbose=0), axis=1)
    labels = np.asarray(labels)
    assert labels.shape == expected.shape, (
        f"one label per image is expected: shape {expected.shape}, got {labels.shape}"
    )
    assert labels.dtype.kind in "iu", f"labels must be integers, got {labels.dtype}"
    assert np.array_equal(labels, expected), "the labels are not the most probable classes"


@pytest.mark.rubric(points=3, visibility="hidden")
def test_cnn_learns_mnist_within_a_small_budget(student, worker, reference, mnist):
    """build_cnn: trained by the grader (seeded, 2 epochs on 2,000 digits), it reaches the
    accuracy the course's CNN reaches, minus a small margin."""
    required = threshold(mnist.source)
    accuracy = trained_accuracy(student, worker, reference, mnist)
    assert accuracy >= required, (
        f"test accuracy {accuracy:.3f} is below the {required:.3f} required "
        f"({mnist.source} data); compare your layers with the architecture"
    )
