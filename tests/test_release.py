"""The student notebooks and the examples are generated from the references and in sync."""

from __future__ import annotations

import nbformat
import pytest

from autograder.assignments import ASSIGNMENTS
from autograder.examples import write_examples
from autograder.i18n import LANGUAGES
from autograder.release import SOLUTION_MARKERS, solution_lines

# That the references and the releases are in sync is checked through the command
# instructors run, in tests/test_cli.py.


def test_example_submissions_are_in_sync_with_the_solutions():
    synced = write_examples(check=True)
    assert synced and all(synced.values()), f"run `cnnkit release`: {synced}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_solution_line_survives_in_a_student_notebook(lang):
    for assignment in ASSIGNMENTS.values():
        solution = nbformat.read(assignment.solution_path_in(lang), as_version=4)
        released = nbformat.read(assignment.release_path_in(lang), as_version=4)
        secret = solution_lines(solution)
        assert len(secret) > 20, "the reference should hold real solution code"
        # the cells students answer in hold the signature, the docstring and a stub only
        answer_lines = {
            line.strip() for cell in released.cells
            if cell.get("metadata", {}).get("nbgrader", {}).get("solution")
            for line in cell.source.splitlines()
        }
        # (lines of bare punctuation, such as a closing brace, say nothing)
        leaked = {line for line in secret & answer_lines if any(c.isalnum() for c in line)}
        assert not leaked, f"{assignment.id}: solution lines in the release: {sorted(leaked)[:3]}"
        # and no substantial solution line shows up anywhere else either
        everywhere = {line.strip() for cell in released.cells for line in cell.source.splitlines()}
        long_leaks = {line for line in secret & everywhere if len(line) > 30}
        assert not long_leaks, f"{assignment.id}: solution lines in the release: {long_leaks}"
        text = assignment.release_path_in(lang).read_text(encoding="utf-8")
        assert not any(marker in text for marker in SOLUTION_MARKERS)
        answer_cells = [c for c in released.cells
                        if c.get("metadata", {}).get("nbgrader", {}).get("solution")]
        assert len(answer_cells) >= 5
        assert all("raise NotImplementedError()" in c.source for c in answer_cells)


def test_nothing_released_to_students_imports_the_hidden_suite(root):
    for path in (root / "assignments").rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert "autograder.suites" not in text, f"{path} mentions the hidden suite"
            assert "autograder.engine.reference" not in text, f"{path} loads the reference"


def test_one_nbgrader_run_releases_every_reference_and_names_the_one_it_could_not():
    """A release starts one nbgrader process per language for all the references; a
    reference nbgrader cannot read is named, and the others are still released."""
    from autograder.release import GenerateAssignment

    good, bad = ASSIGNMENTS["01_mnist_cnn"], ASSIGNMENTS["03_activations"]
    released, problems = GenerateAssignment("en").apply([
        (good, good.solution_path.read_text(encoding="utf-8")),
        (bad, '{"cells": ['),
    ])
    assert released == {good.id: good.release_path.read_text(encoding="utf-8")}
    assert list(problems) == [bad.id] and "nbgrader generate_assignment failed" in problems[bad.id]
