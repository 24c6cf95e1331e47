"""The ``cnnkit-check`` command: ``cnnkit-check NOTEBOOK [FUNCTION ...]``.

Exit code 0 when every selected check passes, 1 when any fails, 2 when the checks cannot
start (no such notebook, unknown function).
"""

from __future__ import annotations

import argparse
import os
import sys

from cnnkit_student import i18n
from cnnkit_student.checks import MODULES
from cnnkit_student.i18n import LANGUAGES, N_, _, language
from cnnkit_student.notebook import notebook_language

#: What ``cnnkit-check --help`` says first: the module's docstring, translated when shown.
DESCRIPTION = N_("""The ``cnnkit-check`` command: ``cnnkit-check NOTEBOOK [FUNCTION ...]``.

Exit code 0 when every selected check passes, 1 when any fails, 2 when the checks cannot
start (no such notebook, unknown function).
""")


def _asked_language(argv: list[str]) -> str | None:
    """The ``--lang`` of the command line when it names a language of the course (for the
    help text, before the arguments are parsed); ``None`` otherwise."""
    for index, argument in enumerate(argv):
        if argument == "--":
            break
        if argument == "--lang" and index + 1 < len(argv):
            value = argv[index + 1]
        elif argument.startswith("--lang="):
            value = argument.partition("=")[2]
        else:
            continue
        return value if value in LANGUAGES else None
    return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cnnkit-check", description=i18n.translated(DESCRIPTION),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebook", help=_("the saved notebook (.ipynb)"))
    parser.add_argument("functions", nargs="*", help=_("only these functions' checks"))
    parser.add_argument("--assignment", choices=sorted(MODULES),
                        help=_("when the notebook does not say which assignment it is"))
    parser.add_argument("--lang", choices=LANGUAGES, default=None,
                        help=_("the language of the report (default: the notebook's own, else "
                               "$CNNKIT_LANG, else en)"))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the public checks of a saved notebook from a terminal.

    The report's language is ``--lang``, else the notebook's own (``metadata.cnnkit.lang``),
    else ``CNNKIT_LANG``, else English.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (``sys.argv[1:]`` by default).

    Returns
    -------
    int
        The exit code.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    with language(_asked_language(argv)):
        args = _parser().parse_args(argv)
    # Before TensorFlow and matplotlib are imported: quiet logs, no window.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("MPLBACKEND", "Agg")

    from cnnkit_student.frozen import Expected
    from cnnkit_student.notebook import NotebookError
    from cnnkit_student.runner import UsageError, resolve, run_checks

    with language(args.lang or notebook_language(args.notebook)):
        try:
            path, assignment, functions = resolve(args.notebook, tuple(args.functions),
                                                  args.assignment)
            if not Expected(assignment).available():
                raise UsageError(_("this installation has no expected values for {assignment}; "
                                   "install the course's checks package (the wheel your "
                                   "instructor hands out)").format(assignment=assignment))
            report = run_checks(path, assignment, functions)
        except (UsageError, NotebookError, KeyError) as error:
            print(f"cnnkit-check: {error}", file=sys.stderr)
            return 2
        return 0 if report.all_passed else 1


if __name__ == "__main__":
    sys.exit(main())
