"""cnnkit: auto-graded notebooks for a CNN course module, and the engine that grades them.

Students call :func:`check` from their notebook to run the public checks on the saved file.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "check"]


def check(notebook: str = "", *, assignment: str | None = None) -> float:
    """Run the public checks on a saved notebook and print one line per check.

    Parameters
    ----------
    notebook : str
        Path of the notebook file (save it first: the file on disk is what is checked).
        Empty: the only ``.ipynb`` file in the current folder.
    assignment : str, optional
        Assignment id when the notebook does not say it itself.

    Returns
    -------
    float
        Points earned on the public checks.
    """
    from autograder.cli import run_check

    return run_check(notebook, assignment=assignment)
