"""Benchmark: how fast does a batch grade, with one lane and with two?

Grades ``--copies`` copies of every bundled example submission of an assignment, once per
``--jobs`` value, always from scratch (``force``), and prints per run: wall time, wall time per
submission, throughput, the ratio to the first run, and the peak memory (resident set size)
of the worker processes and of the grading lanes. It is a measurement, not a test: run it on a
quiet machine.

    .venv/bin/python benchmarks/grading_throughput.py --copies 2 --jobs 1 2
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the kit of this checkout

from autograder.assignments import ASSIGNMENTS, get_assignment  # noqa: E402
from autograder.batch import RUN_LOG, run_batch  # noqa: E402
from autograder.engine.runner import find_submissions  # noqa: E402


def copy_examples(assignment_id: str, copies: int, folder: Path) -> int:
    """``copies`` copies of each example notebook, one file per (pretend) student."""
    examples = sorted(get_assignment(assignment_id).examples_dir.glob("*.ipynb"))
    for copy in range(copies):
        for notebook in examples:
            shutil.copy(notebook, folder / f"{notebook.stem}-{copy}.ipynb")
    return copies * len(examples)


def measure(folder: Path, out: Path, jobs: int, assignment_id: str) -> dict:
    """Grade the folder with ``jobs`` lanes; the run's figures."""
    outcome = run_batch(find_submissions(folder), out, jobs=jobs, assignment=assignment_id,
                        force=True)
    log = [json.loads(line) for line in (out / RUN_LOG).read_text().splitlines()]
    count = len(outcome.graded)
    return {
        "jobs": jobs,
        "submissions": count,
        "wall_s": round(outcome.wall_time, 1),
        "wall_per_submission_s": round(outcome.wall_time / count, 2),
        "submissions_per_minute": round(60 * count / outcome.wall_time, 2),
        "mean_grading_s": round(sum(e["execution_time"] for e in log) / count, 2),
        "peak_worker_mb": max(e["worker_peak_mb"] for e in log),
        "peak_lane_mb": max(e["grader_peak_mb"] for e in log),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignment", default="01_mnist_cnn", choices=sorted(ASSIGNMENTS))
    parser.add_argument("--copies", type=int, default=2, help="copies of each example")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    os.environ.setdefault("CNNKIT_OFFLINE", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

    rows = []
    with tempfile.TemporaryDirectory(prefix="cnnkit-bench-") as scratch:
        folder = Path(scratch) / "submissions"
        folder.mkdir()
        total = copy_examples(args.assignment, args.copies, folder)
        print(f"{total} submissions of {args.assignment} ({args.copies} copies of each example)"
              f" on {os.cpu_count()} CPU(s)", flush=True)
        for jobs in args.jobs:
            row = measure(folder, Path(scratch) / f"out-jobs{jobs}", jobs, args.assignment)
            rows.append(row)
            print(f"--jobs {jobs}: done in {row['wall_s']} s", flush=True)

    first = rows[0]["submissions_per_minute"]
    header = (f"{'jobs':>4}  {'subm.':>5}  {'wall s':>7}  {'s/subm.':>7}  {'subm./min':>9}  "
              f"{'vs first':>8}  {'worker peak MB':>14}  {'lane peak MB':>12}")
    print("\n" + header + "\n" + "-" * len(header))
    for row in rows:
        row["throughput_ratio"] = round(row["submissions_per_minute"] / first, 2)
        print(f"{row['jobs']:>4}  {row['submissions']:>5}  {row['wall_s']:>7}  "
              f"{row['wall_per_submission_s']:>7}  {row['submissions_per_minute']:>9}  "
              f"{row['throughput_ratio']:>7}x  {row['peak_worker_mb']:>14}  "
              f"{row['peak_lane_mb']:>12}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
