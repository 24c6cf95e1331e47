"""The course's notebooks' own package: their public checks, data loaders and start-up.

Everything a course notebook imports comes from here; there is no solution and no hidden test
in it.

- ``check("mnist_cnn.ipynb")`` reads the saved notebook, runs its definitions in this process
  and prints one line per public check as it runs; ``check("build_cnn")`` runs one function's
  checks. The expected values are frozen in this package as plain data.
- :mod:`cnnkit_student.datasets`: the course's data (MNIST, cats vs dogs), offline first.
- :mod:`cnnkit_student.startup`: ``quiet_tensorflow()``, TensorFlow imported without its C++
  start-up lines.
- ``grade_cell``: what the notebooks' locked autograder test cells call; it grades nothing
  (the course's grader grades those cells).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cnnkit_student.cells import grade_cell
    from cnnkit_student.runner import check

__version__ = "0.1.0"

__all__ = ["__version__", "check", "grade_cell", "ready"]

# Imported on first use: the notebook's first cell imports cnnkit_student.startup before
# anything loads TensorFlow, and the course's grader imports cnnkit_student.describe alone.
_LAZY = {"check": "cnnkit_student.runner", "grade_cell": "cnnkit_student.cells"}


def __getattr__(name: str) -> Any:
    """``check`` and ``grade_cell``, imported from their modules when first asked for.

    Parameters
    ----------
    name : str
        The attribute asked for.

    Returns
    -------
    Any
        The function.
    """
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cnnkit_student' has no attribute {name!r}")


def ready() -> bool:
    """Whether this installation holds the expected values of every assignment.

    Returns
    -------
    bool
        ``False`` in the course's own checkout, where they are never frozen.
    """
    from cnnkit_student.checks import MODULES
    from cnnkit_student.frozen import Expected

    return all(Expected(assignment).available() for assignment in MODULES)
