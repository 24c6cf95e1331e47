"""The ``cnnkit`` command.

    cnnkit check [NOTEBOOK]             run the public checks on a saved notebook (students)
    cnnkit grade PATH --out DIR         grade a notebook or a folder of submissions
                                        (--jobs N in parallel; resumes where it stopped)
    cnnkit export DIR                   rebuild grades.csv, junit.xml and feedback pages
    cnnkit gradescope ASSIGNMENT        build a Gradescope autograder.zip
    cnnkit demo [--out DIR]             grade the bundled example submissions
    cnnkit release [--check]            regenerate assignments/ and examples/ from solutions/,
                                        then build and scan the students' checks package
    cnnkit release --student-bundle     only build and scan the students' checks package
    cnnkit data                         say which MNIST source would be used, and why
    cnnkit translations [--update]      check the Spanish catalogs (or update them from the code)
    cnnkit mutants ASSIGNMENT           grade the catalogue's plausible mistakes: which does the
                                        hidden suite catch? (--jobs N, --only ID...)

check, grade, demo, export and gradescope take --lang en|es: the language of rubric lines,
messages and feedback (default: $CNNKIT_LANG, else the course's COURSE_LANGUAGE in
nbgrader_config.py, else English); release writes every language unless --lang narrows it.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

from autograder.assignments import ASSIGNMENTS, choose_language
from autograder.i18n import LANGUAGES, _

# TensorFlow's C++ logging must be silenced before anything imports it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


class _Progress:
    """One line per graded submission with an estimate of the time left, and on a terminal a
    bar redrawn in place."""

    def __init__(self, stream=sys.stderr) -> None:
        self.started = time.monotonic()
        self.stream = stream
        self.bar = stream.isatty()

    def __call__(self, message: dict, done: int, to_do: int) -> None:
        elapsed = time.monotonic() - self.started
        left = elapsed / done * (to_do - done)
        estimate = f"; about {_duration(left)} left" if done < to_do else ""
        if self.bar:
            self.stream.write("\r\033[K")
        print(
            f"[{done}/{to_do}] {message['name']}: {message['score']:g}/{message['max_score']:g}"
            f" ({message['execution_time']:.0f} s){estimate}",
            flush=True,
        )
        if self.bar and done < to_do:
            filled = round(30 * done / to_do)
            self.stream.write(f"[{'#' * filled}{'.' * (30 - filled)}] {done}/{to_do} graded, "
                              f"about {_duration(left)} left")
            self.stream.flush()


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def _grade(target: Path, out: Path, assignment: str | None, public_only: bool,
           verbose: bool, *, jobs: int | None = None, force: bool = False,
           summary_md: Path | None = None, require_sandbox: bool = False) -> int:
    from autograder.batch import run_batch
    from autograder.engine.runner import SUBMISSION_LAYOUTS, find_submissions
    from autograder.exports import markdown_summary, text_report, text_table

    try:
        submissions = find_submissions(target, assignment=assignment)
    except (FileNotFoundError, ValueError) as error:
        raise SystemExit(str(error)) from None
    if not submissions:
        layouts = "\n".join(f"  - {layout}" for layout in SUBMISSION_LAYOUTS)
        only = f" for {assignment}" if assignment else ""
        raise SystemExit(f"no notebooks found{only} under {target}; the layouts graded are:\n"
                         f"{layouts}")
    if require_sandbox:
        _require_full_sandbox()
    outcome = run_batch(submissions, out, jobs=jobs, assignment=assignment,
                        public_only=public_only, force=force, on_result=_Progress())
    if outcome.skipped:
        print(f"{len(outcome.skipped)} already graded with an unchanged notebook: not graded "
              "again (--force grades them anyway)")
    if outcome.interrupted:
        print(f"\ninterrupted: {len(outcome.graded)} graded in this run; run the same command "
              "again to grade the rest", file=sys.stderr)
        return 130
    results = outcome.results
    if verbose:
        for name, data in results.items():
            report = text_report(data)
            if report:
                print(f"{name}:\n{report}")
    print()
    print(text_table(results))
    sources = {d["extra_data"].get("mnist_source") for d in results.values()} - {None}
    if sources:
        print(f"\nMNIST source used by the grader: {', '.join(sorted(sources))}")
    _warn_about_sandbox(results)
    print(f"results: {out}/<submission>/results.json and feedback.html; "
          f"{out}/grades.csv, {out}/junit.xml")
    if summary_md is not None:
        with open(summary_md, "a", encoding="utf-8") as handle:
            handle.write(markdown_summary(results))
    return 0


def _require_full_sandbox() -> None:
    """Refuse to grade (exit 2) unless workers would run in the full sandbox."""
    from autograder import sandbox

    level = sandbox.probe()
    if level.get("level") != "full":
        why = "; ".join(level.get("problems") or [level.get("reason", "")])
        print(f"--require-sandbox: workers would run with sandbox level "
              f"{level.get('level')!r} ({why}); nothing was graded", file=sys.stderr)
        raise SystemExit(2)


def _warn_about_sandbox(results: dict[str, dict]) -> None:
    """Say plainly when some submission's code ran without the full sandbox."""
    weaker: dict[str, list[str]] = {}
    for name, data in results.items():
        level = (data.get("extra_data", {}).get("sandbox") or {}).get("level")
        if level is not None and level != "full":
            weaker.setdefault(level, []).append(name)
    for level, names in sorted(weaker.items()):
        print(f"\nWARNING: {len(names)} submission(s) graded with sandbox level {level!r}, not "
              f"'full' (e.g. {names[0]}): their code was not fully confined; see "
              "extra_data.sandbox in results.json, and --require-sandbox", file=sys.stderr)


def run_check(notebook: str = "", *, assignment: str | None = None) -> bool:
    """Public checks for one notebook; prints a line per check and returns whether every
    check passed."""
    import tempfile

    from autograder.batch import grade_in_lane
    from autograder.engine.results import outcome, test_report

    path = Path(notebook) if notebook else _only_notebook_here()
    with tempfile.TemporaryDirectory(prefix="cnnkit-check-") as out:
        results = grade_in_lane(path, out, name=path.stem, assignment=assignment,
                                public_only=True)
    print(_("Public checks for {notebook}: {score:g} / {total:g} points").format(
        notebook=path.name, score=results["score"], total=results["max_score"]))
    print(test_report(results))
    print(_("The hidden tests grade the rest of the assignment in the same way."))
    return all(outcome(test) != "failed" for test in results["tests"])


def _notebook_language(notebook: str) -> str | None:
    """The language the notebook to check declares (the only one here when none is named)."""
    from cnnkit_student.notebook import notebook_language

    if notebook:
        return notebook_language(notebook)
    notebooks = [p for p in Path.cwd().glob("*.ipynb") if not p.name.startswith(".")]
    return notebook_language(notebooks[0]) if len(notebooks) == 1 else None


def _mutants(assignment_id: str, out: Path | None, *, jobs: int | None,
             only: tuple[str, ...]) -> int:
    """Grade the catalogue's mutants of an assignment and print what the suite caught."""
    from autograder.mutants import report_table, run_mutants

    out = out or Path("out/mutants") / assignment_id
    report = run_mutants(ASSIGNMENTS[assignment_id], out, jobs=jobs, only=only,
                         on_result=_Progress())
    print(report_table(report))
    print(f"report: {out / 'mutants.json'}; each mutant's feedback: {out}/grades/<id>/")
    return 0


def _translations(*, update: bool) -> int:
    """Report what the Spanish catalogs lack (exit 1), or bring them in line with the code."""
    from autograder import translations

    if update:
        for domain in translations.domains():
            for lang in translations.TRANSLATED:
                print(f"updated {translations.update(domain, lang)}")
    problems = translations.all_problems()
    for line in problems:
        print(line)
    print(f"{len(problems)} missing, stale or unused translations" if problems
          else "every message has its translation")
    return 1 if problems else 0


def _only_notebook_here() -> Path:
    notebooks = [p for p in Path.cwd().glob("*.ipynb") if not p.name.startswith(".")]
    if len(notebooks) != 1:
        raise SystemExit(_("say which notebook to check, e.g. check('mnist_cnn.ipynb')"))
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
    grade.add_argument("-j", "--jobs", type=int, default=None,
                       help="submissions graded at the same time (default: one per CPU core, "
                            "as memory allows)")
    grade.add_argument("--force", action="store_true",
                       help="grade again the submissions already graded")
    grade.add_argument("--summary-md", type=Path,
                       help="append a Markdown summary to this file (e.g. $GITHUB_STEP_SUMMARY)")
    grade.add_argument("--require-sandbox", action="store_true",
                       help="refuse to grade unless student code runs in the full sandbox")

    export = commands.add_parser(
        "export", help="rebuild grades.csv, junit.xml and feedback pages from results.json")
    export.add_argument("out", type=Path)
    export.add_argument("--summary-md", type=Path, help="append a Markdown summary here")

    gradescope = commands.add_parser("gradescope", help="build a Gradescope autograder.zip")
    gradescope.add_argument("assignment", choices=sorted(ASSIGNMENTS))
    gradescope.add_argument("--out", type=Path, default=None,
                            help="the zip to write (default out/gradescope/<id>/autograder.zip)")

    demo = commands.add_parser("demo", help="grade the bundled example submissions")
    demo.add_argument("--out", type=Path, default=Path("out/demo"))

    release = commands.add_parser("release", help="regenerate student notebooks and examples")
    release.add_argument("--check", action="store_true", help="only verify they are in sync")
    release.add_argument("--student-bundle", action="store_true",
                         help="only build the students' checks package (out/student-bundle/)")
    release.add_argument("--no-student-bundle", action="store_true",
                         help="do not build the students' checks package")

    commands.add_parser("data", help="which MNIST source would be used")

    mutants = commands.add_parser(
        "mutants", help="grade plausible mistakes in the reference: does the suite catch them?")
    mutants.add_argument("assignment", choices=sorted(ASSIGNMENTS))
    mutants.add_argument("--out", type=Path, default=None,
                         help="where mutants, their results and mutants.json go "
                              "(default out/mutants/<assignment>)")
    mutants.add_argument("-j", "--jobs", type=int, default=None,
                         help="lanes (default: one per CPU core, as memory allows)")
    mutants.add_argument("--only", nargs="+", default=(), metavar="ID",
                         help="run only these mutants of the catalogue")

    translations = commands.add_parser(
        "translations", help="check (or --update) the Spanish catalogs against the sources")
    translations.add_argument("--update", action="store_true",
                              help="add new messages to the catalogs, mark changed ones fuzzy")

    for command in (check, grade, demo, export, gradescope):
        command.add_argument("--lang", choices=LANGUAGES, default=None,
                             help="language of rubric lines, messages and feedback (default: "
                                  "$CNNKIT_LANG, else the course's COURSE_LANGUAGE, else en)")
    release.add_argument("--lang", choices=LANGUAGES, action="append", default=None,
                         help="release only this language (repeatable; default: all)")

    args = parser.parse_args(argv)
    if args.command == "check":
        choose_language(args.lang or _notebook_language(args.notebook))
    elif args.command in ("grade", "demo", "export", "gradescope"):
        choose_language(args.lang)
    if args.command in ("grade", "demo", "release", "gradescope"):
        from autograder.assignments import CourseNotFoundError, find_course

        try:  # these need the references and examples of the course folder
            find_course()
        except CourseNotFoundError as error:
            raise SystemExit(f"cnnkit {args.command}: {error}") from None
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    if args.command == "check":
        passed = run_check(args.notebook, assignment=args.assignment)
        return 0 if passed else 1  # any failed check is a failure, for scripts and CI
    if args.command == "grade":
        return _grade(args.path, args.out, args.assignment, args.public_only, args.verbose,
                      jobs=args.jobs, force=args.force, summary_md=args.summary_md,
                      require_sandbox=args.require_sandbox)
    if args.command == "demo":
        from autograder.data import describe_sources

        print(describe_sources())
        for assignment in ASSIGNMENTS.values():
            print(f"\n== {assignment.id}: {assignment.title} ==")
            code = _grade(assignment.examples_dir, args.out / assignment.id, assignment.id,
                          False, True)
            if code:
                return code
        return 0
    if args.command == "export":
        from autograder.exports import load_results, markdown_summary, write_exports
        from autograder.report import write_feedback

        results = load_results(args.out)
        if not results:
            raise SystemExit(f"no results.json under {args.out}")
        for name in results:
            write_feedback(results[name], args.out / name)
        for path in write_exports(results, args.out):
            print(f"wrote {path}")
        if args.summary_md is not None:
            with open(args.summary_md, "a", encoding="utf-8") as handle:
                handle.write(markdown_summary(results))
        return 0
    if args.command == "gradescope":
        from autograder.gradescope import build_zip

        target = args.out or Path("out/gradescope") / args.assignment / "autograder.zip"
        listing = build_zip(args.assignment, target)
        print(f"wrote {target} ({len(listing)} files)")
        return 0
    if args.command == "release":
        from autograder.examples import write_examples
        from autograder.release import BuildStudentBundle, release_all

        if args.student_bundle:
            print(BuildStudentBundle().apply())
            return 0
        synced = release_all(check=args.check, languages=tuple(args.lang or LANGUAGES))
        synced.update(write_examples(check=args.check))
        for name, ok in synced.items():
            print(f"{name}: {'in sync' if ok else ('OUT OF SYNC' if args.check else 'written')}")
        if not args.check and not args.no_student_bundle:
            print(BuildStudentBundle().apply())
        return 0 if all(synced.values()) or not args.check else 1
    if args.command == "mutants":
        return _mutants(args.assignment, args.out, jobs=args.jobs, only=tuple(args.only))
    if args.command == "translations":
        return _translations(update=args.update)
    if args.command == "data":
        from autograder.data import describe_sources

        print(describe_sources())
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
