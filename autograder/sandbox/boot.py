"""A worker's first step: enter the sandbox, then become the worker.

This module imports nothing but the standard library and :mod:`autograder.sandbox`, so the
restrictions are in force before NumPy, TensorFlow or any thread exists (Landlock and seccomp
apply to the threads started after them), and long before the student's code is loaded.
The rules come from the grader as plain data in ``CNNKIT_SANDBOX_RULES``.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> None:
    from autograder import sandbox

    rules = json.loads(os.environ.pop("CNNKIT_SANDBOX_RULES", "[]"))
    own_user = os.environ.pop("CNNKIT_SANDBOX_OWN_USER", "") == "1"
    level = sandbox.enter(rules, own_user=own_user)
    from autograder.engine import worker

    worker.main(sys.argv[1:], sandbox_level=level)


if __name__ == "__main__":
    main()
