"""Example submissions bundled with the kit, derived from the reference notebooks.

Each partial example replaces the solution region of one or more functions with a realistic
mistake, so that the examples stay in step with the reference when it changes.
``cnnkit release`` writes them under ``examples/<assignment>/``; the kit's tests grade them
and check the exact points each one earns.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field

import nbformat
from nbformat import NotebookNode

from autograder.assignments import ASSIGNMENTS, Assignment
from autograder.release import SOLUTION_MARKERS, render

_REGION = re.compile(r"(### BEGIN SOLUTION\n)(.*?)(\n[ \t]*### END SOLUTION)", re.DOTALL)


@dataclass(frozen=True)
class PartialExample:
    """A submission that is right except for the given function bodies.

    Parameters
    ----------
    name : str
        File stem under ``examples/<assignment>/``.
    mistake : str
        What is wrong, in a sentence (written into the notebook's metadata).
    bodies : dict
        Function name -> the code that replaces its solution region (indented as in a
        function body).
    """

    name: str
    mistake: str
    bodies: dict[str, str] = field(default_factory=dict)


def partial_examples(assignment: Assignment) -> list[PartialExample]:
    """The partial examples an assignment's suite declares in its ``examples.py``."""
    try:
        module = importlib.import_module(f"autograder.suites.{assignment.suite}.examples")
    except ModuleNotFoundError:
        return []
    return list(module.PARTIAL_EXAMPLES)


def _grade_id(cell: NotebookNode) -> str | None:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta.get("grade_id") if meta.get("solution") else None


def submitted(released: NotebookNode, solution: NotebookNode, example: PartialExample | None
              ) -> NotebookNode:
    """What a student would hand in: the release with its solution cells filled in.

    The cells come from the reference (matched by nbgrader ``grade_id``), with the example's
    function bodies swapped in and the solution markers removed, as a student's own code has
    none.
    """
    answers = {_grade_id(c): c.source for c in solution.cells if _grade_id(c)}
    notebook = nbformat.from_dict(released)
    for function, body in (example.bodies if example else {}).items():
        cells = [name for name, source in answers.items()
                 if re.search(rf"^def {function}\(", source, re.M) and _REGION.search(source)]
        if len(cells) != 1:
            raise ValueError(f"{example.name}: no single solution region defines {function}")
        answers[cells[0]] = _REGION.sub(lambda m, b=body: m.group(1) + b + m.group(3),
                                        answers[cells[0]], count=1)
    for cell in notebook.cells:
        if _grade_id(cell) in answers:
            lines = answers[_grade_id(cell)].split("\n")
            cell.source = "\n".join(
                line for line in lines if line.strip() not in SOLUTION_MARKERS)
    if example:
        notebook.metadata["cnnkit_example"] = {"mistake": example.mistake}
    return notebook


def example_notebooks(assignment: Assignment) -> dict[str, NotebookNode]:
    """Every example of an assignment: the reference, the blank release, the partial ones."""
    solution = nbformat.read(assignment.solution_path, as_version=4)
    released = nbformat.read(assignment.release_path, as_version=4)
    examples = {
        "reference": submitted(released, solution, None),
        "blank": nbformat.from_dict(released),
    }
    for example in partial_examples(assignment):
        examples[example.name] = submitted(released, solution, example)
    return examples


def write_examples(*, check: bool = False) -> dict[str, bool]:
    """Write (or with ``check``, compare) every example; map each to whether it was in sync."""
    synced = {}
    for assignment in ASSIGNMENTS.values():
        for name, notebook in example_notebooks(assignment).items():
            target = assignment.examples_dir / f"{name}.ipynb"
            text = render(notebook)
            current = target.read_text(encoding="utf-8") if target.exists() else None
            if not check and current != text:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
            synced[f"examples/{assignment.id}/{name}"] = current == text
    return synced
