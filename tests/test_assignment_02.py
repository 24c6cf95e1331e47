"""Assignment 02 end to end: the bundled examples graded for real, and the mirror check."""

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

ASSIGNMENT = get_assignment("02_cats_dogs")
EXAMPLES = ASSIGNMENT.examples_dir
# Without the cats-vs-dogs mirror (the kit's tests unset CNNKIT_DATA_DIR) the 3-point mirror
# check is skipped and counts 0 of 0.
FULL_MARKS = 46.0
MIRROR_CHECK = "test_cnn_reaches_the_reference_accuracy_on_cats_and_dogs"

# example -> (points, the tests it must fail)
EXPECTED = {
    "reference": (46.0, set()),
    "no_rescaling": (42.0, {"test_get_generators_gives_rescaled_binary_batches",
                            "test_rescaling_divides_every_pixel_by_255"}),
    "augmented_validation": (44.0, {"test_augmentation_changes_training_draws_only"}),
    "softmax_output": (39.0, {"test_build_cnn_layers_match_the_architecture",
                              "test_build_cnn_follows_input_shape_and_dropout_rate",
                              "test_cnn_fits_a_small_batch_of_real_images"}),
    "f1_by_hand": (44.0, {"test_evaluate_predictions_with_a_class_never_predicted"}),
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


def test_without_a_mirror_the_accuracy_check_is_skipped_with_its_reason(examples):
    for result in examples.values():
        check = next(t for t in result["tests"] if t["tags"][0] == MIRROR_CHECK)
        assert check["score"] == check["max_score"] == 0
        assert "no cats-vs-dogs mirror" in check["output"] and "CNNKIT_DATA_DIR" in check["output"]
        assert result["extra_data"]["learning_batch"].startswith("STAND-IN")


def test_messages_name_the_mistake(examples):
    assert "pixels should be rescaled into [0, 1]" in output_of(
        examples["no_rescaling"], "test_get_generators_gives_rescaled_binary_batches")
    assert "must not be augmented" in output_of(
        examples["augmented_validation"], "test_augmentation_changes_training_draws_only")
    assert "activation is 'softmax', expected 'sigmoid'" in output_of(
        examples["softmax_output"], "test_build_cnn_layers_match_the_architecture")
    assert "f1_macro must be a finite number" in output_of(
        examples["f1_by_hand"], "test_evaluate_predictions_with_a_class_never_predicted")


def test_hidden_messages_do_not_contain_hidden_inputs(examples):
    for result in examples.values():
        for test in result["tests"]:
            assert "array(" not in test["output"] and "[[" not in test["output"], test["output"]


def test_figure_tests_keep_the_student_and_reference_pictures(examples):
    pictures = examples["reference"]["extra_data"]["pictures"]
    for test in ("test_training_curves_are_titled_and_have_legends",
                 "test_confusion_matrix_figure_writes_each_count"):
        kept = pictures[test][0]
        assert kept["student"].endswith("_student.png")
        assert kept["reference"].endswith("_reference.png")


@pytest.mark.skipif(not HAS_MIRROR, reason=NO_MIRROR_REASON)
def test_with_the_mirror_the_reference_passes_the_accuracy_check(tmp_path):
    # Graded with the mirror, a notebook that answers build_cnn only, with the reference's
    # (the check's one function; the reference's other points are the examples' test): its
    # CNN trains under the budget (about 45 s on 2 cores) and must reach the calibrated
    # threshold, and the mirror check is worth 3 more points.
    folder = tmp_path / "submissions"
    folder.mkdir()
    nbformat.write(answered_submission(ASSIGNMENT, only="build_cnn"),
                   folder / "reference_build_cnn.ipynb")
    result = grade_folder(folder, tmp_path / "graded",
                          env={"CNNKIT_DATA_DIR": str(MIRROR_PARENT)})["reference_build_cnn"]
    check = next(t for t in result["tests"] if t["tags"][0] == MIRROR_CHECK)
    assert check["max_score"] == 3 and check["score"] == 3, check["output"]
    assert result["max_score"] == FULL_MARKS + 3
    assert "verified" in result["extra_data"]["cats_dogs_mirror"]
