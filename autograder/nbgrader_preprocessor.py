"""An nbgrader preprocessor: the kit's test cells get the points of the isolated grading.

``nbgrader autograde`` runs a submission in two passes: it *sanitizes* it (clears outputs,
restores locked cells and test cells from the gradebook), then *autogrades* the sanitized copy
through ``Autograde.autograde_preprocessors``: ``Execute`` runs every cell in one kernel, a few
preprocessors tidy the outputs, and ``SaveAutoGrades`` turns each test cell's outputs into its
score (``nbgrader.utils.determine_grade``). The kernel runs the student's cells, so whatever a
test cell prints or returns there is the student's to forge. :class:`KitGrades` goes between
the output tidying and ``SaveAutoGrades`` (``nbgrader_config.py`` puts it there) and replaces
those outputs with the kit's own grading of the notebook, run in a separate process.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import nbformat
from nbconvert.exporters.exporter import ResourcesDict
from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer

from autograder.nbgrader_bridge import (
    GRADE_CALL,
    GRADE_CELL_PREFIX,
    cell_report,
    function_of,
    grade_isolated,
)


def _kit_call(cell: NotebookNode) -> tuple[str, str] | None:
    """``(assignment, function)`` of a kit test cell, ``None`` for any other cell."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
        return None
    if not str(meta.get("grade_id", "")).startswith(GRADE_CELL_PREFIX):
        return None
    # the source is the gradebook's (OverwriteCells restored it), never the student's edit
    found = GRADE_CALL.search(cell.source)
    return (found.group(1), found.group(2)) if found else None


def _sources_only(nb: NotebookNode) -> NotebookNode:
    """A copy of the notebook without anything the kernel produced (outputs, counts, timing)."""
    clean = copy.deepcopy(nb)
    for cell in clean.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
    return clean


class KitGrades(NbGraderPreprocessor):
    """Overwrite the output of each kit test cell with the kit's isolated grading.

    The notebook graded is the sanitized one nbgrader holds in memory, written to a temporary
    file with its outputs removed: the kernel can change outputs but neither this copy's
    sources nor this process, whereas it could rewrite the notebook file in its own folder.
    Each test cell's outputs become one stdout stream (the kit's line per hidden test of that
    function, a failing test's message) and one ``execute_result`` holding the function's
    points as a float, which ``determine_grade`` records as the cell's partial credit.
    """

    timeout = Integer(
        1800, help="Seconds the kit's grading of one notebook may take before autograding of "
                   "that submission fails."
    ).tag(config=True)

    def preprocess(self, nb: NotebookNode,
                   resources: ResourcesDict) -> tuple[NotebookNode, ResourcesDict]:
        """Grade the notebook once and rewrite its kit test cells.

        Parameters
        ----------
        nb : NotebookNode
            The executed notebook.
        resources : ResourcesDict
            nbgrader's resources (the notebook's name is taken from ``resources["nbgrader"]``).

        Returns
        -------
        tuple
            The notebook with its kit test cells rewritten, and the resources unchanged.

        Raises
        ------
        RuntimeError
            When the kit cannot grade the notebook, or its rubric does not match the
            gradebook's test cells: nbgrader then fails this submission rather than record
            points that are not the kit's.
        """
        calls = {index: _kit_call(cell) for index, cell in enumerate(nb.cells)}
        calls = {index: call for index, call in calls.items() if call}
        if not calls:
            return nb, resources
        assignments = {assignment for assignment, _ in calls.values()}
        if len(assignments) != 1:
            raise RuntimeError(f"test cells of several assignments in one notebook: {assignments}")
        assignment = assignments.pop()
        name = resources.get("nbgrader", {}).get("notebook") or "submission"
        with tempfile.TemporaryDirectory(prefix="cnnkit-autograde-") as folder:
            path = Path(folder) / f"{name}.ipynb"
            nbformat.write(_sources_only(nb), path)
            result = grade_isolated(path, assignment, timeout=self.timeout)

        tests: dict[str, list[dict]] = {}
        for test in result["tests"]:
            tests.setdefault(function_of(test["name"]), []).append(test)
            if test.get("grader_error"):
                self.log.error("the kit could not finish %r (scored 0, as `cnnkit grade` does)",
                               test["name"])
        cells = {function for _, function in calls.values()}
        if set(tests) != cells:
            raise RuntimeError(
                f"the test cells ({sorted(cells)}) do not match the hidden suite of {assignment} "
                f"({sorted(tests)}): run `cnnkit release`, then `nbgrader generate_assignment`"
            )
        for index, (_, function) in calls.items():
            self._rewrite(nb.cells[index], tests[function])
        return nb, resources

    def _rewrite(self, cell: NotebookNode, tests: list[dict]) -> None:
        points = float(sum(test["score"] for test in tests))
        if points > float(cell.metadata["nbgrader"]["points"]):
            raise RuntimeError(
                f"{cell.metadata['nbgrader']['grade_id']}: the kit gives {points:g} points, the "
                f"cell is worth {cell.metadata['nbgrader']['points']}: release the assignment again"
            )
        # repr() of a float reads back as the same float: nbgrader records exactly these points
        cell.outputs = [
            nbformat.v4.new_output("stream", name="stdout", text=cell_report(tests)),
            nbformat.v4.new_output("execute_result", data={"text/plain": repr(points)},
                                   execution_count=cell.get("execution_count")),
        ]
