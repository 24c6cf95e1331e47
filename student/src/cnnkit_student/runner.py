"""Run the public checks of a saved notebook, in this process, one line per check."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import logging
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from cnnkit_student import checks as registry
from cnnkit_student import i18n
from cnnkit_student.framework import (
    CheckFailed,
    Context,
    Outcome,
    StudentFunctions,
    scratch_folder,
)
from cnnkit_student.frozen import Expected
from cnnkit_student.i18n import _, check_language, current_language, language
from cnnkit_student.notebook import (
    NotebookError,
    assignment_of,
    function_sources,
    load_notebook,
    notebook_language,
    read_cells,
)


class UsageError(Exception):
    """The checks cannot start: which notebook or function is meant is unclear."""


@dataclass
class Report:
    """Every outcome of one run."""

    notebook: Path
    assignment: str
    outcomes: list[Outcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return sum(o.score for o in self.outcomes)

    @property
    def max_score(self) -> float:
        return sum(o.check.points for o in self.outcomes)

    @property
    def all_passed(self) -> bool:
        return bool(self.outcomes) and all(o.passed for o in self.outcomes)


def _notebooks_here(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))


def _assignment_for(path: Path, declared: str | None) -> str:
    if declared:
        registry.get(declared)
        return declared
    try:
        notebook, _sources = read_cells(path)
    except NotebookError:
        notebook = {}
    found = assignment_of(notebook) if notebook else None
    if found in registry.MODULES:
        return found
    for assignment, name in registry.NOTEBOOKS.items():
        if path.name == name:
            return assignment
    raise UsageError(_("cannot tell which assignment {notebook} belongs to; name it: "
                       "check({path!r}, assignment=...) with one of {assignments}").format(
        notebook=path.name, path=str(path), assignments=", ".join(registry.MODULES)))


def resolve(target: str, functions: tuple[str, ...], assignment: str | None,
            folder: Path | None = None) -> tuple[Path, str, tuple[str, ...]]:
    """Which notebook, assignment and functions a call means.

    ``target`` is a notebook path, or a function name (then the notebook is the one in
    ``folder`` whose assignment has that function), or empty (the only notebook there).
    """
    folder = folder or Path.cwd()
    if target and (target.endswith(".ipynb") or Path(target).is_file()):
        path = Path(target)
        if not path.is_file():
            raise UsageError(_("the notebook {target} was not found (from {folder})").format(
                target=target, folder=folder))
    else:
        if target:
            functions = (target, *functions)
        candidates = _notebooks_here(folder)
        if functions and len(candidates) > 1:
            candidates = [p for p in candidates if _defines_functions(p, functions, assignment)]
        if len(candidates) != 1:
            raise UsageError(_("say which notebook to check, e.g. check('mnist_cnn.ipynb') "
                               "({count} candidate notebooks in {folder})").format(
                count=len(candidates), folder=folder))
        path = candidates[0]
    assignment_id = _assignment_for(path, assignment)
    known = registry.get(assignment_id).functions
    unknown = [name for name in functions if name not in known]
    if unknown:
        raise UsageError(_("{names}: not a graded function of {assignment}; its functions are "
                           "{functions}").format(names=", ".join(unknown),
                                                 assignment=assignment_id,
                                                 functions=", ".join(known)))
    return path, assignment_id, tuple(functions)


def _defines_functions(path: Path, functions: tuple[str, ...], assignment: str | None) -> bool:
    try:
        known = registry.get(_assignment_for(path, assignment)).functions
    except (UsageError, KeyError):
        return False
    return all(name in known for name in functions)


def stale_warning(path: Path, functions: tuple[str, ...]) -> str | None:
    """A warning when the saved notebook does not hold the code this Jupyter kernel ran.

    Inside IPython, each graded function's last definition run in the kernel (from IPython's
    ``In`` history) is compared with its definition in the saved file. Outside IPython, or
    when the kernel ran no definition of them, nothing can be compared and ``None`` is
    returned.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    history = getattr(shell, "user_ns", {}).get("In") if shell is not None else None
    if not history:
        return None
    try:
        _notebook, sources = read_cells(path)
    except NotebookError:
        return None
    ran = function_sources([str(s) for s in history[1:]])
    saved = function_sources(sources)
    differing = [name for name in functions if name in ran and ran[name] != saved.get(name)]
    if not differing:
        return None
    return _("WARNING: the saved {notebook} differs from the code this kernel last ran for "
             "{functions}. The checks read the saved file: save the notebook (Ctrl-S), and run "
             "the changed cells, then check again.").format(notebook=path.name,
                                                            functions=", ".join(differing))


def _close_new_figures(before: set[int]) -> None:
    """Close the figures a check made, so that Jupyter does not draw them under the cell."""
    if "matplotlib.pyplot" not in sys.modules:
        return
    import matplotlib.pyplot as plt

    for number in set(plt.get_fignums()) - before:
        plt.close(number)


def _figures_now() -> set[int]:
    if "matplotlib.pyplot" not in sys.modules:
        return set()
    import matplotlib.pyplot as plt

    return set(plt.get_fignums())


def run_checks(path: Path, assignment_id: str, functions: tuple[str, ...] = (), *,
               stream: TextIO | None = None) -> Report:
    """Load the saved notebook's definitions and run its public checks, printing as it goes.

    Parameters
    ----------
    path : Path
        The saved notebook.
    assignment_id : str
        Its assignment.
    functions : tuple of str
        Only these functions' checks (all when empty).
    stream : text stream, optional
        Where the lines go (standard output by default).

    Returns
    -------
    Report
    """
    out = stream or sys.stdout
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    assignment = registry.get(assignment_id)
    chosen = assignment.ordered_checks(functions)
    report = Report(path, assignment_id)
    warning = stale_warning(path, functions or assignment.functions)
    if warning:
        report.warnings.append(warning)
        print(warning, file=out, flush=True)
    if functions:
        opening = _("Checking {notebook} ({assignment}): {count} public checks of {functions}; "
                    "reading the notebook...").format(notebook=path.name,
                                                      assignment=assignment_id,
                                                      count=len(chosen),
                                                      functions=", ".join(functions))
    else:
        opening = _("Checking {notebook} ({assignment}): {count} public checks; reading the "
                    "notebook...").format(notebook=path.name, assignment=assignment_id,
                                          count=len(chosen))
    print(opening, file=out, flush=True)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notices
    loaded = load_notebook(path)
    for note in loaded.notes:
        print("  " + _("note: {note}").format(note=note), file=out, flush=True)
    student = StudentFunctions(loaded)
    expected = Expected(assignment_id)
    width = len(str(len(chosen)))
    with scratch_folder() as scratch:
        for number, check in enumerate(chosen, start=1):
            folder = Path(scratch) / f"check-{number}"
            folder.mkdir()
            before = _figures_now()
            started = time.monotonic()
            try:
                # What the student's functions print (fit's progress) would bury the lines.
                with contextlib.redirect_stdout(io.StringIO()), \
                        contextlib.redirect_stderr(io.StringIO()):
                    check.run(Context(student, expected, folder))
                outcome = Outcome(check, True)
            except CheckFailed as failure:
                outcome = Outcome(check, False, str(failure) or _("the check did not pass"))
            except Exception as error:  # what the function returned broke the check
                outcome = Outcome(check, False, _(
                    "what {function} returned could not be checked ({error_type}: {error})"
                ).format(function=check.function, error_type=type(error).__name__, error=error))
            finally:
                _close_new_figures(before)
            outcome.seconds = time.monotonic() - started
            report.outcomes.append(outcome)
            print(_line(number, len(chosen), width, outcome), file=out, flush=True)
    print(summary(report), file=out, flush=True)
    return report


def _line(number: int, total: int, width: int, outcome: Outcome) -> str:
    check = outcome.check
    if check.graded:
        verdict = (_("PASS {score:g}/{points:g}") if outcome.passed
                   else _("FAIL {score:g}/{points:g}")).format(score=outcome.score,
                                                               points=check.points)
    else:
        verdict = _("PASS req") if outcome.passed else _("FAIL req")
    # The rubric line is registered in English and shown in the language in use.
    line = f"[{number:>{width}}/{total}] {verdict:<9} {i18n.translated(check.text)}"
    if not outcome.passed:
        line += f"\n{' ' * (width * 2 + 4)}-> {outcome.message}"
    return line


def summary(report: Report) -> str:
    """The closing lines: points of the public rubric lines, requirements met."""
    graded = [o for o in report.outcomes if o.check.graded]
    required = [o for o in report.outcomes if not o.check.graded]
    text = _("Public checks for {notebook}: {score:g} / {max_score:g} points").format(
        notebook=report.notebook.name, score=report.score, max_score=report.max_score)
    if required:
        text += "; " + _("stated requirements: {met} of {total} met (no points: the hidden "
                         "tests check them on other inputs)").format(
            met=sum(o.passed for o in required), total=len(required))
    if not graded and not required:
        text += " " + _("(no check selected)")
    return text + ".\n" + _("The hidden tests grade the rest of the assignment in the same way.")


def check(target: str = "", *functions: str, assignment: str | None = None,
          stream: TextIO | None = None, lang: str | None = None) -> float:
    """Run the public checks on a saved notebook; print one line per check as it runs.

    Parameters
    ----------
    target : str
        The notebook's path (``"mnist_cnn.ipynb"``), or a function name (``"build_cnn"``:
        only that function's checks, on the notebook in the current folder), or empty: the
        only notebook in the current folder.
    *functions : str
        More function names: only their checks.
    assignment : str, optional
        The assignment id, when the notebook does not say it.
    stream : text stream, optional
        Where the lines go (standard output by default).
    lang : {"en", "es"}, optional
        The language of the lines. By default the notebook's own (``metadata.cnnkit.lang``,
        which the Spanish release writes), else the language in use (``CNNKIT_LANG``, else
        English). The language in use is the same after the call.

    Returns
    -------
    float
        Points earned on the public rubric lines (requirement checks earn none).
    """
    out = stream or sys.stdout
    with language(checks_language(target, functions, assignment, lang)):
        try:
            path, assignment_id, chosen = resolve(target, tuple(functions), assignment)
            if not Expected(assignment_id).available():
                return _check_with_the_grader(path, assignment_id, out)
            report = run_checks(path, assignment_id, chosen, stream=stream)
        except (UsageError, NotebookError, KeyError) as error:
            print(_("cannot run the checks: {error}").format(error=error), file=out, flush=True)
            return 0.0
        return report.score


def checks_language(target: str, functions: tuple[str, ...] = (),
                    assignment: str | None = None, lang: str | None = None) -> str | None:
    """The language :func:`check` speaks for these arguments.

    ``lang`` when given; else the language the notebook meant by ``target`` declares
    (``metadata.cnnkit.lang``); else ``None``: the language in use (``CNNKIT_LANG``, else
    English).

    Raises
    ------
    ValueError
        ``lang`` is not a language of the course.
    """
    if lang is not None:
        return check_language(lang)
    try:
        path = resolve(target, tuple(functions), assignment)[0]
    except (UsageError, NotebookError, KeyError):
        # The error is reported by the run itself; a named notebook may still say its language.
        path = Path(target) if target.endswith(".ipynb") else None
    return notebook_language(path)


#: The course's grader, in the course's own checkout: its package and its check command.
_GRADER_PACKAGE = "autograder"
_GRADER_CHECK = ("-m", "autograder.cli", "check")


def _check_with_the_grader(path: Path, assignment_id: str, out: TextIO) -> float:
    """The public checks where this package holds no expected values: the course's own
    checkout, where the values are never frozen (only the release build freezes them).

    There the course's grader is installed beside this package and runs the same public
    tests in a process of its own (never imported here: this package stands on its own).
    Elsewhere the installation is incomplete, which is said.
    """
    if importlib.util.find_spec(_GRADER_PACKAGE) is None:
        print(_("cannot run the checks: this installation has no expected values for "
                "{assignment}; install the course's checks package (the wheel your instructor "
                "hands out)").format(assignment=assignment_id), file=out, flush=True)
        return 0.0
    completed = subprocess.run([sys.executable, *_GRADER_CHECK, str(path), "--assignment",
                                assignment_id, "--lang", current_language()],
                               capture_output=True, text=True, check=False)
    print(completed.stdout, end="", file=out, flush=True)
    if completed.returncode not in (0, 1):
        print(completed.stderr[-2000:], end="", file=out, flush=True)
    # The summary line, in either language: "...: 7 / 9 points" ("puntos" in Spanish).
    found = re.search(r": ([\d.]+) / [\d.]+ \w+", completed.stdout)
    return float(found.group(1)) if found else 0.0
