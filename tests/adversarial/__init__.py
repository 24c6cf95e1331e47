"""The adversarial corpus: submissions that try to cheat, or to harm the grader or other
students, each with the points it must not exceed.

Each ``attacks_<assignment>.py`` module lists :class:`Attack` entries. An attack is a bundled
example (``base``: ``blank``, ``reference`` or another example of ``examples/<assignment>/``),
or just one of its answers (``only``: the other answer cells as released), with one code cell
appended at the end of the notebook, so that its definitions replace the earlier ones, exactly
as a student's extra cell would. ``tests/test_adversarial.py`` builds the
notebooks, grades them in one batch with an honest victim after each attacker, and checks
every promise of the sandbox.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from pathlib import Path

import nbformat
from grading import (  # noqa: F401 - the points helpers: the attack modules' imports
    example_function_points,
    example_points,
    function_points,
    keep_only_answer,
)

from autograder.assignments import get_assignment

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Attack:
    """One hostile or cheating submission.

    Parameters
    ----------
    name : str
        File name of the built notebook (without ``.ipynb``).
    assignment : str
        The assignment id.
    base : str
        The bundled example the attack starts from.
    code : str
        The cell appended to the notebook.
    max_points : float
        What it may earn at most: the honest part of ``base`` (0 for a blank).
    why : str
        What the attack tries, in one line.
    kind : str
        ``"cheat"`` (tries to earn points it has not earned) or ``"hostile"`` (tries to harm
        the grader, the machine or other students; or simply breaks).
    only : str, optional
        The one function of ``base`` left answered (the other answer cells get their stubs
        back): a cheaper grading, where the function the attack is about is enough to show
        what it must not gain or take away.
    """

    name: str
    assignment: str
    base: str
    code: str
    max_points: float
    why: str
    kind: str = "cheat"
    only: str | None = None

    def build(self, folder: Path) -> Path:
        """Write the attack's notebook into ``folder`` and return its path."""
        source = ROOT / "examples" / self.assignment / f"{self.base}.ipynb"
        notebook = nbformat.read(source, as_version=4)
        if self.only:
            released = nbformat.read(get_assignment(self.assignment).release_path, as_version=4)
            keep_only_answer(notebook, released, self.only)
        notebook.cells.append(nbformat.v4.new_code_cell(self.code))
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.name}.ipynb"
        nbformat.write(notebook, path)
        return path


def all_attacks() -> list[Attack]:
    """Every attack of every ``attacks_*.py`` module of this package."""
    found: list[Attack] = []
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        if module.startswith("attacks_"):
            found += importlib.import_module(f"{__name__}.{module}").ATTACKS
    return found
