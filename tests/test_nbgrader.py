"""A real nbgrader course, offline, with a real sqlite gradebook: release, autograde, feedback,
export. The points nbgrader records must be the ones the kit's own `grade` command gives."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from html import unescape
from pathlib import Path

import nbformat
import pytest
from grading import ROOT, grade_folder

from autograder.assignments import get_assignment
from autograder.nbgrader_bridge import GRADE_CELL_PREFIX, points_by_function

pytestmark = pytest.mark.slow

ASSIGNMENT = get_assignment("01_mnist_cnn")
NOTEBOOK_ID = Path(ASSIGNMENT.notebook).stem

# student -> the bundled example they hand in; carol also tampers with her test cells
STUDENTS = {"alice": "reference", "bob": "blank", "carol": "missing_dropout"}
TAMPERING = "carol"


def _nbgrader(course: Path, *args: str) -> str:
    # nbgrader runs `alembic` from PATH to set up the gradebook: as in an activated venv.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    completed = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=course, env={**os.environ, "PATH": path},
        capture_output=True, text=True, timeout=1200, check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return completed.stdout + completed.stderr


def _grade_cells(notebook) -> list:
    return [c for c in notebook.cells
            if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith(GRADE_CELL_PREFIX)]


def _tamper(notebook) -> None:
    """What carol tries: claim full marks in one test cell and delete another one."""
    cells = _grade_cells(notebook)
    claimed = next(c for c in cells if c.metadata["nbgrader"]["grade_id"] == "grade_build_cnn")
    claimed.source = "9.0"
    deleted = next(c for c in cells
                   if c.metadata["nbgrader"]["grade_id"] == "grade_preprocess_images")
    notebook.cells.remove(deleted)


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A course directory taken through generate, submit, autograde, feedback and export."""
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ASSIGNMENT.solution_path.parent, course / "solutions" / ASSIGNMENT.id)
    _nbgrader(course, "generate_assignment", ASSIGNMENT.id, "--force")
    for student, example in STUDENTS.items():
        bundled = ASSIGNMENT.examples_dir / f"{example}.ipynb"
        folder = course / "submitted" / student / ASSIGNMENT.id
        folder.mkdir(parents=True)
        if student == TAMPERING:
            notebook = nbformat.read(bundled, as_version=4)
            _tamper(notebook)
            nbformat.write(notebook, folder / ASSIGNMENT.notebook)
        else:
            shutil.copy(bundled, folder / ASSIGNMENT.notebook)
    _nbgrader(course, "autograde", ASSIGNMENT.id, "--force")
    _nbgrader(course, "generate_feedback", ASSIGNMENT.id, "--force")
    _nbgrader(course, "export", "--to", str(course / "grades.csv"))
    return course


@pytest.fixture(scope="module")
def kit_results(course, graded_examples, tmp_path_factory) -> dict[str, dict]:
    """The kit's own `grade` command on the very notebooks the students handed in.

    Untouched examples reuse the session's grading of the bundled examples (the files are
    checked to be the same bytes); the tampered notebook is graded on its own.
    """
    examples = graded_examples(ASSIGNMENT.id)
    results = {}
    for student, example in STUDENTS.items():
        handed_in = course / "submitted" / student / ASSIGNMENT.id / ASSIGNMENT.notebook
        if student == TAMPERING:
            flat = tmp_path_factory.mktemp("as-submitted")
            shutil.copy(handed_in, flat / f"{student}.ipynb")
            results[student] = grade_folder(flat, tmp_path_factory.mktemp("kit"))[student]
        else:
            bundled = ASSIGNMENT.examples_dir / f"{example}.ipynb"
            assert handed_in.read_bytes() == bundled.read_bytes()
            results[student] = examples[example]
    return results


def _gradebook_points(course: Path) -> dict[str, dict[str, float]]:
    from nbgrader.api import Gradebook

    points: dict[str, dict[str, float]] = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in STUDENTS:
            submission = gradebook.find_submission_notebook(NOTEBOOK_ID, ASSIGNMENT.id, student)
            points[student] = {
                grade.name.removeprefix(GRADE_CELL_PREFIX): float(grade.score)
                for grade in submission.grades
            }
    return points


def test_released_notebook_is_what_the_kit_commits(course):
    # nbgrader_config.py makes `assignments/` nbgrader's release folder
    released = course / "assignments" / ASSIGNMENT.id / ASSIGNMENT.notebook
    assert released.read_text(encoding="utf-8") == ASSIGNMENT.release_path.read_text(
        encoding="utf-8"
    )


def test_each_test_cell_gets_the_points_the_kit_gives_its_function(course, kit_results):
    recorded = _gradebook_points(course)
    for student in STUDENTS:
        expected = points_by_function(kit_results[student])
        assert recorded[student] == expected, student


def test_totals_match_the_kit_and_the_expected_example_points(course, kit_results):
    recorded = _gradebook_points(course)
    totals = {student: sum(points.values()) for student, points in recorded.items()}
    assert totals == {s: kit_results[s]["score"] for s in STUDENTS}
    assert totals == {"alice": 30.0, "bob": 0.0, "carol": 25.0}


def test_the_exported_csv_holds_the_totals(course, kit_results):
    with open(course / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    for student in STUDENTS:
        assert float(rows[student]["score"]) == kit_results[student]["score"]
        assert float(rows[student]["max_score"]) == kit_results[student]["max_score"]


def test_a_tampered_or_deleted_test_cell_is_graded_as_released(course):
    autograded = nbformat.read(
        course / "autograded" / TAMPERING / ASSIGNMENT.id / ASSIGNMENT.notebook, as_version=4
    )
    cells = {c.metadata["nbgrader"]["grade_id"]: c for c in _grade_cells(autograded)}
    assert "grade_cell(" in cells["grade_build_cnn"].source  # restored, not "9.0"
    assert "grade_preprocess_images" in cells  # put back and run
    assert _gradebook_points(course)[TAMPERING]["build_cnn"] == 4.0  # the missing dropout costs 5


def _suite_code_lines() -> set[str]:
    """Code lines of the hidden tests and of their fixtures (where hidden inputs are made)."""
    lines = set()
    for path in [*ASSIGNMENT.suite_dir.glob("test_*.py"), ASSIGNMENT.suite_dir / "conftest.py"]:
        for line in path.read_text(encoding="utf-8").splitlines():
            text = line.strip()
            # the lines only a hidden test would hold: calls into the student's or the
            # reference's code, assertions, and the draws of hidden inputs
            if len(text) > 24 and any(
                key in text for key in ("student.", "reference.", "assert ", "rng.")
            ):
                lines.add(text)
    return lines


def test_feedback_shows_no_hidden_test_code_or_inputs(course):
    code_lines = _suite_code_lines()
    assert len(code_lines) > 50
    for student in STUDENTS:
        html = (course / "feedback" / student / ASSIGNMENT.id / f"{NOTEBOOK_ID}.html").read_text(
            encoding="utf-8"
        )
        text = unescape(re.sub(r"<[^>]+>", "", html))
        assert "grade_cell(" in text  # the test cells are there ...
        leaked = [line for line in code_lines if line in text]
        assert not leaked, f"{student}: hidden suite code in the feedback: {leaked[:3]}"
        # no frame of the hidden suite, no seed of its hidden inputs
        assert "autograder/suites" not in text and "default_rng(" not in text
