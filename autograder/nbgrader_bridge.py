"""The bridge between nbgrader and the kit's hidden suites: one rubric for both.

Each graded function of a reference notebook is followed by an nbgrader *autograder test
cell* whose points are the sum of the points of that function's hidden tests. The cell holds
no test code and no hidden input, only a call to :func:`grade_cell`, which grades nothing:
nbgrader runs the student's cells and the test cells in one kernel, which the student's code
controls. The points come from :func:`grade_isolated`, the kit's own engine run on the
notebook's sources in a separate process, which the
:class:`~autograder.nbgrader_preprocessor.KitGrades` preprocessor calls once per notebook
after nbgrader has executed it, writing each test cell's output and partial credit.

``cnnkit release`` keeps those cells in step with the suites (:func:`sync_grade_cells`), then
runs nbgrader's own ``generate_assignment`` to produce the student notebooks.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from autograder.assignments import Assignment
from autograder.i18n import _, current_language

# re-exported: the preprocessor, the tests and older notebooks import them from here
from cnnkit_student.cells import AUTOGRADE_ENV, grade_cell  # noqa: F401

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
    """The source of a function's autograder test cell (no test code, no hidden input).

    Its comment is in the language in use (the release's); the code lines never change.
    """
    comment = _(
        "Autograder cell: the hidden tests of {function} ({tests} of them) run here when\n"
        "your instructor grades with nbgrader. To see how you are doing now, run the\n"
        "public checks in the last cell."
    ).format(function=function, tests=tests)
    # every line of the translation becomes a comment line, whatever its line breaks
    return (
        "".join(f"# {line}".rstrip() + "\n" for line in comment.splitlines())
        + "from cnnkit_student import grade_cell\n"
        "\n"
        f'grade_cell("{assignment_id}", "{function}")'
    )


def code_stub(lang: str) -> dict[str, str]:
    """nbgrader's ``ClearSolutions.code_stub`` for a course in ``lang``: what replaces a
    solution region in the student's notebook (nbgrader's own English default for English)."""
    from autograder.i18n import language

    with language(lang):
        return {"python": "# " + _("YOUR CODE HERE") + "\nraise NotImplementedError()"}


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


# -- what a test cell does in the kernel ------------------------------------------------------
# grade_cell lives in the students' package (cnnkit_student.cells), which the released
# notebooks import; it is re-exported here for notebooks released before that package.
# It grades nothing: at ``nbgrader autograde`` the
# :class:`~autograder.nbgrader_preprocessor.KitGrades` preprocessor grades the notebook's
# sources in a separate process after the kernel has finished and overwrites the test cells'
# outputs and points with that grading's results.


# -- the isolated grading that the preprocessor uses -----------------------------------------
#: Kit test cells call grade_cell with two string literals: the assignment and the function.
GRADE_CALL = re.compile(r"""grade_cell\(\s*["']([^"']+)["']\s*,\s*["']([^"']+)["']\s*\)""")

# One grading per notebook content and assignment within a process (an `nbgrader autograde`
# run): identical submissions, such as untouched released notebooks, are graded once.
_RESULTS: dict[tuple[str, str, str], dict] = {}


def grade_isolated(notebook: Path, assignment_id: str, *, timeout: float = 1800) -> dict:
    """Grade a notebook file with the kit's engine, outside this process, once per content.

    It is graded as a batch lane grades (:class:`autograder.batch.LaneSession`: one lane for
    every notebook of this process, its fork server started afresh), the student's code
    running in worker processes of its own; nothing of the calling process (nbgrader's, or a
    kernel's) takes part.

    Parameters
    ----------
    notebook : Path
        The notebook file to grade.
    assignment_id : str
        The assignment whose hidden suite grades it.
    timeout : float
        Seconds the whole grading may take.

    Returns
    -------
    dict
        ``{"tests": [...]}``, one entry per hidden test with its rubric ``name``, ``score``,
        ``max_score``, ``status``, ``output`` and ``grader_error``.

    Raises
    ------
    RuntimeError
        When the kit could not grade the notebook at all (no result, or no rubric line).
    """
    from autograder.engine.results import outcome

    lang = current_language()  # the grading's messages are in the language of this process
    key = (assignment_id, hashlib.sha256(notebook.read_bytes()).hexdigest(), lang)
    if key not in _RESULTS:
        with tempfile.TemporaryDirectory(prefix="cnnkit-nbgrader-") as folder:
            try:
                results = _lane_session().grade(notebook, folder, name=notebook.stem,
                                                assignment=assignment_id, timeout=timeout)
            except (OSError, ValueError, RuntimeError) as error:
                raise RuntimeError(f"the kit could not grade this notebook: {error}") from error
        result = {"tests": [
            {"name": t["name"], "score": t["score"], "max_score": t["max_score"],
             "status": outcome(t), "output": t.get("output", ""),
             "grader_error": bool((t.get("extra_data") or {}).get("grader_error"))}
            for t in results["tests"]
        ]}
        named = [_FUNCTION_PREFIX.match(t["name"]) for t in result["tests"]]
        if not named or not all(named):
            # the engine's "could not be graded at all" result: a problem of the kit, not a 0
            messages = "; ".join(t["output"] for t in result["tests"]) or "no test ran"
            raise RuntimeError(f"the kit could not grade this notebook: {messages}")
        _RESULTS[key] = result
    return _RESULTS[key]


_SESSION = None


def _lane_session():
    """This process's lane session, started on first use and ended when the process ends."""
    global _SESSION
    if _SESSION is None:
        import atexit

        from autograder.batch import LaneSession

        _SESSION = LaneSession()
        atexit.register(_SESSION.close)
    return _SESSION


def cell_report(tests: list[dict]) -> str:
    """What a function's test cell shows: one line per hidden test, a failing test's message.

    Parameters
    ----------
    tests : list of dict
        The function's entries of a :func:`grade_isolated` result.

    Returns
    -------
    str
        The text, ending with a newline.
    """
    marks = {"passed": _("ok"), "skipped": _("skip"), "failed": _("FAIL")}
    width = max(4, *(len(mark) for mark in marks.values()))  # the marks line up
    indent = " " * (width + 3)
    lines = []
    for test in tests:
        mark = marks.get(test["status"], marks["failed"]).ljust(width)
        lines.append(f"{mark} {test['score']:g}/{test['max_score']:g}  {test['name']}")
        if test["output"] and test["status"] != "passed":
            lines.append(indent + test["output"].strip().replace("\n", "\n" + indent))
    return "\n".join(lines) + "\n"


def points_by_function(result: dict) -> dict[str, float]:
    """The points a kit ``results.json`` gives each graded function (what nbgrader records)."""
    totals: dict[str, float] = {}
    for test in result["tests"]:
        function = function_of(test["name"])
        totals[function] = totals.get(function, 0.0) + float(test["score"])
    return totals

