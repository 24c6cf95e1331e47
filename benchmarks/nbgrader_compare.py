"""Benchmark: the same submissions through ``nbgrader autograde`` and through ``cnnkit grade``.

Builds a throw-away nbgrader course from the kit's ``nbgrader_config.py`` and the reference of
an assignment, hands in ``--copies`` copies of every bundled example as students, and times
(wall clock, from outside) ``nbgrader autograde`` (which runs each notebook in a sandboxed
kernel and takes its points from the kit's grading, see ``autograder/nbgrader_preprocessor.py``)
and then ``cnnkit grade`` on the very same ``submitted/`` folder, with each ``--jobs`` value.
Prints the seconds per submission, the ratio, and whether every student got the same points
both ways. It is a measurement, not a test: run it on a quiet machine.

    .venv/bin/python benchmarks/nbgrader_compare.py --assignment 01_mnist_cnn --jobs 1 2
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the kit of this checkout

from autograder.assignments import get_assignment  # noqa: E402


def _run(command: list[str], cwd: Path) -> float:
    """Run a command of the venv (nbgrader needs ``alembic`` on PATH); its wall time."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "TF_CPP_MIN_LOG_LEVEL": "3"}
    began = time.monotonic()
    completed = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                               check=False)
    seconds = time.monotonic() - began
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, command))} failed:\n"
                         f"{(completed.stdout + completed.stderr)[-3000:]}")
    return seconds


def build_course(folder: Path, assignment_id: str, copies: int) -> list[str]:
    """An nbgrader course with the assignment released and the examples handed in."""
    assignment = get_assignment(assignment_id)
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    shutil.copytree(assignment.solution_path.parent, folder / "solutions" / assignment_id)
    _run([sys.executable, "-m", "nbgrader", "generate_assignment", assignment_id, "--force"],
         folder)
    students = []
    for copy in range(copies):
        for example in sorted(assignment.examples_dir.glob("*.ipynb")):
            student = f"{example.stem}-{copy}"
            handed_in = folder / "submitted" / student / assignment_id
            handed_in.mkdir(parents=True)
            shutil.copy(example, handed_in / assignment.notebook)
            students.append(student)
    return students


def nbgrader_points(course: Path) -> dict[str, float]:
    _run([sys.executable, "-m", "nbgrader", "export", "--to", "grades.csv"], course)
    with open(course / "grades.csv", newline="") as handle:
        return {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)}


def kit_points(out: Path) -> dict[str, float]:
    return {p.parent.name: float(json.loads(p.read_text())["score"])
            for p in out.glob("*/results.json")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignment", default="01_mnist_cnn")
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cnnkit-bench-nbgrader-") as scratch:
        course = Path(scratch) / "course"
        course.mkdir()
        students = build_course(course, args.assignment, args.copies)
        count = len(students)
        print(f"{count} submissions of {args.assignment} on {os.cpu_count()} CPU(s)", flush=True)
        nbgrader_s = _run([sys.executable, "-m", "nbgrader", "autograde", args.assignment,
                           "--force"], course)
        expected = nbgrader_points(course)
        print(f"nbgrader autograde: {nbgrader_s:.1f} s", flush=True)
        rows = [("nbgrader autograde", nbgrader_s, expected)]
        for jobs in args.jobs:
            out = Path(scratch) / f"kit-{jobs}"
            seconds = _run([sys.executable, "-m", "autograder.cli", "grade",
                            str(course / "submitted"), "--assignment", args.assignment,
                            "--out", str(out), "--jobs", str(jobs)], ROOT)
            print(f"cnnkit grade --jobs {jobs}: {seconds:.1f} s", flush=True)
            rows.append((f"cnnkit grade --jobs {jobs}", seconds, kit_points(out)))
    print()
    print("| grader | wall s | s per submission | vs nbgrader | same points per student |")
    print("|---|---|---|---|---|")
    for name, seconds, points in rows:
        same = "yes" if points == expected else f"no: {points} vs {expected}"
        print(f"| {name} | {seconds:.1f} | {seconds / count:.1f} | "
              f"{nbgrader_s / seconds:.1f}x | {same} |")


if __name__ == "__main__":
    main()
