"""The ``cnnkit`` command.

    cnnkit check [NOTEBOOK]             run the public checks on a saved notebook (students)
    cnnkit grade PATH --out DIR         grade a notebook or a folder of submissions
    cnnkit demo [--out DIR]             grade the bundled example submissions
    cnnkit release [--check]            regenerate assignments/ and examples/ from solutions/
    cnnkit data                         say which MNIST source would be used, and why
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from autograder.assignments import ASSIGNMENTS

# TensorFlow's C++ logging must be silenced before anything imports it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _grade(target: Path, out: Path | None, assignment: str | None, public_only: bool,
           verbose: bool) -> list:
    from autograder.engine.results import summary_table, test_report
    from autograder.engine.runner import find_submissions, grade_many

    submissions = find_submissions(target)
    if not submissions:
        raise SystemExit(f"no notebooks found under {target}")
    results = []
    for index, result in enumerate(
        grade_many(submissions, out, assignment=assignment, public_only=public_only), start=1
    ):
        results.append(result)
        print(
            f"[{index}/{len(submissions)}] {result.submission}: "
            f"{result.score:g}/{result.max_score:g} ({result.execution_time:.0f} s)",
            flush=True,
        )
        if verbose:
            print(test_report(result, only_failed=True))
    print()
    print(summary_table(results))
    sources = {r.extra.get("mnist_source") for r in results if r.extra.get("mnist_source")}
    if sources:
        print(f"\nMNIST source used by the grader: {', '.join(sorted(sources))}")
    if out is not None:
        print(f"results: {out}/<submission>/results.json")
    return results


def run_check(notebook: str = "", *, assignment: str | None = None) -> float:
    """Public checks for one notebook; prints a line per check and returns the points."""
    from autograder.engine.results import test_report
    from autograder.engine.runner import grade_submission

    path = Path(notebook) if notebook else _only_notebook_here()
    result = grade_submission(path, assignment=assignment, public_only=True)
    print(f"Public checks for {path.name}: {result.score:g} / {result.max_score:g} points")
    print(test_report(result))
    print("The hidden tests grade the rest of the assignment in the same way.")
    return result.score


def _only_notebook_here() -> Path:
    notebooks = [p for p in Path.cwd().glob("*.ipynb") if not p.name.startswith(".")]
    if len(notebooks) != 1:
        raise SystemExit("say which notebook to check, e.g. check('mnist_cnn.ipynb')")
    return notebooks[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cnnkit", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="run the public checks on a notebook")
    check.add_argument("notebook", nargs="?", default="")
    check.add_argument("--assignment", choices=sorted(ASSIGNMENTS))

    grade = commands.add_parser("grade", help="grade a notebook or a folder of notebooks")
    grade.add_argument("path", type=Path)
    grade.add_argument("--out", type=Path, default=Path("out/grades"))
    grade.add_argument("--assignment", choices=sorted(ASSIGNMENTS))
    grade.add_argument("--public-only", action="store_true")
    grade.add_argument("-v", "--verbose", action="store_true", help="show failed checks")

    demo = commands.add_parser("demo", help="grade the bundled example submissions")
    demo.add_argument("--out", type=Path, default=Path("out/demo"))

    release = commands.add_parser("release", help="regenerate student notebooks and examples")
    release.add_argument("--check", action="store_true", help="only verify they are in sync")

    commands.add_parser("data", help="which MNIST source would be used")

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    if args.command == "check":
        score = run_check(args.notebook, assignment=args.assignment)
        return 0 if score > 0 else 1
    if args.command == "grade":
        _grade(args.path, args.out, args.assignment, args.public_only, args.verbose)
        return 0
    if args.command == "demo":
        from autograder.data import describe_sources

        print(describe_sources())
        for assignment in ASSIGNMENTS.values():
            print(f"\n== {assignment.id}: {assignment.title} ==")
            _grade(assignment.examples_dir, args.out / assignment.id, assignment.id, False, True)
        return 0
    if args.command == "release":
        from autograder.examples import write_examples
        from autograder.release import release_all

        synced = release_all(check=args.check)
        synced.update(write_examples(check=args.check))
        for name, ok in synced.items():
            print(f"{name}: {'in sync' if ok else ('OUT OF SYNC' if args.check else 'written')}")
        return 0 if all(synced.values()) or not args.check else 1
    if args.command == "data":
        from autograder.data import describe_sources

        print(describe_sources())
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
