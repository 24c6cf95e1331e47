"""Rubric: the scaler -> PCA -> classifier pipeline, and how well it classifies embeddings."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.suites.embeddings import budget

STEPS = [("scaler", "StandardScaler"), ("pca", "PCA"), ("classifier", "SVC")]


def _pipeline(worker, pipeline) -> dict:
    described = worker.tool("describe_pipeline", pipeline) if hasattr(pipeline, "call") else {
        "is_pipeline": False, "type": type(pipeline).__name__}
    assert described["is_pipeline"], (
        f"a fitted sklearn.pipeline.Pipeline is expected, got {described['type']}"
    )
    return described


@pytest.mark.rubric(points=1, visibility="public")
def test_classifier_is_a_fitted_scaler_pca_svc_pipeline(student, worker, blobs):
    """make_embedding_classifier: a fitted Pipeline of StandardScaler, PCA and SVC, in that
    order, keeping n_components components."""
    x_train, y_train, _, _ = blobs
    described = _pipeline(worker, student.make_embedding_classifier(x_train, y_train,
                                                                    n_components=5))
    steps = [(s["name"], s["class"]) for s in described["steps"]]
    assert steps == STEPS, f"the steps should be {STEPS}, got {steps}"
    assert all(s["fitted"] for s in described["steps"]), "the pipeline should be fitted"
    assert described["steps"][1]["n_components_"] == 5, (
        "with 60 examples of 8 features, the PCA should keep the n_components asked (5), it "
        f"keeps {described['steps'][1]['n_components_']}"
    )


@pytest.mark.rubric(points=1, visibility="hidden")
def test_classifier_caps_the_components_on_tiny_data(student, worker):
    """make_embedding_classifier: n_components is capped to the number of examples and of
    features, so tiny data does not raise."""
    rng = np.random.default_rng(9)
    cases = {
        "6 examples of 12 features": (rng.normal(size=(6, 12)), np.arange(6) % 2, 6),
        "40 examples of 3 features": (rng.normal(size=(40, 3)), np.arange(40) % 2, 3),
    }
    for label, (x, y, cap) in cases.items():
        described = _pipeline(worker, student.make_embedding_classifier(x, y, n_components=50))
        pca = [step for step in described["steps"] if step["class"] == "PCA"]
        assert pca, "the pipeline has no PCA step"
        kept = pca[0]["n_components_"]
        assert kept == cap, (
            f"for {label} and n_components=50, the PCA should keep {cap} components, it keeps "
            f"{kept}"
        )


@pytest.mark.rubric(points=1, visibility="hidden")
def test_classifier_uses_the_classifier_it_is_given(student, worker, blobs):
    """make_embedding_classifier: a classifier passed in replaces the SVC as the last step,
    and the PCA is seeded with seed."""
    x_train, y_train, _, _ = blobs
    given = worker.tool("seeded_classifier", "tree", seed=4, max_depth=3)
    described = _pipeline(worker, student.make_embedding_classifier(
        x_train, y_train, n_components=4, classifier=given, seed=11))
    last = described["steps"][-1]
    assert last["id"] == worker.tool("object_id", given) and last["fitted"], (
        f"the last step should be the classifier given (fitted), got a {last['class']}"
    )
    pca = [s for s in described["steps"] if s["class"] == "PCA"]
    assert pca and pca[0]["random_state"] == 11, "the PCA's random_state should be seed"


@pytest.mark.rubric(points=3, visibility="hidden")
def test_pipeline_classifies_cnn_embeddings_of_real_digits(student, mnist_embeddings):
    """make_embedding_classifier: fitted on embeddings of real digits from a fixed trained CNN,
    it reaches the reference pipeline's test accuracy minus a small margin."""
    required = budget.threshold(mnist_embeddings.source)
    accuracy = budget.pipeline_accuracy(student, mnist_embeddings)
    assert accuracy >= required, (
        f"test accuracy {accuracy:.3f} is below the {required:.3f} required on the digits' "
        "embeddings; check the scaler, the PCA and the default SVC"
    )


@pytest.mark.rubric(points=3, visibility="hidden")
def test_pipeline_classifies_cnn_embeddings_of_cats_and_dogs(student, cats_dogs_embeddings):
    """make_embedding_classifier: fitted on embeddings of the cats-vs-dogs photos (when the
    grader has the mirror), it reaches the reference's test accuracy minus a small margin."""
    required = budget.threshold(cats_dogs_embeddings.source)
    accuracy = budget.pipeline_accuracy(student, cats_dogs_embeddings)
    assert accuracy >= required, (
        f"test accuracy {accuracy:.3f} is below the {required:.3f} required on the photos' "
        "embeddings; check the scaler, the PCA and the default SVC"
    )
