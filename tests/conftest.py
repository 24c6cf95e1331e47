"""Shared settings of the kit's own tests: offline, quiet, and the kit's paths."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

import pytest

# Tests never touch the network: the MNIST loader goes straight to its offline source,
# and every subprocess the tests start inherits this.
os.environ["CNNKIT_OFFLINE"] = "1"
os.environ.pop("CNNKIT_DATA_DIR", None)
os.environ.pop("CNNKIT_MNIST_SOURCE", None)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# The tests read English unless they ask for Spanish (--lang es): a language set in the
# shell of whoever runs them must not change what they see.
os.environ.pop("CNNKIT_LANG", None)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def _run_folder(tmp_path_factory) -> Path:
    """The temporary folder of the whole test run, shared by its test processes."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):  # basetemp/popen-gwN: the parent is the run's
        shared = shared.parent
    return shared


@pytest.fixture(scope="session")
def graded_examples(tmp_path_factory):
    """``graded_examples(assignment_id)``: every bundled example of an assignment graded once
    per test run through the real ``cnnkit`` grade command, shared by the modules that need
    those results (grading is the slow part of the kit's tests).

    Under pytest-xdist each test process has its own session, so the results are kept in the
    run's shared temporary folder behind a file lock: the first process to ask grades, the
    other waits for it and reads the same results.
    """
    from grading import grade_folder

    from autograder.assignments import get_assignment

    shared = _run_folder(tmp_path_factory)

    def grade(assignment_id: str) -> dict[str, dict]:
        folder = shared / f"graded-{assignment_id}"
        done = shared / f"graded-{assignment_id}.json"
        with open(shared / f"graded-{assignment_id}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not done.exists():
                results = grade_folder(get_assignment(assignment_id).examples_dir, folder,
                                       printed=shared / f"graded-{assignment_id}.printed")
                partial = done.with_suffix(".tmp")
                partial.write_text(json.dumps(results), encoding="utf-8")
                partial.replace(done)
        return json.loads(done.read_text(encoding="utf-8"))

    return grade


@pytest.fixture(scope="session")
def examples_grading_output(graded_examples, tmp_path_factory):
    """``examples_grading_output(assignment_id)``: what the ``cnnkit grade`` command of
    :func:`graded_examples` printed while it graded that assignment's examples."""
    shared = _run_folder(tmp_path_factory)

    def printed(assignment_id: str) -> str:
        graded_examples(assignment_id)
        return (shared / f"graded-{assignment_id}.printed").read_text(encoding="utf-8")

    return printed


# The order in which the test processes of `make test` take the modules up (pytest-xdist,
# `--dist loadfile --no-loadscope-reorder`): longest first, so that no process is left
# running a long module alone at the end. Seconds measured on 2026-12-07 (a full run with
# --durations=0 on a loaded 2-core machine, two processes). In three processes this order
# gave 506-527 s on fresh clones, and the order of the three-process module times (the
# Spanish course first) 535-549 s: the photo training then ran beside the heaviest modules.
# Modules not named here follow in pytest's order.
LONGEST_FIRST = (
    "test_nbgrader.py",           # 250 s: an nbgrader course autograded
    "test_assignment_01.py",      # 248 s: 01's examples, then broken notebooks
    "test_assignment_02.py",      # 204 s: 02's examples, then the mirror's training
    "test_student_bundle.py",     # 201 s: the students' package installed, checks run
    "test_course_in_spanish.py",  # 178 s
    "test_adversarial.py",        # 159 s: the hostile corpus in two lanes
    "test_assignment_04.py",      # 158 s
    "test_notebooks_run.py",      # 103 s
    "test_batch.py",              #  98 s
    "test_mutants.py",            #  95 s
    "test_gradescope.py",         #  85 s
    "test_assignment_03.py",      #  70 s
    "test_cli.py",                #  67 s
    "test_workflows.py",          #  40 s
    "test_wheel_install.py",      #  33 s
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: position for position, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: ties keep order
