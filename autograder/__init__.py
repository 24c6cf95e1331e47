"""cnnkit: auto-graded notebooks for a CNN course module, and the engine that grades them.

Students check their notebooks with the students' package (``from cnnkit_student import
check``); ``autograder.check`` is the same function, kept for notebooks released before it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cnnkit_student.runner import check

__version__ = "0.1.0"

__all__ = ["__version__", "check"]


def __getattr__(name: str) -> Any:
    """``check``: :func:`cnnkit_student.check`, imported on first use (the grader's worker
    imports this package without needing the checks).

    Parameters
    ----------
    name : str
        The attribute asked for.

    Returns
    -------
    Any
        The function.
    """
    if name == "check":
        from cnnkit_student.runner import check

        globals()["check"] = check
        return check
    raise AttributeError(f"module 'autograder' has no attribute {name!r}")
