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
from autograder.release import ClearOutputs, release_notebook, render

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


def _defines(cell: NotebookNode, function: str) -> bool:
    return cell.cell_type == "code" and re.search(rf"^def {function}\(", cell.source, re.M)


def apply_example(solution: NotebookNode, example: PartialExample) -> NotebookNode:
    """A copy of ``solution`` with the example's function bodies swapped in."""
    notebook = nbformat.from_dict(solution)
    for function, body in example.bodies.items():
        cells = [c for c in notebook.cells if _defines(c, function)]
        if len(cells) != 1 or not _REGION.search(cells[0].source):
            raise ValueError(f"{example.name}: no single solution region defines {function}")
        cells[0].source = _REGION.sub(lambda m, b=body: m.group(1) + b + m.group(3),
                                      cells[0].source, count=1)
    notebook.metadata["cnnkit_example"] = {"mistake": example.mistake}
    return ClearOutputs().apply(notebook)


def example_notebooks(assignment: Assignment) -> dict[str, NotebookNode]:
    """Every example of an assignment: the reference, the blank release, the partial ones."""
    solution = nbformat.read(assignment.solution_path, as_version=4)
    examples = {
        "reference": ClearOutputs().apply(nbformat.from_dict(solution)),
        "blank": release_notebook(solution),
    }
    for example in partial_examples(assignment):
        examples[example.name] = apply_example(solution, example)
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
