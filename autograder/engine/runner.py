"""Grade submissions: run an assignment's hidden pytest suite against each notebook.

The suite runs in this (the grader's) process; the student's code runs in a worker that the
suite's fixtures start. One pytest session per submission; a failure of any kind inside it
becomes data in that submission's results, and the next submission is graded regardless.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import logging
import os
import signal
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder import __version__
from autograder.assignments import Assignment, get_assignment, guess_assignment
from autograder.engine import client
from autograder.engine.notebook import SubmissionError, load_submission
from autograder.engine.plugin import RubricCollector
from autograder.engine.results import SubmissionResult, TestResult, write_json_atomic
from autograder.i18n import DEFAULT_LANGUAGE, _, current_language

log = logging.getLogger("cnnkit.grader")


@dataclass(frozen=True)
class SubmissionFile:
    """A notebook to grade and the name its results are filed under."""

    name: str
    path: Path


# The folder layouts `find_submissions` accepts (also shown when it finds nothing).
SUBMISSION_LAYOUTS = (
    "a notebook: the path of one .ipynb file",
    "one notebook per student: <folder>/<student>.ipynb",
    "one folder per student: <folder>/<student>/<notebook>.ipynb",
    "nbgrader's submitted/ or autograded/ folder: <folder>/<student>/<assignment>/"
    "<notebook>.ipynb (with --assignment, that assignment's folder)",
)


def find_submissions(target: str | os.PathLike, *,
                     assignment: str | None = None) -> list[SubmissionFile]:
    """The notebooks under ``target``, each named after its student.

    Parameters
    ----------
    target : str or Path
        A notebook; a folder of notebooks (one per student, named by file); a folder of
        folders (one per student, named by folder); or nbgrader's ``submitted/`` or
        ``autograded/`` folder, ``<student>/<assignment>/<notebook>.ipynb``, named by the
        student folder (see :data:`SUBMISSION_LAYOUTS`).
    assignment : str, optional
        The assignment id. In nbgrader's layout only that assignment's folder of each student
        is taken, and in it the notebook named as released when there is one (a student's
        scratch notebooks beside it are not graded).

    Returns
    -------
    list of SubmissionFile
        Sorted by name; empty when nothing matches.

    Raises
    ------
    FileNotFoundError
        ``target`` does not exist.
    ValueError
        Two submissions would be filed under the same name.
    """
    target = Path(target)
    if target.is_file():
        return [SubmissionFile(target.stem, target)]
    if not target.is_dir():
        raise FileNotFoundError(f"{target} is neither a notebook nor a folder")
    released = get_assignment(assignment).notebook if assignment else None

    def visible_folders(folder: Path) -> list[Path]:
        # .ipynb_checkpoints and other hidden folders are never submissions
        return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))

    def named(prefix: str, notebooks: list[Path], sep: str = "/") -> list[SubmissionFile]:
        if len(notebooks) == 1:
            return [SubmissionFile(prefix, notebooks[0])]
        return [SubmissionFile(f"{prefix}{sep}{p.stem}", p) for p in notebooks]

    found = [SubmissionFile(p.stem, p) for p in sorted(target.glob("*.ipynb"))]
    for folder in visible_folders(target):
        notebooks = sorted(folder.glob("*.ipynb"))
        if notebooks:  # one folder per student, the notebooks directly inside
            found += named(folder.name, notebooks)
            continue
        # nbgrader: <student>/<assignment>/<notebook>.ipynb
        per_assignment = {
            sub.name: sorted(sub.glob("*.ipynb")) for sub in visible_folders(folder)
            if assignment is None or sub.name == assignment
        }
        per_assignment = {name: books for name, books in per_assignment.items() if books}
        for name, books in per_assignment.items():
            as_released = [p for p in books if p.name == released]
            if len(per_assignment) == 1:
                found += named(folder.name, as_released or books)
            else:  # results stay at most two folders deep (what `cnnkit export` reads)
                found += named(f"{folder.name}/{name}", as_released or books, sep="-")
    names = [item.name for item in found]
    clashes = sorted({name for name in names if names.count(name) > 1})
    if clashes:  # their results would overwrite each other
        raise ValueError(f"two submissions under {target} are both named {clashes[0]!r} "
                         "(a notebook and a folder?): rename one")
    return sorted(found, key=lambda item: item.name)


def _resolve_assignment(path: Path, assignment_id: str | None) -> Assignment | None:
    if assignment_id:
        return get_assignment(assignment_id)
    try:
        declared = load_submission(path).assignment
    except SubmissionError:
        declared = None
    return guess_assignment(path, declared)


def _error_result(name: str, assignment: str | None, message: str) -> SubmissionResult:
    return SubmissionResult(
        submission=name,
        assignment=assignment,
        output=message,
        tests=[
            TestResult(
                name="the submission could be graded",
                nodeid="grading",
                score=0.0,
                max_score=0.0,
                status="failed",
                output=message,
                visibility="public",
                grader_error=True,
            )
        ],
    )


def grade_submission(
    path: str | os.PathLike,
    *,
    name: str | None = None,
    assignment: str | None = None,
    public_only: bool = False,
) -> SubmissionResult:
    """Grade one notebook.

    Parameters
    ----------
    path : str or Path
        The submitted notebook.
    name : str, optional
        The name results are filed under (default: the file's stem).
    assignment : str, optional
        The assignment id; by default read from the notebook's metadata.
    public_only : bool
        Run only the public checks (what students run with ``cnnkit check``).

    Returns
    -------
    SubmissionResult
        Never raises for a problem of the submission; a problem of the kit itself is
        reported as a result with a grader error.
    """
    path = Path(path)
    name = name or path.stem
    started = time.monotonic()
    found = _resolve_assignment(path, assignment)
    if found is None:
        return _error_result(name, None,
                             _("could not tell which assignment this notebook is for"))
    # The workers' TensorFlow import then runs while pytest collects the suite and the
    # reference loads (a lane has started it already; `cnnkit check`, Gradescope and
    # nbgrader's isolated grading start it here).
    client.start_fork_server()
    collector = RubricCollector()
    args = [
        str(found.suite_dir),
        "--submission", str(path),
        "-p", "autograder.engine.plugin",
        "-p", "no:cacheprovider",
        "--assert=plain",  # a failed assert shows its message only, never hidden values
        "--rootdir", str(found.suite_dir),
        "-c", str(found.suite_dir / "pytest.ini"),
        # Python's own traceback, in the instructor's log only: pytest's long formats parse
        # each frame's source file, about 50 ms for every failed check
        "-q", "--no-header", "--tb=native", "-W", "ignore",
    ]
    if public_only:
        args.append("--public-only")
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
            exit_code = pytest.main(args, plugins=[collector])
    except Exception:  # noqa: BLE001 - the batch must go on
        log.error("grading %s crashed:\n%s", path, traceback.format_exc())
        return _error_result(name, found.id, _("the grader crashed on this submission"))
    if exit_code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        log.error("pytest exit code %s for %s:\n%s", exit_code, path, buffer.getvalue())
        return _error_result(name, found.id, _("the hidden suite did not run (pytest {code})"
                                               ).format(code=exit_code))
    result = SubmissionResult(submission=name, assignment=found.id, tests=collector.results)
    try:
        result.output = load_submission(path).summary()
    except SubmissionError as error:
        result.output = str(error)
    result.execution_time = time.monotonic() - started
    result.extra = {
        "kit_version": __version__,
        "public_only": public_only,
        "lang": current_language(),  # the language of rubric lines, messages and feedback
        # what resuming a batch compares: the notebook's bytes and the grader's own files
        "fingerprint": notebook_fingerprint(path),
        "grader_fingerprint": grader_fingerprint(found.id),
        **collector.record,
    }
    if any(t.grader_error for t in result.tests):
        log.error("grader errors for %s:\n%s", path, buffer.getvalue()[-5000:])
    return result


# -- fingerprints and resuming ----------------------------------------------------------------
def notebook_fingerprint(path: str | os.PathLike) -> str:
    """SHA-256 of the notebook file's bytes."""
    return "sha256:" + hashlib.sha256(Path(path).read_bytes()).hexdigest()


@functools.cache
def grader_fingerprint(assignment_id: str) -> str:
    """SHA-256 over what decides a grade besides the notebook: the kit's version, the hidden
    suite's files and the reference notebook. A change to any of them makes earlier results
    stale, so a resumed batch grades those submissions again."""
    found = get_assignment(assignment_id)
    digest = hashlib.sha256(__version__.encode())
    files = sorted(
        p for p in found.suite_dir.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix in (".py", ".json", ".ini")
    )
    # Named as in a checkout, wherever the package and the course folder are (installed kit).
    named = [(Path("autograder", "suites", found.suite, p.relative_to(found.suite_dir)), p)
             for p in files]
    named.append((Path("solutions", found.id, found.notebook), found.solution_path))
    for name, path in named:
        digest.update(str(name).encode())
        digest.update(path.read_bytes())
    return "sha256:" + digest.hexdigest()


def finished_result(item: SubmissionFile, out_dir: str | os.PathLike, *,
                    assignment: str | None = None, public_only: bool = False) -> dict | None:
    """The stored result of ``item`` if it needs no new grading, else ``None``.

    Finished means: ``results.json`` is complete JSON, was written by a normal grading (not a
    crash of the kit), records this notebook's fingerprint, the same grader fingerprint and the
    same mode (public checks only, or all) and the same language.
    """
    path = Path(out_dir) / item.name / "results.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        extra = data["extra_data"]
        recorded = extra["fingerprint"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if recorded != notebook_fingerprint(item.path):
        return None
    if bool(extra.get("public_only")) != public_only:
        return None
    if extra.get("lang", DEFAULT_LANGUAGE) != current_language():
        return None  # graded in another language: its messages and feedback would not match
    if assignment and extra.get("assignment") != assignment:
        return None
    try:
        if extra.get("grader_fingerprint") != grader_fingerprint(extra.get("assignment")):
            return None
    except (KeyError, OSError):
        return None
    return data


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold back Ctrl-C and termination until the block is done (then they arrive)."""
    blocked = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def write_outputs(result: SubmissionResult, folder: Path) -> dict:
    """Write a submission's pictures, feedback report and ``results.json`` (last, atomically)
    with interruptions held back, so that a stopped batch never leaves half of them.

    Returns
    -------
    dict
        The results.json content.
    """
    from autograder.report import write_feedback

    with signals_deferred():
        data = result.write(folder)
        write_feedback(data, folder)
        write_json_atomic(folder / "results.json", data)
    return data
