"""The catalogue of assignments: where each one's reference, release and hidden suite live."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

# The kit runs from a checkout: solutions/ and assignments/ sit beside the package.
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Assignment:
    """One assignment of the course.

    Parameters
    ----------
    id : str
        Folder name under ``solutions/`` and ``assignments/``, e.g. ``"01_mnist_cnn"``.
    title : str
        Human title.
    notebook : str
        File name of the notebook inside that folder.
    suite : str
        Package name of the hidden suite under ``autograder/suites/``.
    """

    id: str
    title: str
    notebook: str
    suite: str

    @property
    def solution_path(self) -> Path:
        return ROOT / "solutions" / self.id / self.notebook

    @property
    def release_path(self) -> Path:
        return ROOT / "assignments" / self.id / self.notebook

    @property
    def suite_dir(self) -> Path:
        return ROOT / "autograder" / "suites" / self.suite

    @property
    def examples_dir(self) -> Path:
        return ROOT / "examples" / self.id


def discover_assignments(suites_dir: Path = ROOT / "autograder" / "suites") -> dict:
    """Every assignment whose hidden suite declares itself in an ``assignment.json``.

    Adding an assignment is adding a suite folder (with that file), a reference notebook
    and its release: nothing else in the kit lists them.
    """
    found = {}
    for declaration in sorted(suites_dir.glob("*/assignment.json")):
        data = json.loads(declaration.read_text(encoding="utf-8"))
        found[data["id"]] = Assignment(
            data["id"], data["title"], data["notebook"], declaration.parent.name
        )
    return dict(sorted(found.items()))


ASSIGNMENTS: dict[str, Assignment] = discover_assignments()


def get_assignment(assignment_id: str) -> Assignment:
    """The assignment with this id; ``KeyError`` with the known ids otherwise."""
    try:
        return ASSIGNMENTS[assignment_id]
    except KeyError:
        known = ", ".join(ASSIGNMENTS)
        raise KeyError(f"unknown assignment {assignment_id!r}; known: {known}") from None


def guess_assignment(notebook: Path, declared: str | None) -> Assignment | None:
    """The assignment a submitted notebook belongs to.

    The notebook's own metadata (``metadata.cnnkit.assignment``) wins; otherwise the
    file name is matched against each assignment's notebook name.
    """
    if declared in ASSIGNMENTS:
        return ASSIGNMENTS[declared]
    for assignment in ASSIGNMENTS.values():
        if notebook.name == assignment.notebook:
            return assignment
    if len(ASSIGNMENTS) == 1:
        return next(iter(ASSIGNMENTS.values()))
    return None
