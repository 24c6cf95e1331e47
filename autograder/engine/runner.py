"""Grade submissions: run an assignment's hidden pytest suite against each notebook.

The suite runs in this (the grader's) process; the student's code runs in a worker that the
suite's fixtures start. One pytest session per submission; a failure of any kind inside it
becomes data in that submission's results, and the next submission is graded regardless.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import time
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder import __version__
from autograder.assignments import Assignment, get_assignment, guess_assignment
from autograder.engine.notebook import SubmissionError, load_submission
from autograder.engine.plugin import RubricCollector
from autograder.engine.results import SubmissionResult, TestResult

log = logging.getLogger("cnnkit.grader")


@dataclass(frozen=True)
class SubmissionFile:
    """A notebook to grade and the name its results are filed under."""

    name: str
    path: Path


def find_submissions(target: str | os.PathLike) -> list[SubmissionFile]:
    """The notebooks under ``target``: a notebook, a folder of notebooks (one per student,
    named by file), or a folder of folders (one per student, named by folder)."""
    target = Path(target)
    if target.is_file():
        return [SubmissionFile(target.stem, target)]
    if not target.is_dir():
        raise FileNotFoundError(f"{target} is neither a notebook nor a folder")
    found = [SubmissionFile(p.stem, p) for p in sorted(target.glob("*.ipynb"))]
    for folder in sorted(p for p in target.iterdir() if p.is_dir()):
        if folder.name.startswith("."):
            continue
        notebooks = sorted(folder.glob("*.ipynb"))
        if len(notebooks) == 1:
            found.append(SubmissionFile(folder.name, notebooks[0]))
        elif notebooks:
            found += [SubmissionFile(f"{folder.name}/{p.stem}", p) for p in notebooks]
    return found


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
        return _error_result(name, None, "could not tell which assignment this notebook is for")
    collector = RubricCollector()
    args = [
        str(found.suite_dir),
        "--submission", str(path),
        "-p", "autograder.engine.plugin",
        "-p", "no:cacheprovider",
        "--assert=plain",  # a failed assert shows its message only, never hidden values
        "--rootdir", str(found.suite_dir),
        "-c", str(found.suite_dir / "pytest.ini"),
        "-q", "--no-header", "--tb=short", "-W", "ignore",
    ]
    if public_only:
        args.append("--public-only")
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
            exit_code = pytest.main(args, plugins=[collector])
    except Exception:  # noqa: BLE001 - the batch must go on
        log.error("grading %s crashed:\n%s", path, traceback.format_exc())
        return _error_result(name, found.id, "the grader crashed on this submission")
    if exit_code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        log.error("pytest exit code %s for %s:\n%s", exit_code, path, buffer.getvalue())
        return _error_result(name, found.id, f"the hidden suite did not run (pytest {exit_code})")
    result = SubmissionResult(submission=name, assignment=found.id, tests=collector.results)
    try:
        result.output = load_submission(path).summary()
    except SubmissionError as error:
        result.output = str(error)
    result.execution_time = time.monotonic() - started
    result.extra = {"kit_version": __version__, "public_only": public_only, **collector.record}
    if any(t.grader_error for t in result.tests):
        log.error("grader errors for %s:\n%s", path, buffer.getvalue()[-5000:])
    return result


def grade_many(
    submissions: Iterable[SubmissionFile],
    out_dir: str | os.PathLike | None,
    *,
    assignment: str | None = None,
    public_only: bool = False,
) -> Iterator[SubmissionResult]:
    """Grade submissions one after the other, writing ``<out>/<name>/results.json`` for each.

    Yields each result as soon as it is written, so that a caller can report progress.
    """
    for item in submissions:
        result = grade_submission(
            item.path, name=item.name, assignment=assignment, public_only=public_only
        )
        if out_dir is not None:
            result.write(Path(out_dir) / item.name)
        yield result
