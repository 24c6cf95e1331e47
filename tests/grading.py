"""Helpers for the kit's end-to-end tests: grade notebooks through the real `cnnkit` command."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]

# The cats-vs-dogs mirror of the tests that need real photos is an explicit setting: the
# folder that holds cats_and_dogs_filtered/ (and its .sha256 list). `make test` points it at
# ../shared/datasets, where CI and the course machines keep the mirror; unset, those tests
# skip and say why.
MIRROR_ENV = "CNNKIT_TEST_MIRROR"
MIRROR_PARENT = Path(os.environ[MIRROR_ENV]) if os.environ.get(MIRROR_ENV) else None
HAS_MIRROR = MIRROR_PARENT is not None and (MIRROR_PARENT / "cats_and_dogs_filtered").is_dir()
NO_MIRROR_REASON = (f"no cats-vs-dogs mirror: {MIRROR_ENV} is unset or has no "
                    f"cats_and_dogs_filtered/ ({MIRROR_PARENT})")


def grade_folder(folder: Path, out: Path, *, env: dict | None = None,
                 timeout: float = 1200, assignment: str | None = None,
                 extra_args: list[str] | None = None,
                 printed: Path | None = None) -> dict[str, dict]:
    """Run ``cnnkit grade folder --out out`` in a subprocess; return each results.json.
    With ``printed``, what the command printed (standard output, then error) is kept there."""
    command = [sys.executable, "-m", "autograder.cli", "grade", str(folder), "--out", str(out)]
    if assignment:
        command += ["--assignment", assignment]
    command += extra_args or []
    if "--jobs" not in command:  # the test processes share the cores: one lane each
        command += ["--jobs", "1"]
    completed = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if printed is not None:
        printed.write_text(completed.stdout + completed.stderr, encoding="utf-8")
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return {
        path.parent.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(out.glob("*/results.json"))
    }


def failed(result: dict) -> set[str]:
    """The test function names (kept in each test's tags) that failed; a check that was not
    run (no status in results.json, ``extra_data.skipped``) did not fail."""
    return {t["tags"][0] for t in result["tests"] if t.get("status", "not run") == "failed"}


def output_of(result: dict, test_name: str) -> str:
    return next(t["output"] for t in result["tests"] if t["tags"][0] == test_name)


def fork_servers_by_lane(log: list[dict]) -> dict[int, set[int]]:
    """The fork servers each lane's workers were forked from, from ``run-log.jsonl`` entries."""
    servers: dict[int, set[int]] = {}
    for entry in log:
        servers.setdefault(entry["lane"], set()).update(w["forked_from"] for w in entry["workers"])
    return servers


def _expected(assignment: str, example: str) -> tuple[float, set[str]]:
    """A bundled example's points and failed checks, as its assignment's tests state them
    (``EXPECTED`` of ``tests/test_assignment_<NN>.py``)."""
    return importlib.import_module(f"test_assignment_{assignment[:2]}").EXPECTED[example]


def example_points(assignment: str, example: str) -> float:
    """The points a bundled example earns, as its assignment's tests state them, for the tests
    that grade it elsewhere (an attack built on it, the Spanish course): they follow when the
    assignment's points change."""
    return _expected(assignment, example)[0]


def function_points(assignment: str, function: str, *, but: tuple[str, ...] = ()) -> float:
    """The points of ``function``'s rubric lines, without the tests named in ``but``: what a
    blank notebook earns once that function is answered, when the tests ``but`` names are the
    only ones that give it nothing (its answer fails them, or they are skipped, as the photo
    checks are without the cats-vs-dogs mirror)."""
    from autograder.assignments import get_assignment
    from autograder.nbgrader_bridge import rubric

    return sum(line.points for line in rubric(get_assignment(assignment))
               if line.function == function and line.test not in but)


def example_function_points(assignment: str, example: str, function: str, *,
                            but: tuple[str, ...] = ()) -> float:
    """The points of ``function``'s rubric lines that the bundled ``example`` earns (the
    assignment's tests state which checks it fails), without the tests named in ``but``: what
    the example earns once ``function`` is its only answer."""
    return function_points(assignment, function, but=(*_expected(assignment, example)[1], *but))


def answered_submission(assignment, *, lang: str = "en", only: str | None = None,
                        blank: bool = False):
    """What a student hands in: the release in ``lang``, answered with the reference's
    solutions (with ``only``, just that function: the other answer cells keep their stubs),
    or as released (``blank``)."""
    from autograder.examples import submitted

    released = nbformat.read(assignment.release_path_in(lang), as_version=4)
    notebook = submitted(released,
                         nbformat.read(assignment.solution_path_in(lang), as_version=4), None)
    if only or blank:
        keep_only_answer(notebook, released, None if blank else only)
    return notebook


def keep_only_answer(notebook, released, function: str | None) -> None:
    """Give every answer cell of ``notebook`` (a submission of the ``released`` notebook) its
    stub back, except the one that defines ``function`` (with ``None``, all of them)."""
    for answer, stub in zip(notebook.cells, released.cells, strict=True):
        if (stub.get("metadata", {}).get("nbgrader", {}).get("solution")
                and (function is None or f"def {function}(" not in stub.source)):
            answer.source = stub.source


def spanish_submission(assignment, *, only: str | None = None, blank: bool = False):
    """What a student of the Spanish course hands in (:func:`answered_submission`)."""
    return answered_submission(assignment, lang="es", only=only, blank=blank)
