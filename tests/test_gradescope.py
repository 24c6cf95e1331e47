"""Gradescope: the autograder.zip holds what the specification asks and nothing of a student's,
and its ``run_autograder`` grades a submission in a simulated ``/autograder`` layout.

The simulated layout is a temporary root that ``run_autograder`` accepts through
``CNNKIT_AUTOGRADER_ROOT``; the interpreter is this test run's (``CNNKIT_PYTHON``), standing in
for the one ``setup.sh`` installs. Every ``results/results.json`` is validated against the
fields of Gradescope's specification (``tests/schemas/gradescope_results.schema.json``).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import nbformat
import pytest
from grading import ROOT, answered_submission, function_points, spanish_submission

from autograder.assignments import ASSIGNMENTS, get_assignment
from autograder.gradescope import build_zip

ASSIGNMENT = get_assignment("01_mnist_cnn")
SCHEMA = json.loads((ROOT / "tests" / "schemas" / "gradescope_results.schema.json").read_text())


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("gradescope") / "autograder.zip"
    build_zip(ASSIGNMENT.id, target)
    return target


def simulated_root(archive: Path, root: Path, submitted: dict[str, Path]) -> Path:
    """Unpack the zip as Gradescope does (``root/source``) and place the submitted files."""
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(root / "source")
        for info in opened.infolist():  # zipfile does not restore permissions
            mode = info.external_attr >> 16
            if mode:
                os.chmod(root / "source" / info.filename, mode & 0o777)
    (root / "submission").mkdir(parents=True)
    for name, source in submitted.items():
        shutil.copy(source, root / "submission" / name)
    return root


def run_autograder(root: Path, *, python: str = sys.executable) -> dict:
    completed = subprocess.run(
        ["bash", str(root / "source" / "run_autograder")],
        env={**os.environ, "CNNKIT_AUTOGRADER_ROOT": str(root), "CNNKIT_PYTHON": python},
        capture_output=True, text=True, timeout=900,
    )
    results = root / "results" / "results.json"
    assert results.is_file(), completed.stdout[-2000:] + completed.stderr[-2000:]
    data = json.loads(results.read_text(encoding="utf-8"))
    jsonschema.validate(data, SCHEMA)
    return data


def test_the_zip_has_the_scripts_at_its_root_and_they_are_executable(archive):
    with zipfile.ZipFile(archive) as opened:
        infos = {info.filename: info for info in opened.infolist()}
        for script in ("setup.sh", "run_autograder"):
            assert script in infos, f"{script} must sit at the zip's root"
            assert (infos[script].external_attr >> 16) & stat.S_IXUSR, f"{script} not executable"
        assert json.loads(opened.read("cnnkit-gradescope.json"))["assignment"] == ASSIGNMENT.id


def test_the_zip_holds_the_hidden_suite_and_reference_but_no_student_files(archive):
    names = set(zipfile.ZipFile(archive).namelist())
    suite = ASSIGNMENT.suite_dir.relative_to(ROOT).as_posix()
    assert {f"{suite}/conftest.py", "pyproject.toml",
            ASSIGNMENT.solution_path.relative_to(ROOT).as_posix()} <= names
    assert not [n for n in names if n.startswith(("assignments/", "examples/", "tests/"))]
    others = [a.suite_dir.relative_to(ROOT).as_posix() + "/" for a in ASSIGNMENTS.values()
              if a.id != ASSIGNMENT.id]
    assert not [n for n in names if n.startswith(tuple(others))], "another assignment's suite"
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_the_setup_script_is_valid_bash(archive, tmp_path):
    script = tmp_path / "setup.sh"
    script.write_bytes(zipfile.ZipFile(archive).read("setup.sh"))
    completed = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr


def test_an_upload_without_a_notebook_gets_a_message_not_a_crash(archive, tmp_path):
    root = simulated_root(archive, tmp_path / "autograder",
                          {"notes.txt": ROOT / "pyproject.toml"})
    data = run_autograder(root)
    assert data["score"] == 0
    assert "upload mnist_cnn.ipynb" in data["output"] and "notes.txt" in data["output"]


def test_a_grader_that_cannot_start_still_leaves_valid_results(archive, tmp_path):
    root = simulated_root(archive, tmp_path / "autograder",
                          {"mnist_cnn.ipynb": ASSIGNMENT.examples_dir / "blank.ipynb"})
    data = run_autograder(root, python="/bin/false")
    assert data["score"] == 0 and "course staff" in data["output"]


@pytest.mark.slow
def test_run_autograder_grades_a_submission_in_the_simulated_layout(archive, tmp_path):
    """A student who answered find_misclassified only: the points of its rubric lines."""
    answered = tmp_path / "mnist_cnn.ipynb"
    nbformat.write(answered_submission(ASSIGNMENT, only="find_misclassified"), answered)
    root = simulated_root(archive, tmp_path / "autograder", {"mnist_cnn.ipynb": answered})
    data = run_autograder(root)
    assert data["score"] == function_points(ASSIGNMENT.id, "find_misclassified") > 0
    assert data["max_score"] == 30
    assert data["extra_data"]["assignment"] == ASSIGNMENT.id
    assert (root / "results" / "feedback.html").is_file()


def test_setup_grades_the_reference_and_leaves_the_graders_cache_ready(archive, tmp_path):
    """setup.sh's selfcheck grades the reference in full: a broken image fails while it is
    built, and the grader's trainings of the reference's model are cached for the students."""
    root = simulated_root(archive, tmp_path / "autograder", {})
    cache = tmp_path / "cache"
    completed = subprocess.run(
        [sys.executable, "-m", "autograder.gradescope", "selfcheck"], cwd=root / "source",
        env={**os.environ, "PYTHONPATH": str(root / "source"), "CNNKIT_CACHE_DIR": str(cache)},
        capture_output=True, text=True, timeout=900,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    assert f"{ASSIGNMENT.id} reference graded 30/30" in completed.stdout
    assert list((cache / "trainings").glob("fit_and_predict-*.npz"))


@pytest.fixture(scope="module")
def spanish_archive(tmp_path_factory) -> Path:
    """The zip of a course taught in Spanish (``cnnkit gradescope --lang es``)."""
    from autograder.i18n import language

    target = tmp_path_factory.mktemp("gradescope-es") / "autograder.zip"
    with language("es"):
        build_zip(ASSIGNMENT.id, target)
    return target


def test_a_spanish_zip_answers_an_upload_without_a_notebook_in_spanish(spanish_archive,
                                                                       tmp_path):
    root = simulated_root(spanish_archive, tmp_path / "autograder",
                          {"notes.txt": ROOT / "pyproject.toml"})
    data = run_autograder(root)
    assert data["score"] == 0 and "notes.txt" in data["output"]
    assert "upload mnist_cnn.ipynb" not in data["output"] and "mnist_cnn.ipynb" in data["output"]


@pytest.mark.slow
def test_a_spanish_zip_grades_with_the_kits_points_and_spanish_rubric_lines(spanish_archive,
                                                                           tmp_path):
    """A student of the Spanish course who answered preprocess_images only (that points do
    not depend on the language is tests/test_course_in_spanish.py's): the points of that
    function's rubric lines, and Spanish lines."""
    from autograder.i18n import language, translated

    answered = tmp_path / "mnist_cnn.ipynb"
    nbformat.write(spanish_submission(ASSIGNMENT, only="preprocess_images"), answered)
    root = simulated_root(spanish_archive, tmp_path / "autograder",
                          {"mnist_cnn.ipynb": answered})
    data = run_autograder(root)
    assert data["score"] == function_points(ASSIGNMENT.id, "preprocess_images") > 0
    assert data["max_score"] == 30
    assert data["extra_data"]["lang"] == "es"
    english = "preprocess_images: returns float32 images of shape (n, 28, 28, 1)."
    with language("es"):
        assert translated(english) in [t["name"] for t in data["tests"]]
    assert '<html lang="es"' in (root / "results" / "feedback.html").read_text(encoding="utf-8")
