"""Produce the student notebooks in ``assignments/`` from the references in ``solutions/``.

A release is a pipeline of notebook transformations, one per class in nbgrader's style:
the solution regions become ``raise NotImplementedError()`` (nbgrader's own
``ClearSolutions``), outputs go, and execution counts are reset. The result is written in a
stable form so that ``cnnkit release --check`` can prove the two folders are in sync.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat import NotebookNode

from autograder.assignments import ASSIGNMENTS, Assignment

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


class ReleaseStep:
    """One transformation of a notebook on its way to students."""

    def apply(self, notebook: NotebookNode) -> NotebookNode:
        raise NotImplementedError


class ClearSolutions(ReleaseStep):
    """Replace each solution region by a stub that raises ``NotImplementedError``."""

    def apply(self, notebook: NotebookNode) -> NotebookNode:
        from nbgrader.preprocessors import ClearSolutions as NbgraderClearSolutions

        notebook, _ = NbgraderClearSolutions(enforce_metadata=False).preprocess(notebook, {})
        return notebook


class ClearOutputs(ReleaseStep):
    """Remove outputs and execution counts: a release starts clean."""

    def apply(self, notebook: NotebookNode) -> NotebookNode:
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
            cell.get("metadata", {}).pop("execution", None)
        return notebook


class CheckNoSolutionLeft(ReleaseStep):
    """Refuse to release a notebook that still holds a solution marker."""

    def apply(self, notebook: NotebookNode) -> NotebookNode:
        for index, cell in enumerate(notebook.cells, start=1):
            if any(marker in cell.source for marker in SOLUTION_MARKERS):
                raise ValueError(f"cell {index} still holds a solution marker after release")
        return notebook


RELEASE_PIPELINE: tuple[ReleaseStep, ...] = (ClearSolutions(), ClearOutputs(),
                                             CheckNoSolutionLeft())


def release_notebook(solution: NotebookNode) -> NotebookNode:
    """Run the release pipeline on a copy of a reference notebook."""
    notebook = nbformat.from_dict(solution)
    for step in RELEASE_PIPELINE:
        notebook = step.apply(notebook)
    return notebook


def render(notebook: NotebookNode) -> str:
    """The notebook as the exact text written to disk (stable across runs)."""
    return nbformat.writes(notebook) + "\n"


def release_assignment(assignment: Assignment, *, check: bool = False) -> bool:
    """Write (or with ``check``, compare) the student notebook of one assignment.

    Returns
    -------
    bool
        Whether the file on disk already matched the release.
    """
    solution = nbformat.read(assignment.solution_path, as_version=4)
    text = render(release_notebook(solution))
    target = assignment.release_path
    current = target.read_text(encoding="utf-8") if target.exists() else None
    if not check and current != text:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return current == text


def release_all(*, check: bool = False) -> dict[str, bool]:
    """Release every assignment; map each id to whether it was already in sync."""
    return {a.id: release_assignment(a, check=check) for a in ASSIGNMENTS.values()}


def solution_lines(notebook: NotebookNode) -> set[str]:
    """The non-trivial lines inside solution regions of a notebook."""
    lines: set[str] = set()
    for cell in notebook.cells:
        inside = False
        for line in cell.source.splitlines():
            if SOLUTION_MARKERS[0] in line:
                inside = True
            elif SOLUTION_MARKERS[1] in line:
                inside = False
            elif inside and line.strip() and not line.strip().startswith("#"):
                lines.add(line.strip())
    return lines


def examples_from(path: Path) -> list[Path]:
    """The example submissions bundled for an assignment folder."""
    return sorted(path.glob("*.ipynb"))
