"""The course in Spanish, end to end: the Spanish notebooks graded with ``--lang es`` earn the
same points as in English, and what a student reads (rubric lines, messages, the feedback page
in a real browser) is Spanish."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from grading import (
    ROOT,
    example_points,
    failed,
    function_points,
    grade_folder,
    keep_only_answer,
    spanish_submission,
)
from test_nbgrader import _grade_cells, _nbgrader
from test_report import chromium_path

from autograder.assignments import ASSIGNMENTS
from autograder.engine.notebook import load_submission
from autograder.i18n import language, translated
from autograder.nbgrader_bridge import rubric

pytestmark = pytest.mark.slow

# What is graded in Spanish, in one batch: every assignment's Spanish release handed in blank
# (each check runs and fails: every rubric line of the four assignments is compared), the 01
# Spanish reference (full marks), and two failing examples, 01's with its faulty answer only
# (the same checks must fail as in English, with Spanish messages; that every message has its
# translation is tests/test_translations.py's). That the other
# Spanish references earn full marks follows from what the grader runs: their code is the
# English reference's (compared below), which tests/test_assignment_<NN>.py grades to full
# marks, and a regrade of the same code gives the same score.
GRADED_REFERENCE = "01_mnist_cnn"
FULL_MARKS = example_points(GRADED_REFERENCE, "reference")
# assignment -> a failing example and the function its mistake is in: handed in with that
# answer only (the others as released), it fails the same checks of that function as the
# whole example does in English. (03's overlay checks also call other answers: that example
# is handed in whole, None.)
FAILING = {"01_mnist_cnn": ("wrong_padding", "build_cnn"),
           "03_activations": ("alpha_swapped", None)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> tuple[Path, dict[str, dict]]:
    """One ``cnnkit grade --lang es`` batch: each assignment's Spanish release handed in
    blank, the 01 Spanish reference, and the failing examples; its out folder and results."""
    folder = tmp_path_factory.mktemp("spanish-submissions")
    for assignment in ASSIGNMENTS.values():
        nbformat.write(spanish_submission(assignment, blank=True),
                       folder / f"{assignment.id}-blank.ipynb")
        if assignment.id == GRADED_REFERENCE:
            nbformat.write(spanish_submission(assignment),
                           folder / f"{assignment.id}-reference.ipynb")
        if assignment.id in FAILING:
            example, function = FAILING[assignment.id]
            notebook = nbformat.read(assignment.examples_dir / f"{example}.ipynb", as_version=4)
            if function:
                keep_only_answer(notebook, nbformat.read(assignment.release_path, as_version=4),
                                 function)
            nbformat.write(notebook, folder / f"{assignment.id}-{example}.ipynb")
    out = tmp_path_factory.mktemp("spanish-out")
    return out, grade_folder(folder, out, extra_args=["--lang", "es"])


@pytest.fixture(scope="module")
def spanish(graded) -> dict[str, dict]:
    return graded[1]


def _rubric_lines_are_spanish(result: dict, english: dict[str, str]) -> None:
    """Each test of ``result`` has the Spanish line of ``english`` (test -> English line)."""
    assert {t["tags"][0] for t in result["tests"]} == set(english)
    for test in result["tests"]:
        original = english[test["tags"][0]]
        with language("es"):
            assert test["name"] == translated(original) != original, (
                "the rubric line is not in Spanish")


def _english_lines(result: dict) -> dict[str, str]:
    return {t["tags"][0]: t["name"] for t in result["tests"]}


def _graded_code(notebook_path: Path) -> list[str]:
    """What the grader runs from a notebook, statement by statement, docstrings and comments
    aside (the prose a translation changes)."""
    submission = load_submission(notebook_path)
    assert not submission.problems, submission.summary()
    statements = []
    for cell in submission.cells:
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                first = node.body[0] if node.body else None
                if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                        and isinstance(first.value.value, str)):
                    node.body = node.body[1:] or [ast.Pass()]
        statements.extend(ast.dump(statement) for statement in tree.body)
    return statements


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_the_spanish_reference_hands_the_grader_the_english_references_code(
        assignment, tmp_path):
    """The Spanish release answered with the Spanish reference's solutions gives the grader
    the code of the English reference example, statement for statement."""
    spanish_notebook = tmp_path / "es.ipynb"
    nbformat.write(spanish_submission(ASSIGNMENTS[assignment]), spanish_notebook)
    english = _graded_code(ASSIGNMENTS[assignment].examples_dir / "reference.ipynb")
    assert english, "the English reference defines nothing"
    assert _graded_code(spanish_notebook) == english


def test_the_code_comparison_sees_a_one_word_change():
    """The comparison above would catch a translation that changed the code: 01's
    wrong_padding example differs from the reference by one padding argument."""
    examples = ASSIGNMENTS["01_mnist_cnn"].examples_dir
    assert (_graded_code(examples / "wrong_padding.ipynb")
            != _graded_code(examples / "reference.ipynb"))


def test_the_spanish_reference_earns_full_points_on_spanish_rubric_lines(
        spanish, graded_examples):
    result = spanish[f"{GRADED_REFERENCE}-reference"]
    assert result["extra_data"]["lang"] == "es"
    assert result["score"] == result["max_score"] == FULL_MARKS, (
        [t["output"] for t in result["tests"] if t.get("status") == "failed"])
    _rubric_lines_are_spanish(result,
                              _english_lines(graded_examples(GRADED_REFERENCE)["reference"]))


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_a_blank_spanish_notebook_gets_every_rubric_line_and_message_in_spanish(
        spanish, assignment):
    result = spanish[f"{assignment}-blank"]
    lines = rubric(ASSIGNMENTS[assignment])
    assert result["score"] == 0 and result["max_score"] > 0
    points = {line.test: line.points for line in lines}
    for test in result["tests"]:  # a check skipped here (the photo mirror's) counts 0 of 0
        assert test["max_score"] in (points[test["tags"][0]], 0), test["name"]
    _rubric_lines_are_spanish(result, {line.test: line.name for line in lines})
    with language("es"):
        not_implemented = translated(
            "{what} is not implemented yet (it raises NotImplementedError)").split("{what}")[1]
    assert any(not_implemented in t["output"] for t in result["tests"]), (
        "no Spanish 'not implemented' message")


@pytest.mark.parametrize("assignment", sorted(FAILING))
def test_an_example_graded_in_spanish_fails_the_same_checks_as_in_english(
        spanish, graded_examples, assignment):
    example, function = FAILING[assignment]
    english = graded_examples(assignment)[example]
    result = spanish[f"{assignment}-{example}"]
    _rubric_lines_are_spanish(result, _english_lines(english))
    checks = {line.test for line in rubric(ASSIGNMENTS[assignment])
              if function in (None, line.function)}

    def of_the_function(graded: dict) -> list[dict]:
        return [t for t in graded["tests"] if t["tags"][0] in checks]

    assert failed(result) & checks == failed(english) & checks != set()
    assert result["score"] == sum(t["score"] for t in of_the_function(english)) > 0
    by_id = {t["tags"][0]: t for t in english["tests"]}
    for test in of_the_function(result):
        if test.get("status") == "failed":
            original = by_id[test["tags"][0]]
            assert test["output"] != original["output"], f"{test['name']}: message in English"


def test_the_spanish_feedback_page_reads_right_in_a_browser(graded, tmp_path):
    """Chromium parses the page (its charset, its markup) and shows the Spanish text."""
    out, spanish = graded
    result = spanish["01_mnist_cnn-wrong_padding"]
    page = out / "01_mnist_cnn-wrong_padding" / "feedback.html"
    completed = subprocess.run(
        [chromium_path(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'home'}", "--dump-dom", page.resolve().as_uri()],
        capture_output=True, text=True, timeout=180)
    assert completed.returncode == 0, completed.stderr[-2000:]
    dom = completed.stdout
    assert '<html lang="es"' in dom
    failing = next(t for t in result["tests"] if t.get("status") == "failed")
    assert failing["name"] in dom and "ó" in dom, "the Spanish rubric line is not on the page"
    assert "Ã" not in dom, "the page's accents were decoded with the wrong charset"


def test_check_speaks_the_language_of_a_spanish_notebook(tmp_path):
    """``cnnkit check`` on a Spanish student notebook answers in Spanish (its metadata)."""
    released = ASSIGNMENTS["01_mnist_cnn"].release_path_in("es")
    notebook = tmp_path / released.name
    shutil.copy(released, notebook)
    completed = subprocess.run(
        [sys.executable, "-m", "autograder.cli", "check", str(notebook)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 1, "a blank notebook fails its public checks"
    assert "Comprobaciones públicas" in completed.stdout, completed.stdout[-2000:]
    assert json.loads(notebook.read_text(encoding="utf-8"))["metadata"]["cnnkit"]["lang"] == "es"


def test_nbgrader_autogrades_and_gives_feedback_in_spanish(tmp_path):
    """A course taught in Spanish (``COURSE_LANGUAGE = "es"``): nbgrader releases the Spanish
    notebook, autogrades a Spanish submission with the kit's points and writes Spanish lines in
    its test cells and feedback. (The student answered preprocess_images only: that the
    Spanish reference earns full marks is checked above, and nbgrader's full marks in
    tests/test_nbgrader.py; this one is about the language.)"""
    assignment = ASSIGNMENTS["01_mnist_cnn"]
    course = tmp_path / "curso"
    course.mkdir()
    config = (ROOT / "nbgrader_config.py").read_text(encoding="utf-8")
    assert 'COURSE_LANGUAGE = "en"' in config
    (course / "nbgrader_config.py").write_text(
        config.replace('COURSE_LANGUAGE = "en"', 'COURSE_LANGUAGE = "es"'), encoding="utf-8")
    # a course folder holds the English reference (the hidden suite's) beside its translation
    shutil.copytree(assignment.solution_path.parent, course / "solutions" / assignment.id)
    shutil.copytree(assignment.solution_path_in("es").parent,
                    course / "solutions" / "es" / assignment.id)
    # the course's setting decides, not a language this test process may have set
    environment_free = {k: v for k, v in os.environ.items() if k != "CNNKIT_LANG"}
    _nbgrader(course, "generate_assignment", assignment.id, "--force", env=environment_free)
    released = course / "assignments" / "es" / assignment.id / assignment.notebook
    assert released.read_bytes() == assignment.release_path_in("es").read_bytes()
    handed_in = course / "submitted" / "ana" / assignment.id
    handed_in.mkdir(parents=True)
    nbformat.write(spanish_submission(assignment, only="preprocess_images"),
                   handed_in / assignment.notebook)
    _nbgrader(course, "autograde", assignment.id, "--force", env=environment_free)
    _nbgrader(course, "generate_feedback", assignment.id, "--force", env=environment_free)

    autograded = nbformat.read(course / "autograded" / "ana" / assignment.id
                               / assignment.notebook, as_version=4)
    cells = _grade_cells(autograded)
    points = [float(c.outputs[-1].data["text/plain"]) for c in cells]
    answered = function_points(assignment.id, "preprocess_images")
    assert answered > 0 and sum(points) == answered
    lines = "".join(c.outputs[0].text for c in cells)
    with language("es"):
        rubric_line = translated(
            "preprocess_images: returns float32 images of shape (n, 28, 28, 1).")
    assert rubric_line in lines and rubric_line.startswith("preprocess_images: devuelve")
    feedback = next((course / "feedback" / "ana" / assignment.id).glob("*.html"))
    page = feedback.read_text(encoding="utf-8")
    assert rubric_line.split(": ", 1)[1][:30] in page
    assert "Autograder cell" not in page and "Celda de corrección automática" in page
