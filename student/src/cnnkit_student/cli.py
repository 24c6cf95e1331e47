"""The ``cnnkit-check`` command: ``cnnkit-check NOTEBOOK [FUNCTION ...]``.

Exit code 0 when every selected check passes, 1 when any fails, 2 when the checks cannot
start (no such notebook, unknown function).
"""

from __future__ import annotations

import argparse
import os
import sys

from cnnkit_student.checks import MODULES


def main(argv: list[str] | None = None) -> int:
    """Run the public checks of a saved notebook from a terminal.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (``sys.argv[1:]`` by default).

    Returns
    -------
    int
        The exit code.
    """
    parser = argparse.ArgumentParser(prog="cnnkit-check", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebook", help="the saved notebook (.ipynb)")
    parser.add_argument("functions", nargs="*", help="only these functions' checks")
    parser.add_argument("--assignment", choices=sorted(MODULES),
                        help="when the notebook does not say which assignment it is")
    args = parser.parse_args(argv)
    # Before TensorFlow and matplotlib are imported: quiet logs, no window.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("MPLBACKEND", "Agg")

    from cnnkit_student.frozen import Expected
    from cnnkit_student.notebook import NotebookError
    from cnnkit_student.runner import UsageError, resolve, run_checks

    try:
        path, assignment, functions = resolve(args.notebook, tuple(args.functions),
                                              args.assignment)
        if not Expected(assignment).available():
            raise UsageError(f"this installation has no expected values for {assignment}; "
                             "install the course's checks package (the wheel your "
                             "instructor hands out)")
        report = run_checks(path, assignment, functions)
    except (UsageError, NotebookError, KeyError) as error:
        print(f"cnnkit-check: {error}", file=sys.stderr)
        return 2
    return 0 if report.all_passed else 1


if __name__ == "__main__":
    sys.exit(main())
