"""Benchmark: what the sandbox costs when grading a reference notebook.

Grades each assignment's reference notebook cold (one ``cnnkit grade`` process per grading,
as Gradescope and the student workflow run it), alternating the sandbox on and off
(``CNNKIT_SANDBOX=off``) ``--repeats`` times, and prints the median wall time of each and their
ratio. The same grading path runs in both cases (supervisor, clean worker, plain data): what
is measured is the sandbox itself (Landlock, the socket filter, the engine copy, dropped
capabilities). It is a measurement, not a test: run it on a quiet machine.

    .venv/bin/python benchmarks/sandbox_cost.py --repeats 3
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


def grade_once(assignment: str, sandbox: str) -> tuple[float, float, str]:
    """One cold grading of the reference; (seconds, points, sandbox level recorded)."""
    notebook = ROOT / "examples" / assignment / "reference.ipynb"
    with tempfile.TemporaryDirectory() as out:
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "autograder.cli", "grade", str(notebook),
                        "--out", out, "--assignment", assignment], cwd=ROOT, check=True,
                       capture_output=True, env={**os.environ, "CNNKIT_SANDBOX": sandbox})
        seconds = time.monotonic() - started
        data = json.loads((Path(out) / "reference" / "results.json").read_text())
    return seconds, data["score"], data["extra_data"].get("sandbox", {}).get("level", "?")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--assignment", action="append", choices=ASSIGNMENTS)
    args = parser.parse_args(argv)
    print("| assignment | sandbox off (median s) | sandbox on (median s) | on / off | points "
          "(off, on) | level on |")
    print("|---|---|---|---|---|---|")
    for assignment in args.assignment or ASSIGNMENTS:
        times: dict[str, list[float]] = {"off": [], "on": []}
        points: dict[str, set[float]] = {"off": set(), "on": set()}
        level = "?"
        for _ in range(args.repeats):
            for mode in ("off", "on"):
                seconds, score, recorded = grade_once(assignment, mode)
                times[mode].append(seconds)
                points[mode].add(score)
                if mode == "on":
                    level = recorded
        off, on = statistics.median(times["off"]), statistics.median(times["on"])
        print(f"| {assignment} | {off:.1f} | {on:.1f} | {on / off:.2f} | "
              f"{sorted(points['off'])}, {sorted(points['on'])} | {level} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
