"""Assignment 03 end to end: the bundled examples graded for real through `cnnkit grade`."""

from __future__ import annotations

import pytest
from grading import failed, output_of

from autograder.assignments import get_assignment

ASSIGNMENT = get_assignment("03_activations")
FULL_MARKS = 40.0

# example -> (points, the tests it must fail)
EXPECTED = {
    "reference": (40.0, set()),
    # The seed's NaN on a constant map spoils every grid that holds a dead channel.
    "nan_on_constant": (34.0, {"test_normalize_feature_map_is_finite_on_a_constant_map",
                               "test_normalization_grid_places_every_channel",
                               "test_normalization_grid_pads_the_last_row",
                               "test_normalization_grid_figures_match_the_reference"}),
    "layers_by_name": (38.0, {"test_activation_model_chooses_layers_by_type"}),
    "dropped_channels": (36.0, {"test_normalization_grid_pads_the_last_row",
                                "test_normalization_grid_figures_match_the_reference"}),
    # select_neurons ranks with the example's own top_neurons: "mixed" meets its ties too.
    "ties_reversed": (36.0, {"test_top_neurons_breaks_ties_by_index",
                             "test_select_neurons_mixed_and_interesting"}),
    # The public check uses the default alpha of 0.5, where the swap does not show.
    "alpha_swapped": (38.0, {"test_overlay_on_the_cat"}),
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
        assert "not implemented" in test["output"], (test["name"], test["output"])


@pytest.mark.parametrize("example", sorted(EXPECTED))
def test_each_example_earns_exactly_its_points(examples, example):
    points, failing = EXPECTED[example]
    assert failed(examples[example]) == failing
    assert examples[example]["score"] == points


def test_messages_name_the_mistake(examples):
    assert "skip the division" in output_of(
        examples["nan_on_constant"], "test_normalize_feature_map_is_finite_on_a_constant_map")
    # A hidden test names the exception and its line, never its text (which could echo the
    # hidden inputs): the by-name rule finds no layer in the hidden network and raises.
    by_name = output_of(examples["layers_by_name"], "test_activation_model_chooses_layers_by_type")
    assert "build_activation_model() raised ValueError (<cell" in by_name
    assert "no layer of the requested kinds" not in by_name
    assert "for a single channel: shape (26, 208) is expected, got (0, 208)" in output_of(
        examples["dropped_channels"], "test_normalization_grid_pads_the_last_row")
    assert "equal values: smaller index first" in output_of(
        examples["ties_reversed"], "test_top_neurons_breaks_ties_by_index")
    assert "the overlay differs from the expected one (max abs diff 0.4" in output_of(
        examples["alpha_swapped"], "test_overlay_on_the_cat")
    assert "image differs from the expected one (max abs diff" in output_of(
        examples["nan_on_constant"], "test_normalization_grid_figures_match_the_reference")


def test_hidden_messages_do_not_contain_hidden_inputs(examples):
    for result in examples.values():
        for test in result["tests"]:
            assert "array(" not in test["output"] and "[[" not in test["output"], test["output"]


def test_figure_tests_keep_the_student_and_reference_pictures(examples):
    pictures = examples["reference"]["extra_data"]["pictures"]
    for test in ("test_normalization_grid_figures_match_the_reference",
                 "test_strongest_channels_figure_matches_the_reference",
                 "test_neuron_heatmaps_match_the_reference"):
        kept = pictures[test]
        assert len(kept) >= 2
        assert all(p["student"].endswith("_student.png") for p in kept)
        assert all(p["reference"].endswith("_reference.png") for p in kept)
