"""Rubric: the scaler -> PCA -> classifier pipeline, and how well it classifies embeddings.

The pipeline a student's function returns is only reported by the student's worker (its
steps, classes, settings and fitted statistics: the student's answer); it is rebuilt from
that report and fitted in the clean worker, where its statistics are checked against the
report and its predictions are made (``pipelines.py``).
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.i18n import _
from autograder.suites.embeddings import budget
from autograder.suites.embeddings.pipelines import read_pipeline, verify_fitted

STEPS = [("scaler", "StandardScaler"), ("pca", "PCA"), ("classifier", "SVC")]
# The SVC settings that change its decisions (a random_state, say, does not).
DECISION_SETTINGS = ("kernel", "C", "gamma", "degree", "coef0", "class_weight",
                     "decision_function_shape", "break_ties")


def _pca(steps) -> object:
    pca = [step for step in steps if step.qualname == "PCA"]
    assert pca, _("the pipeline has no PCA step")
    return pca[0]


def _kept(step) -> int | None:
    """The number of components a fitted PCA kept (its fitted ``n_components_``)."""
    value = np.asarray(step.fitted.get("n_components_", -1))
    return int(value) if value.shape == () and value.dtype.kind in "iu" else None


@pytest.mark.rubric(points=1, visibility="public")
def test_classifier_is_a_fitted_scaler_pca_svc_pipeline(student, worker, clean_worker, blobs):
    """make_embedding_classifier: a fitted Pipeline of StandardScaler, PCA and SVC, in that
    order, keeping n_components components."""
    x_train, y_train, _x_test, _y_test = blobs
    steps = read_pipeline(worker, student.make_embedding_classifier(x_train, y_train,
                                                                    n_components=5))
    names = [(s.name, s.qualname) for s in steps]
    assert names == STEPS, _("the steps should be {expected}, got {got}").format(
        expected=STEPS, got=names)
    verify_fitted(clean_worker, steps, x_train, y_train)
    kept = _kept(steps[1])
    assert kept == 5, (
        _("with 60 examples of 8 features, the PCA should keep the n_components asked (5), "
          "it keeps {kept}").format(kept=kept)
    )


@pytest.mark.rubric(points=1, visibility="hidden")
def test_classifier_caps_the_components_on_tiny_data(student, worker, clean_worker):
    """make_embedding_classifier: n_components is capped to the number of examples and of
    features, so tiny data does not raise."""
    rng = np.random.default_rng(9)
    cases = {
        _("6 examples of 12 features"): (rng.normal(size=(6, 12)), np.arange(6) % 2, 6),
        _("40 examples of 3 features"): (rng.normal(size=(40, 3)), np.arange(40) % 2, 3),
    }
    for label, (x, y, cap) in cases.items():
        steps = read_pipeline(worker, student.make_embedding_classifier(x, y, n_components=50))
        pca = _pca(steps)
        verify_fitted(clean_worker, steps, x, y)
        kept = _kept(pca)
        assert kept == cap, (
            _("for {label} and n_components=50, the PCA should keep {cap} components, it "
              "keeps {kept}").format(label=label, cap=cap, kept=kept)
        )


# The classifier the hidden test hands in, and its settings: the last step must carry them.
GIVEN = {"kind": "tree", "seed": 4, "max_depth": 3}


@pytest.mark.rubric(points=1, visibility="hidden")
def test_classifier_uses_the_classifier_it_is_given(student, worker, clean_worker, blobs):
    """make_embedding_classifier: a classifier passed in replaces the SVC as the last step,
    and the PCA is seeded with seed."""
    from sklearn.tree import DecisionTreeClassifier

    x_train, y_train, _x_test, _y_test = blobs
    given = worker.tool("seeded_classifier", GIVEN["kind"], seed=GIVEN["seed"],
                        max_depth=GIVEN["max_depth"])
    steps = read_pipeline(worker, student.make_embedding_classifier(
        x_train, y_train, n_components=4, classifier=given, seed=11), known=(given,))
    last = steps[-1]
    # The settings are checked here, against the classifier's own (computed in the grader):
    # the report of the student's worker only claims which object the step is.
    settings = DecisionTreeClassifier(random_state=GIVEN["seed"],
                                      max_depth=GIVEN["max_depth"]).get_params(deep=False)
    assert last.known == 0 and last.qualname == "DecisionTreeClassifier" and all(
        last.params.get(key) == value for key, value in settings.items()), (
        _("the last step should be the classifier given (fitted), got a {got}").format(
            got=last.qualname)
    )
    pca = [s for s in steps if s.qualname == "PCA"]
    assert pca and pca[0].params.get("random_state") == 11, (
        _("the PCA's random_state should be seed")
    )
    verify_fitted(clean_worker, steps, x_train, y_train)


@pytest.mark.rubric(points=3, visibility="hidden")
def test_pipeline_classifies_cnn_embeddings_of_real_digits(student, worker, clean_worker,
                                                           mnist_embeddings, blobs):
    """make_embedding_classifier: fitted on embeddings of real digits from a fixed trained CNN,
    it reaches the reference pipeline's test accuracy minus a small margin, with an SVC of
    default settings."""
    required = budget.threshold(mnist_embeddings.source)
    accuracy = budget.pipeline_accuracy(student, worker, clean_worker, mnist_embeddings)
    assert accuracy >= required, (
        _("test accuracy {accuracy:.3f} is below the {required:.3f} required on the digits' "
          "embeddings; check the scaler, the PCA and the default SVC").format(
            accuracy=accuracy, required=required)
    )
    # The settings are checked directly too: another classifier may clear the threshold.
    x_train, y_train, _x_test, _y_test = blobs
    last = read_pipeline(worker, student.make_embedding_classifier(x_train, y_train,
                                                                   n_components=5))[-1]
    from sklearn.svm import SVC

    default = SVC().get_params(deep=False)
    differs = sorted(key for key in DECISION_SETTINGS if last.params.get(key) != default[key])
    assert last.qualname == "SVC" and not differs, (
        _("the default classifier should be SVC() with its default settings; these differ: "
          "{settings}").format(settings=", ".join(differs) or last.qualname)
    )


@pytest.mark.rubric(points=3, visibility="hidden")
def test_pipeline_classifies_cnn_embeddings_of_cats_and_dogs(student, worker, clean_worker,
                                                             cats_dogs_embeddings):
    """make_embedding_classifier: fitted on embeddings of the cats-vs-dogs photos (when the
    grader has the mirror), it reaches the reference's test accuracy minus a small margin."""
    required = budget.threshold(cats_dogs_embeddings.source)
    accuracy = budget.pipeline_accuracy(student, worker, clean_worker, cats_dogs_embeddings)
    assert accuracy >= required, (
        _("test accuracy {accuracy:.3f} is below the {required:.3f} required on the photos' "
          "embeddings; check the scaler, the PCA and the default SVC").format(
            accuracy=accuracy, required=required)
    )
