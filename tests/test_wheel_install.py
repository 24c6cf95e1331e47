"""The kit installed from its wheel (not editable) grades from a course folder, as the README's
instructor section says.

The wheel is built offline from a copy of the kit's sources and installed into a fresh virtual
environment that sees the main environment's third-party packages through a ``.pth`` line (a
plain path line does not run that folder's own ``.pth`` files, so the editable install of the
kit stays invisible). The course folder is a copy of the repository's course files in a
temporary folder: nothing is read from the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from grading import ROOT

from autograder import sandbox
from autograder.assignments import ASSIGNMENTS

pytestmark = pytest.mark.slow

ASSIGNMENT = "01_mnist_cnn"


def _run(command: list, *, cwd: Path, env: dict, timeout: float = 300) -> (
        subprocess.CompletedProcess):
    return subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """Build the wheel, install it into a new venv; the venv's paths and a clean environment."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"  # a copy, so that the build leaves nothing in the checkout
    source.mkdir()
    shutil.copytree(ROOT / "autograder", source / "autograder",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    # the students' package, which the kit's wheel carries too (the grader imports it)
    shutil.copytree(ROOT / "student" / "src", source / "student" / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "CNNKIT_COURSE", "VIRTUAL_ENV")}
    env["PIP_NO_INDEX"] = "1"  # offline: pip must not look anything up
    built = _run([sys.executable, "-m", "pip", "wheel", ".", "--no-deps",
                  "--no-build-isolation", "-w", base / "dist"], cwd=source, env=env)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    wheel = next((base / "dist").glob("*.whl"))

    venv = base / "venv"
    created = _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=base, env=env)
    assert created.returncode == 0, created.stderr[-2000:]
    python = venv / "bin" / "python"
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                     cwd=base, env=env).stdout.strip())
    (site / "main-venv.pth").write_text(sysconfig.get_path("purelib") + "\n")
    done = _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps",
                 wheel], cwd=base, env=env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return {"wheel": wheel, "python": python, "site": site, "env": env,
            "cnnkit": venv / "bin" / "cnnkit"}


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A course folder as an instructor keeps it: the references, releases and examples."""
    course = tmp_path_factory.mktemp("course")
    for name in ("solutions", "assignments", "examples"):
        shutil.copytree(ROOT / name, course / name,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copy(ROOT / "nbgrader_config.py", course)
    (course / "datasets").mkdir()
    shutil.copy(ROOT / "datasets" / "manifest.json", course / "datasets")
    return course


def test_the_wheel_carries_what_the_grader_needs(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    for assignment in ASSIGNMENTS.values():
        suite = f"autograder/suites/{assignment.suite}"
        assert {f"{suite}/pytest.ini", f"{suite}/assignment.json", f"{suite}/conftest.py"} <= names
    assert "autograder/startup.py" in names
    # what the notebooks import, from the students' package; its expected values are frozen
    # only in the student bundle, never in the kit's wheel
    assert {"cnnkit_student/startup.py", "cnnkit_student/cells.py",
            "cnnkit_student/datasets/mnist.py", "cnnkit_student/describe.py"} <= names
    assert not any(n.startswith("cnnkit_student/data/") for n in names)
    # the course's files are not the package's: they stay in the course folder
    assert not any(n.startswith(("solutions/", "examples/", "assignments/")) for n in names)


def test_the_installed_kit_is_the_wheel_not_the_checkout(installed, tmp_path):
    found = _run([installed["python"], "-c", "import autograder; print(autograder.__file__)"],
                 cwd=tmp_path, env=installed["env"])
    assert found.returncode == 0, found.stderr[-2000:]
    assert Path(found.stdout.strip()).is_relative_to(installed["site"]), found.stdout


def test_outside_a_course_folder_the_kit_says_where_it_looks(installed, tmp_path):
    completed = _run([installed["cnnkit"], "grade", ROOT / "examples" / ASSIGNMENT /
                      "reference.ipynb", "--out", tmp_path / "grades"],
                     cwd=tmp_path, env=installed["env"])
    assert completed.returncode != 0
    assert "no course folder found" in completed.stderr, completed.stderr[-2000:]
    assert "CNNKIT_COURSE" in completed.stderr and "nbgrader_config.py" in completed.stderr
    assert not (tmp_path / "grades").exists()


def test_an_instructor_grades_the_reference_from_inside_the_course_folder(installed, course):
    # from a subfolder: the course is found among the parents of the current directory
    here = course / "examples" / ASSIGNMENT
    out = course / "grades"
    completed = _run([installed["cnnkit"], "grade", "reference.ipynb", "--out", out],
                     cwd=here, env=installed["env"], timeout=600)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    result = json.loads((out / "reference" / "results.json").read_text())
    assert result["max_score"] == 30 and result["score"] == 30, completed.stdout[-3000:]
    # the installed kit's workers are sandboxed as a checkout's are
    assert result["extra_data"]["sandbox"]["level"] == sandbox.probe()["level"]
    assert not any(t["status"] != "passed" for t in result["tests"])
    # the tests' durations are measured: each one's, within the whole grading's time
    durations = [t["extra_data"]["duration"] for t in result["tests"]]
    assert all(d >= 0 for d in durations) and 0 < sum(durations) <= result["execution_time"]
    assert (out / "reference" / "feedback.html").is_file() and (out / "junit.xml").is_file()
