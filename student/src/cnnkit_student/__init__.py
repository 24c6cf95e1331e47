"""The public checks of the CNN course's notebooks, for students.

``check("mnist_cnn.ipynb")`` reads the saved notebook, runs its definitions in this process
and prints one line per public check as it runs; ``check("build_cnn")`` runs one function's
checks. The expected values are frozen in this package as plain data: there is no solution
and no hidden test here.
"""

from __future__ import annotations

from cnnkit_student.runner import check

__version__ = "0.1.0"

__all__ = ["__version__", "check", "ready"]


def ready() -> bool:
    """Whether this installation holds the expected values of every assignment."""
    from cnnkit_student.checks import MODULES
    from cnnkit_student.frozen import Expected

    return all(Expected(assignment).available() for assignment in MODULES)
