"""What a public check is, how it calls the student's functions, and how it fails.

A check is a plain function of a :class:`Context`. It calls the student's functions through
``ctx.student`` and says what is wrong with :func:`expect`; it compares with values frozen in
this package (``ctx.expected``), never with a solution. Two kinds:

- rubric checks (``points > 0``): the public lines of the course's rubric, same text, same
  points;
- requirement checks (``points == 0``): what a function's description states, checked on
  public inputs; they earn no points, and a hidden test may check the same requirement on
  other inputs.
"""

from __future__ import annotations

import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnnkit_student.frozen import Expected
from cnnkit_student.i18n import _
from cnnkit_student.notebook import LoadedNotebook


class CheckFailed(Exception):
    """A check's verdict: what is wrong, in words for the student."""


class StudentError(CheckFailed):
    """The student's function raised, or is missing, or not written yet."""

    def __init__(self, message: str, kind: str = "") -> None:
        super().__init__(message)
        self.kind = kind


def expect(condition: Any, message: str) -> None:
    """Fail the running check with ``message`` unless ``condition`` holds.

    (An explicit function rather than ``assert``: ``python -O`` would skip asserts.)
    """
    if not condition:
        raise CheckFailed(message)


def expect_value_error(call: Callable[[], Any], label: str) -> None:
    """Fail unless ``call()`` raises ``ValueError`` (inside the student's function)."""
    try:
        call()
    except StudentError as error:
        if error.kind == "NotImplementedError":
            raise
        expect(error.kind == "ValueError", _("ValueError is expected {label}, got: {error}"
                                             ).format(label=label, error=error))
    else:
        raise CheckFailed(_("ValueError is expected {label}; nothing was raised").format(
            label=label))


def _student_frame(error: BaseException) -> tuple[str, int] | None:
    """Where in the student's cells the error happened last: ``("6", 12)`` for cell 6, line
    12; ``None`` when it did not happen in a cell."""
    places = [(frame.filename[len("<cell "):-1], frame.lineno)
              for frame in traceback.extract_tb(error.__traceback__)
              if frame.filename.startswith("<cell ")]
    return places[-1] if places else None


class StudentFunctions:
    """The student's functions; calling one turns its errors into :class:`StudentError`."""

    def __init__(self, loaded: LoadedNotebook) -> None:
        self._loaded = loaded

    def __getattr__(self, name: str) -> Callable[..., Any]:
        loaded = self._loaded
        if not loaded.defines(name):
            why = loaded.problems.get(name)
            if why:
                message = _("{name} is not defined in {notebook}: {why}").format(
                    name=name, notebook=loaded.path.name, why=why)
            else:
                message = _("{name} is not defined in {notebook}; was it renamed?").format(
                    name=name, notebook=loaded.path.name)
            raise StudentError(message, "missing")
        function = getattr(loaded.namespace, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            except NotImplementedError:
                raise StudentError(_("{name} is not implemented yet").format(name=name),
                                   "NotImplementedError") from None
            except Exception as error:  # the student's code: report, never crash the run
                text = str(error).strip().splitlines()
                first = text[0][:300] if text else ""
                place = _student_frame(error)
                if place is None:
                    message = _("{name} raised {error_type}: {error}").format(
                        name=name, error_type=type(error).__name__, error=first)
                else:
                    message = _("{name} raised {error_type}: {error} (at cell {cell}, line "
                                "{line})").format(name=name, error_type=type(error).__name__,
                                                  error=first, cell=place[0], line=place[1])
                raise StudentError(message, type(error).__name__) from None

        return call


@dataclass
class Context:
    """What a check gets: the student's functions, the frozen values, a scratch folder."""

    student: StudentFunctions
    expected: Expected
    scratch: Path


@dataclass(frozen=True)
class Check:
    """One public check of one function."""

    function: str
    text: str  # the rubric line (for rubric checks, the course rubric's own text)
    points: float  # 0 for a requirement check
    run: Callable[[Context], None]

    @property
    def graded(self) -> bool:
        return self.points > 0


@dataclass
class Outcome:
    """The result of one check."""

    check: Check
    passed: bool
    message: str = ""
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return self.check.points if self.passed else 0.0


@dataclass
class Assignment:
    """One assignment's public checks (in the order they run) and how to freeze theirs."""

    id: str
    notebook: str
    functions: tuple[str, ...]  # the graded functions, in notebook order
    checks: list[Check] = field(default_factory=list)

    def rubric(self, function: str, points: float, text: str
               ) -> Callable[[Callable[[Context], None]], Callable[[Context], None]]:
        """Register a public rubric line (same text and points as the course's rubric)."""
        return self._register(function, float(points), text)

    def requirement(self, function: str, text: str
                    ) -> Callable[[Callable[[Context], None]], Callable[[Context], None]]:
        """Register an ungraded check of a requirement the notebook states."""
        return self._register(function, 0.0, text)

    def _register(self, function: str, points: float, text: str):
        if function not in self.functions:
            raise ValueError(f"{self.id}: {function} is not a graded function")

        def decorate(run: Callable[[Context], None]) -> Callable[[Context], None]:
            self.checks.append(Check(function, " ".join(text.split()), points, run))
            return run

        return decorate

    def ordered_checks(self, functions: tuple[str, ...] = ()) -> list[Check]:
        """The checks of ``functions`` (all when empty), in notebook order."""
        order = {name: index for index, name in enumerate(self.functions)}
        chosen = [c for c in self.checks if not functions or c.function in functions]
        return sorted(chosen, key=lambda c: order[c.function])


def scratch_folder() -> tempfile.TemporaryDirectory:
    """A temporary folder for the files some checks write (image folders)."""
    return tempfile.TemporaryDirectory(prefix="cnnkit-check-")
