"""Every reference notebook runs top to bottom offline, including its public-checks cell."""

from __future__ import annotations

import re

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.assignments import ASSIGNMENTS

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_reference_notebook_runs_top_to_bottom(assignment, monkeypatch):
    # The notebooks honour CNNKIT_QUICK_RUN to shrink their training; the kernel inherits
    # the environment, offline included (see conftest.py).
    monkeypatch.setenv("CNNKIT_QUICK_RUN", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    path = ASSIGNMENTS[assignment].solution_path
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=600, kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    checks = [c for c in notebook.cells if "public-checks" in c.get("metadata", {}).get("tags", [])]
    assert len(checks) == 1, "the notebook ends with one public-checks cell"
    printed = "".join(o.get("text", "") for o in checks[0].outputs)
    score = re.search(r"Public checks for \S+: ([\d.]+) / ([\d.]+) points", printed)
    assert score, printed
    assert float(score.group(1)) == float(score.group(2)) > 0, printed
