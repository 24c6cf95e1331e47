"""Grading results: one record per test, one per submission, written as Gradescope JSON.

The ``results.json`` layout follows Gradescope's autograder specification: top-level
``score``, ``execution_time``, ``output``, ``visibility``, ``stdout_visibility``,
``extra_data`` and ``tests``, each test with ``name``, ``score``, ``max_score``, ``status``,
``output`` and ``visibility``. ``max_score`` is added at the top level for convenience.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from autograder.i18n import N_, _, translated

# Public checks are visible at once; hidden ones show only after grades are published,
# and their messages never contain hidden inputs or answers.
GRADESCOPE_VISIBILITY = {"public": "visible", "hidden": "after_published"}


@dataclass
class TestResult:
    """The outcome of one rubric line."""

    __test__ = False  # not a pytest test class

    name: str
    nodeid: str
    score: float
    max_score: float
    status: str  # "passed", "failed" or "skipped" (not run, with its reason in output)
    output: str
    visibility: str  # "public" or "hidden"
    grader_error: bool = False  # the check itself broke: a kit bug, never the student's fault
    # Figure tests keep {"label", "student": PNG bytes | None, "reference": PNG bytes | None}.
    pictures: list[dict] = field(default_factory=list, repr=False)
    # Seconds the check took (its fixtures' set-up and its call), when it was measured.
    duration: float | None = None

    def gradescope(self) -> dict:
        data = {
            "name": self.name,
            "score": self.score,
            "max_score": self.max_score,
            "status": "failed" if self.status == "failed" else "passed",
            "output": self.output,
            "visibility": GRADESCOPE_VISIBILITY[self.visibility],
            "tags": [self.test_id],
        }
        extra: dict = {}
        if self.status == "skipped":
            # Gradescope knows only passed and failed: a check that did not run has no status
            # there, 0 of 0 points, and says so and why; the kit's readers see extra_data.
            del data["status"]
            data["output"] = (_("Not run: {reason}").format(reason=self.output) if self.output
                              else _("Not run"))
            extra["skipped"] = True
        if self.duration is not None:  # a test's own extra_data: Gradescope's schema allows it
            extra["duration"] = round(self.duration, 3)
        if self.grader_error:  # the check broke, not the student's code (nbgrader says so)
            extra["grader_error"] = True
        if extra:
            data["extra_data"] = extra
        return data

    @property
    def test_id(self) -> str:
        """The test function's name: a stable key for scripts (the rubric line may change)."""
        return self.nodeid.rsplit("::", 1)[-1]


@dataclass
class SubmissionResult:
    """All results of one submission."""

    submission: str
    assignment: str | None
    tests: list[TestResult] = field(default_factory=list)
    execution_time: float = 0.0
    output: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tests), 4)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_score for t in self.tests), 4)

    @property
    def passed(self) -> int:
        return sum(t.status == "passed" for t in self.tests)

    def gradescope(self) -> dict:
        return {
            "score": self.score,
            "max_score": self.max_score,
            "execution_time": round(self.execution_time, 2),
            "output": self.output,
            "visibility": "visible",
            "stdout_visibility": "hidden",
            "extra_data": {
                "assignment": self.assignment,
                "submission": self.submission,
                **self.extra,
            },
            "tests": [t.gradescope() for t in self.tests],
        }

    def write(self, folder: Path, *, write_json: bool = True) -> dict:
        """Write ``results.json`` and the kept pictures (``pictures/<test>_<label>_<who>.png``)
        into ``folder``; the JSON is written last, atomically, so that its presence means the
        submission is completely graded.

        Parameters
        ----------
        folder : Path
            The submission's output folder.
        write_json : bool
            False: write only the pictures (the caller writes the JSON after other files).

        Returns
        -------
        dict
            The results.json content (picture paths relative to ``folder``).
        """
        saved: dict[str, list[dict]] = {}
        for test in self.tests:
            for picture in test.pictures:
                entry = {"label": picture["label"]}
                for who in ("student", "reference"):
                    if picture.get(who):
                        name = f"{test.test_id}_{_slug(picture['label'])}_{who}.png"
                        target = folder / "pictures" / name
                        target.parent.mkdir(parents=True, exist_ok=True)
                        target.write_bytes(picture[who])
                        entry[who] = f"pictures/{name}"
                saved.setdefault(test.test_id, []).append(entry)
        data = self.gradescope()
        if saved:
            data["extra_data"]["pictures"] = saved
        if write_json:
            write_json_atomic(folder / "results.json", data)
        return data


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)[:60]


def write_json_atomic(path: Path, data: dict) -> None:
    """Write JSON so that a reader never sees a half-written file."""
    write_text_atomic(path, json.dumps(data, indent=2, allow_nan=False) + "\n")


def write_text_atomic(path: Path, text: str) -> None:
    """Write a text file through a temporary file in the same folder and an atomic rename:
    the file is either the old one or the complete new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False,
        encoding="utf-8", newline="",
    ) as handle:
        temporary = handle.name
        try:
            handle.write(text)
        except BaseException:
            handle.close()
            os.unlink(temporary)
            raise
    try:
        os.chmod(temporary, 0o666 & ~_umask())  # as open() would: temporary files are 0600
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def summary_table(results: list[SubmissionResult]) -> str:
    """A fixed-width table: one row per submission."""
    name_width = max([len("submission")] + [len(r.submission) for r in results])
    header = f"{'submission':<{name_width}}  {'score':>13}  {'tests':>7}  {'time':>7}"
    rows = [header, "-" * len(header)]
    for result in results:
        score = f"{result.score:g} / {result.max_score:g}"
        tests = f"{result.passed}/{len(result.tests)}"
        rows.append(
            f"{result.submission:<{name_width}}  {score:>13}  {tests:>7}  "
            f"{result.execution_time:>6.1f}s"
        )
    return "\n".join(rows)


def test_report(results: dict, *, only_failed: bool = False) -> str:
    """One line per test of a ``results.json`` (a mark, the points, the rubric line) and its
    message if it did not pass."""
    lines = []
    for test in results["tests"]:
        status = outcome(test)
        if only_failed and status == "passed":
            continue
        mark = {"passed": _("PASS"), "skipped": _("SKIP")}.get(status, _("FAIL"))
        lines.append(f"  {mark} {test['score']:g}/{test['max_score']:g}  {test['name']}")
        if status != "passed" and test.get("output"):
            lines += [f"         {line}" for line in test["output"].splitlines()]
    return "\n".join(lines)


#: The word shown for each outcome (see :func:`outcome`); translated when shown.
OUTCOME_WORDS = {"passed": N_("passed"), "failed": N_("failed"), "skipped": N_("not run")}


def outcome_word(status: str) -> str:
    """The word a student reads for an outcome (``"skipped"`` reads "not run")."""
    return translated(OUTCOME_WORDS[status]) if status in OUTCOME_WORDS else status


def outcome(test: dict) -> str:
    """``"passed"``, ``"failed"`` or ``"skipped"`` for one test of a ``results.json``.

    Gradescope's schema knows only passed and failed; a check that was not run is written
    without a status and with ``extra_data.skipped`` (see :meth:`TestResult.gradescope`).
    """
    if (test.get("extra_data") or {}).get("skipped"):
        return "skipped"
    return "passed" if test.get("status") == "passed" else "failed"
