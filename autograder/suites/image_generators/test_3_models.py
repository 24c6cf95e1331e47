"""Rubric: the MLP baseline and the CNN, layer by layer; whether the CNN learns.

Every model the student builds is rebuilt from plain data in the clean worker
(``rebuild_model``), and described, trained and evaluated there only.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.engine.client import rebuild_model
from autograder.engine.introspect import describe_model
from autograder.engine.models import first_difference
from autograder.i18n import _
from autograder.suites.image_generators import budget


def _difference(student, clean_worker, reference, function: str, *args) -> str | None:
    """The first difference between the student's model, rebuilt and described in the clean
    worker, and the reference's, described here."""
    model = rebuild_model(getattr(student, function)(*args), clean_worker)
    expected = describe_model(getattr(reference, function)(*args))
    return first_difference(model.inspect("model"), expected)


@pytest.mark.rubric(points=2, visibility="public")
def test_build_mlp_layers_match_the_baseline(student, clean_worker, reference):
    """build_mlp: layers, output shapes, parameters and settings match the course's MLP
    for 16x16 RGB images."""
    problem = _difference(student, clean_worker, reference, "build_mlp", (16, 16, 3))
    assert problem is None, problem


@pytest.mark.rubric(points=1, visibility="hidden")
def test_build_mlp_follows_the_input_shape(student, clean_worker, reference):
    """build_mlp: the same MLP for another image size."""
    problem = _difference(student, clean_worker, reference, "build_mlp", (20, 12, 3))
    assert problem is None, (
        _("with another input shape: {problem} (use the input_shape argument)").format(
            problem=problem)
    )


@pytest.mark.rubric(points=3, visibility="public")
def test_build_cnn_layers_match_the_architecture(student, clean_worker, reference):
    """build_cnn: layers, output shapes, parameters and settings match the course's
    four-block CNN for 150x150 RGB images."""
    problem = _difference(student, clean_worker, reference, "build_cnn", (150, 150, 3))
    assert problem is None, problem


@pytest.mark.rubric(points=2, visibility="hidden")
def test_build_cnn_follows_input_shape_and_dropout_rate(student, clean_worker, reference):
    """build_cnn: the same CNN for other image sizes and dropout rates."""
    for args in [((64, 80, 3), 0.3), ((48, 48, 3), 0.5)]:
        problem = _difference(student, clean_worker, reference, "build_cnn", *args)
        assert problem is None, (
            _("with another input shape or dropout rate: {problem} (use the input_shape and "
              "dropout_rate arguments, not fixed numbers)").format(problem=problem)
        )


@pytest.mark.rubric(points=2, visibility="hidden")
def test_cnn_fits_a_small_batch_of_real_images(student, worker, clean_worker,
                                                  learning_batch):
    """build_cnn: trained by the grader on a small fixed batch of real images (seeded,
    a few dozen steps), it classifies every image of that batch correctly."""
    images, labels = learning_batch
    run = budget.learning_run(student, worker, clean_worker, images, labels)
    losses = np.asarray(run["losses"], dtype=np.float64)
    assert np.all(np.isfinite(losses)), (
        _("the training loss became NaN or infinite: is the output one sigmoid unit?")
    )
    probabilities = np.asarray(run["probabilities"], dtype=np.float64).reshape(-1)
    assert probabilities.shape == labels.shape, (
        _("the CNN gave {outputs} outputs for {images} images: one sigmoid probability per "
          "image is expected").format(outputs=probabilities.size, images=labels.size)
    )
    right = int(np.sum((probabilities > 0.5) == (labels > 0.5)))
    assert right == len(labels) and losses[-1] < budget.FITTED_LOSS, (
        _("after {steps} training steps on the same {images} images the CNN gets {right} of "
          "them right; the course's CNN fits them all well within that budget. Check the output "
          "layer (one unit, sigmoid) and the activations").format(
            steps=budget.LEARN_STEPS, images=len(labels), right=right)
    )


@pytest.mark.rubric(points=3, visibility="hidden")
def test_cnn_reaches_the_reference_accuracy_on_cats_and_dogs(student, worker, clean_worker,
                                                               mirror_data):
    """build_cnn: trained by the grader on the cats-vs-dogs training images (seeded, 64x64,
    a few epochs), it reaches the course CNN's accuracy on the held-out split, minus a margin
    (only where the grader has the cats-vs-dogs images)."""
    required = budget.mirror_threshold()
    accuracy = budget.mirror_accuracy(student, worker, clean_worker, mirror_data)
    assert accuracy >= required, (
        _("held-out accuracy {accuracy:.3f} is below the {required:.3f} required; compare "
          "your layers with the architecture").format(accuracy=accuracy, required=required)
    )
