"""The bridge between nbgrader and the kit's hidden suites: one rubric for both.

Each graded function of a reference notebook is followed by an nbgrader *autograder test
cell* whose points are the sum of the points of that function's hidden tests. The cell holds
no test code and no hidden input; it calls :func:`grade_cell`, which grades the notebook being
autograded with the kit's own engine (worker process, plain data) and returns the points of
that function's tests as a float, nbgrader's convention for partial credit. The whole suite
runs once per notebook; the other cells of the same notebook reuse the result.

``cnnkit release`` keeps those cells in step with the suites (:func:`sync_grade_cells`), then
runs nbgrader's own ``generate_assignment`` to produce the student notebooks.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from autograder.assignments import Assignment, get_assignment

#: nbgrader sets this variable while ``nbgrader autograde`` executes a notebook.
AUTOGRADE_ENV = "NBGRADER_EXECUTION"
#: The grade_id of a function's test cell.
GRADE_CELL_PREFIX = "grade_"

_FUNCTION_PREFIX = re.compile(r"^([A-Za-z_]\w*):")


@dataclass(frozen=True)
class RubricLine:
    """One hidden test as the rubric shows it.

    Parameters
    ----------
    test : str
        The test function's name.
    name : str
        The rubric line (first paragraph of the docstring), starting with ``function:``.
    function : str
        The student function the test grades.
    points : float
    visibility : str
        ``"public"`` or ``"hidden"``.
    """

    test: str
    name: str
    function: str
    points: float
    visibility: str


def function_of(rubric_name: str) -> str:
    """The graded function named at the start of a rubric line (``"build_cnn: ..."``)."""
    found = _FUNCTION_PREFIX.match(rubric_name)
    if not found:
        raise ValueError(f"rubric line does not start with its function's name: {rubric_name!r}")
    return found.group(1)


class _Collect:
    """A pytest plugin that records the rubric of the collected tests."""

    def __init__(self) -> None:
        self.lines: list[RubricLine] = []

    def pytest_collection_finish(self, session) -> None:
        from autograder.engine.plugin import rubric_name, rubric_of

        for item in session.items:
            points, visibility = rubric_of(item)
            name = rubric_name(item)
            self.lines.append(
                RubricLine(item.originalname if hasattr(item, "originalname") else item.name,
                           name, function_of(name), points, visibility)
            )


def rubric(assignment: Assignment) -> list[RubricLine]:
    """Every hidden test of an assignment's suite, in suite order, without running any.

    Raises
    ------
    RuntimeError
        When the suite cannot be collected.
    """
    import pytest

    collector = _Collect()
    args = [
        str(assignment.suite_dir), "--collect-only", "-q",
        "-p", "autograder.engine.plugin", "-p", "no:cacheprovider",
        "--rootdir", str(assignment.suite_dir), "-c", str(assignment.suite_dir / "pytest.ini"),
        "--submission", os.devnull,
    ]
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        code = pytest.main(args, plugins=[collector])
    if code != pytest.ExitCode.OK:
        raise RuntimeError(f"could not collect the suite of {assignment.id}:\n{buffer.getvalue()}")
    return collector.lines


def points_per_function(lines: list[RubricLine]) -> dict[str, float]:
    """Total points of each graded function, in the order the suite first mentions them."""
    totals: dict[str, float] = {}
    for line in lines:
        totals[line.function] = totals.get(line.function, 0.0) + line.points
    return totals


# -- the test cells in the reference notebooks -----------------------------------------------
def grade_cell_source(assignment_id: str, function: str, tests: int) -> str:
    """The source of a function's autograder test cell (no test code, no hidden input)."""
    return (
        f"# Autograder cell: the hidden tests of {function} ({tests} of them) run here when\n"
        "# your instructor grades with nbgrader. To see how you are doing now, run the\n"
        "# public checks in the last cell.\n"
        "from autograder.nbgrader_bridge import grade_cell\n"
        "\n"
        f'grade_cell("{assignment_id}", "{function}")'
    )


def _grade_cell(assignment_id: str, function: str, tests: int, points: float) -> NotebookNode:
    cell = nbformat.v4.new_code_cell(grade_cell_source(assignment_id, function, tests))
    cell.id = f"{GRADE_CELL_PREFIX}{function}"[:64]  # stable: a re-release changes nothing
    cell.metadata["nbgrader"] = {
        "grade": True, "grade_id": f"{GRADE_CELL_PREFIX}{function}", "locked": True,
        "points": points, "schema_version": 3, "solution": False, "task": False,
    }
    return cell


def _solution_function(cell: NotebookNode) -> str | None:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if cell.cell_type == "code" and meta.get("solution") and not meta.get("grade"):
        return meta.get("grade_id")
    return None


def _is_grade_cell(cell: NotebookNode) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and str(meta.get("grade_id", "")).startswith(GRADE_CELL_PREFIX)


def sync_grade_cells(notebook: NotebookNode, assignment_id: str,
                     lines: list[RubricLine]) -> NotebookNode:
    """A copy of a reference notebook with one test cell after each graded function's cell.

    Existing test cells are replaced, so running it twice changes nothing.

    Raises
    ------
    ValueError
        When the suite grades a function that no solution cell defines, or a solution cell
        defines a function that no hidden test grades.
    """
    totals = points_per_function(lines)
    counts = {f: sum(1 for line in lines if line.function == f) for f in totals}
    notebook = nbformat.from_dict(notebook)
    cells = [c for c in notebook.cells if not _is_grade_cell(c)]
    defined = [f for f in map(_solution_function, cells) if f]
    if missing := sorted(set(totals) - set(defined)):
        raise ValueError(f"{assignment_id}: no solution cell with grade_id {missing}")
    if ungraded := sorted(set(defined) - set(totals)):
        raise ValueError(f"{assignment_id}: no hidden test grades {ungraded}")
    synced = []
    for cell in cells:
        synced.append(cell)
        function = _solution_function(cell)
        if function:
            synced.append(_grade_cell(assignment_id, function, counts[function], totals[function]))
    notebook.cells = synced
    return notebook


# -- what a test cell does at autograde time -------------------------------------------------
_RESULTS: dict[str, dict] = {}


def _grade_notebook(assignment: Assignment, notebook: Path) -> dict:
    """Grade ``notebook`` with the whole hidden suite, once per content, in a subprocess."""
    key = hashlib.sha256(notebook.read_bytes()).hexdigest()
    if key not in _RESULTS:
        with tempfile.TemporaryDirectory(prefix="cnnkit-nbgrader-") as out:
            completed = subprocess.run(
                [sys.executable, "-m", "autograder.cli", "grade", str(notebook),
                 "--assignment", assignment.id, "--out", out],
                capture_output=True, text=True, check=False,
                env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"},
            )
            written = list(Path(out).glob("*/results.json"))
            if completed.returncode != 0 or len(written) != 1:
                raise RuntimeError(
                    "the kit could not grade this notebook:\n" + completed.stdout[-1500:]
                    + completed.stderr[-1500:]
                )
            _RESULTS[key] = json.loads(written[0].read_text(encoding="utf-8"))
    return _RESULTS[key]


def grade_cell(assignment_id: str, function: str, notebook: str | None = None) -> float | None:
    """Grade one function of the notebook being autograded; return its points.

    Outside ``nbgrader autograde`` it only explains itself and returns ``None``: students see
    their public checks through :func:`autograder.check`, never the hidden results.

    Parameters
    ----------
    assignment_id : str
        The assignment, e.g. ``"01_mnist_cnn"``.
    function : str
        The graded function whose tests count in this cell.
    notebook : str, optional
        The notebook file; by default the assignment's notebook in the current folder (where
        nbgrader runs the kernel).

    Returns
    -------
    float or None
        The points of the function's tests, which nbgrader takes as the cell's partial credit.
    """
    if os.environ.get(AUTOGRADE_ENV) != "autograde":
        print(f"The hidden tests of {function} run when the notebook is autograded.")
        return None
    assignment = get_assignment(assignment_id)
    path = Path(notebook or assignment.notebook).resolve()
    # nbgrader gives no credit to a cell that writes to stderr: nothing here may.
    with contextlib.redirect_stderr(io.StringIO()):
        result = _grade_notebook(assignment, path)
    tests = [t for t in result["tests"] if function_of(t["name"]) == function]
    if not tests:
        raise RuntimeError(f"the hidden suite of {assignment_id} has no test of {function}")
    for test in tests:
        mark = "ok  " if test["status"] == "passed" else "FAIL"
        print(f"{mark} {test['score']:g}/{test['max_score']:g}  {test['name']}")
        if test["output"] and test["status"] != "passed":
            print("       " + test["output"].strip().replace("\n", "\n       "))
    return float(sum(t["score"] for t in tests))


def points_by_function(result: dict) -> dict[str, float]:
    """The points a kit ``results.json`` gives each graded function (what nbgrader records)."""
    totals: dict[str, float] = {}
    for test in result["tests"]:
        function = function_of(test["name"])
        totals[function] = totals.get(function, 0.0) + float(test["score"])
    return totals
