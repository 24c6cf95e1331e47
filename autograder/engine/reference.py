"""The reference solution, loaded into the grader process only.

The reference notebook's definitions are taken with the same extraction as a student's
(see :mod:`autograder.engine.notebook`) and run here, once per grader process, so that the
expected values of the hidden tests never travel to a worker.
"""

from __future__ import annotations

import functools
import os
import types
import warnings

from autograder.assignments import get_assignment
from autograder.engine.notebook import load_submission


@functools.cache
def reference_module(assignment_id: str) -> types.ModuleType:
    """The reference notebook's functions as a module (cached for the process).

    Raises
    ------
    RuntimeError
        When the reference itself cannot be loaded: that is a bug of the kit, not of a
        submission, and must not be reported as a student's failure.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    assignment = get_assignment(assignment_id)
    submission = load_submission(assignment.solution_path)
    if submission.problems:
        raise RuntimeError(f"reference notebook is broken: {submission.problems[0].message}")
    module = types.ModuleType(f"reference_{assignment_id}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for cell in submission.cells:
            exec(compile(cell.source, f"<reference cell {cell.number}>", "exec"), module.__dict__)
    return module
