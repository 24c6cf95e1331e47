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

import statistics
import sys

from cold_profile import arguments, grade_once  # this folder's cold grading


def main(argv: list[str] | None = None) -> int:
    args = arguments(__doc__, argv)
    print("| assignment | sandbox off (median s) | sandbox on (median s) | on / off | points "
          "(off, on) | level on |")
    print("|---|---|---|---|---|---|")
    for assignment in args.assignment:
        times: dict[str, list[float]] = {"off": [], "on": []}
        points: dict[str, set[float]] = {"off": set(), "on": set()}
        level = "?"
        for _ in range(args.repeats):
            for mode in ("off", "on"):
                graded = grade_once(assignment, {"CNNKIT_SANDBOX": mode})
                times[mode].append(graded["wall"])
                points[mode].add(graded["points"])
                if mode == "on":
                    level = graded["level"]
        off, on = statistics.median(times["off"]), statistics.median(times["on"])
        print(f"| {assignment} | {off:.1f} | {on:.1f} | {on / off:.2f} | "
              f"{sorted(points['off'])}, {sorted(points['on'])} | {level} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
