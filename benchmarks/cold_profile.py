"""Benchmark: where the seconds of one cold grading go.

Grades each assignment's reference notebook cold, one ``cnnkit grade`` process per grading (as
Gradescope and the student workflow run it), ``--repeats`` times, and prints the median of:

- *wall*: the whole command, measured from outside;
- *imports*: the lane's fork server importing TensorFlow and the course's libraries, until
  the lane is forked from it (``lane_started_at - server_started_at`` in the run log); the
  lane and every worker find them imported;
- *reference*: the lane loading the reference solution (``reference_s``);
- *fixtures*: the set-up of the suite's session fixtures during the grading (waiting for the
  forking the worker and the clean worker, hidden data such as MNIST);
- *tests*: the hidden tests' own calls (the student's functions, the grader-side training);
- *other*: the rest: interpreter and imports of the command and of the lane, pytest
  collection, the reports, stopping the workers.

and the slowest test calls. It is a measurement, not a test: run it on a quiet machine.

    .venv/bin/python benchmarks/cold_profile.py --repeats 3 [--fresh-cache]

By default each grading finds the grader's cache (``datasets/cache``) as the gradings before it
left it (the case of every grading on a machine after its first, and of Gradescope, whose
``setup.sh`` grades the reference once); ``--fresh-cache`` gives each an empty one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = ("01_mnist_cnn", "02_cats_dogs", "03_activations", "04_embeddings")


def grade_once(assignment: str, env: dict[str, str] | None = None) -> dict:
    """One cold grading of the reference (``env`` added to this process's environment);
    its phases in seconds, its points and the sandbox level it recorded."""
    notebook = ROOT / "examples" / assignment / "reference.ipynb"
    with tempfile.TemporaryDirectory() as out:
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "autograder.cli", "grade", str(notebook),
                        "--out", out, "--assignment", assignment], cwd=ROOT, check=True,
                       capture_output=True, env={**os.environ, **(env or {})})
        wall = time.monotonic() - started
        data = json.loads((Path(out) / "reference" / "results.json").read_text())
        lane = json.loads((Path(out) / "run-log.jsonl").read_text().splitlines()[-1])
    profile = data["extra_data"]["profile"]
    fixtures = sum(profile["fixtures_s"].values())
    tests = profile["test_calls_s"]
    reference = lane.get("reference_s", 0.0)
    imports = lane["lane_started_at"] - lane["server_started_at"]
    return {
        "wall": wall, "imports": imports, "reference": reference, "fixtures": fixtures,
        "tests": tests, "other": wall - imports - reference - fixtures - tests,
        "points": data["score"],
        "slowest": profile["slowest_calls_s"],
        "level": data["extra_data"].get("sandbox", {}).get("level", "?"),
    }


def arguments(description: str, argv: list[str] | None, *,
              cache_option: bool = False) -> argparse.Namespace:
    """The options of the cold-grading benchmarks: ``--repeats`` and ``--assignment`` (and
    ``--fresh-cache`` with ``cache_option``)."""
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--assignment", action="append", choices=ASSIGNMENTS)
    if cache_option:
        parser.add_argument("--fresh-cache", action="store_true",
                            help="give every grading an empty grader's cache (CNNKIT_CACHE_DIR), "
                                 "as on a machine that never graded: the grader's trainings and "
                                 "04's embeddings are computed again")
    args = parser.parse_args(argv)
    args.assignment = args.assignment or list(ASSIGNMENTS)
    return args


def _graded(assignment: str, fresh_cache: bool) -> dict:
    if not fresh_cache:  # the course's cache, as the gradings before this one left it
        return grade_once(assignment)
    with tempfile.TemporaryDirectory(prefix="cnnkit-bench-cache-") as cache:
        return grade_once(assignment, {"CNNKIT_CACHE_DIR": cache})


def main(argv: list[str] | None = None) -> int:
    args = arguments(__doc__, argv, cache_option=True)
    phases = ("wall", "imports", "reference", "fixtures", "tests", "other")
    print("| assignment | " + " | ".join(f"{p} (s)" for p in phases)
          + " | points | slowest test calls (s, last run) |")
    print("|---|" + "---|" * (len(phases) + 2))
    totals = []
    for assignment in args.assignment:
        runs = [_graded(assignment, args.fresh_cache) for _ in range(args.repeats)]
        medians = {p: statistics.median(r[p] for r in runs) for p in phases}
        totals.append(medians["wall"])
        points = sorted({r["points"] for r in runs})
        slowest = ", ".join(f"{name} {seconds:.1f}" for name, seconds
                            in runs[-1]["slowest"].items())
        print(f"| {assignment} | " + " | ".join(f"{medians[p]:.1f}" for p in phases)
              + f" | {points} | {slowest} |", flush=True)
    cache = "an empty grader's cache each" if args.fresh_cache else "the course's cache"
    print(f"\nall four, one after the other: {sum(totals):.1f} s (sum of the medians; {cache})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
