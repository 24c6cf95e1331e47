"""Shared settings of the kit's own tests: offline, quiet, and the kit's paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Tests never touch the network: the MNIST loader goes straight to its offline source,
# and every subprocess the tests start inherits this.
os.environ["CNNKIT_OFFLINE"] = "1"
os.environ.pop("CNNKIT_DATA_DIR", None)
os.environ.pop("CNNKIT_MNIST_SOURCE", None)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def graded_examples(tmp_path_factory):
    """``graded_examples(assignment_id)``: every bundled example of an assignment graded once
    per test session through the real ``cnnkit grade`` command, shared by the modules that
    need those results (grading is the slow part of the kit's tests)."""
    from grading import grade_folder

    from autograder.assignments import get_assignment

    graded: dict[str, dict[str, dict]] = {}

    def grade(assignment_id: str) -> dict[str, dict]:
        if assignment_id not in graded:
            graded[assignment_id] = grade_folder(
                get_assignment(assignment_id).examples_dir,
                tmp_path_factory.mktemp(f"graded-{assignment_id}"),
            )
        return graded[assignment_id]

    return grade
