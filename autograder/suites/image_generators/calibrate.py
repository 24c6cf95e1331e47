"""Measure the reference CNN under the grader's training budgets, through real workers (the
reference builds its CNN in one, which is rebuilt and trained in a clean one, as in grading).

    python -m autograder.suites.image_generators.calibrate [--learn] [--mirror] [--runs 2]

``--learn`` prints, for the fixed batch of the "can it learn" check, the loss after each
step and the step from which the batch stays fitted; ``--mirror`` (needs ``CNNKIT_DATA_DIR``)
prints the accuracy on the held-out split and the training time. Two runs in fresh workers
must agree exactly, which also shows that the budgets are deterministic.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from autograder.assignments import get_assignment
from autograder.data import find_mirror
from autograder.engine.client import Student, Worker, clean_worker
from autograder.engine.notebook import load_submission
from autograder.suites.image_generators import budget, conftest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--learn", action="store_true")
    parser.add_argument("--mirror", action="store_true")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    submission = load_submission(get_assignment(conftest.ASSIGNMENT).solution_path)
    for run in range(args.runs):
        with Worker(submission) as worker, clean_worker() as clean:
            worker.start()
            student = Student(worker)
            if args.learn:
                images, labels, _ = conftest._learning_batch()
                started = time.monotonic()
                result = budget.learning_run(student, worker, clean, images, labels,
                                             cached=False)
                losses = np.round(np.asarray(result["losses"]), 4).tolist()
                print(f"run {run + 1}: learn start_loss={result['start_loss']:.4f} "
                      f"fitted_at={budget.steps_to_fit(result, labels)} "
                      f"({time.monotonic() - started:.1f} s) losses={losses}")
            if args.mirror:
                folder = find_mirror()
                if folder is None:
                    raise SystemExit("set CNNKIT_DATA_DIR to the cats-vs-dogs mirror")
                arrays = conftest._mirror_arrays(str(folder))[:4]
                started = time.monotonic()
                accuracy = budget.mirror_accuracy(student, worker, clean, arrays, cached=False)
                print(f"run {run + 1}: mirror accuracy={accuracy:.4f} "
                      f"({time.monotonic() - started:.1f} s)")


if __name__ == "__main__":
    main()
