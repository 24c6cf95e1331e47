"""What the course's autograder test cells call: :func:`grade_cell`, which grades nothing.

Each graded function of a course notebook is followed by a locked test cell holding only
``grade_cell("<assignment>", "<function>")``. The hidden tests never run in the notebook: the
course's grader grades the saved notebook's sources on its own machine and, when it grades
with nbgrader, writes each test cell's output and points itself (it finds the cells by that
call). In a student's notebook the call prints one line, in the language in use
(``CNNKIT_LANG``, or the notebook's, as :func:`cnnkit_student.startup.quiet_tensorflow` set
it), and returns ``None``.
"""

from __future__ import annotations

import os

from cnnkit_student.i18n import _

#: nbgrader sets this variable while ``nbgrader autograde`` executes a notebook.
AUTOGRADE_ENV = "NBGRADER_EXECUTION"

__all__ = ["AUTOGRADE_ENV", "grade_cell"]


def grade_cell(assignment_id: str, function: str, notebook: str | None = None) -> float | None:
    """Stand in for a function's hidden tests in its test cell; grades nothing.

    Parameters
    ----------
    assignment_id : str
        The assignment, e.g. ``"01_mnist_cnn"``.
    function : str
        The graded function whose tests count in this cell.
    notebook : str, optional
        Ignored; kept so that notebooks released with it still run.

    Returns
    -------
    float or None
        ``None`` outside autograding. While nbgrader autogrades, ``0.0``: the grader replaces
        this cell's output and points afterwards, and without it the cell earns nothing
        rather than full marks.
    """
    del assignment_id, notebook  # the grader reads them from the locked cell, not from here
    if os.environ.get(AUTOGRADE_ENV) != "autograde":
        print(_("The hidden tests of {function} are run by the course's grader when your "
                "instructor grades the notebook.").format(function=function))
        return None
    print(_("The course's grader grades {function} after the notebook has run; its results "
            "replace this output.").format(function=function))
    return 0.0
