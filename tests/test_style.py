"""The kit's code and notebooks stay `ruff` clean (the rules are in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from grading import ROOT


def test_ruff_finds_nothing():
    pytest.importorskip("ruff", reason="ruff comes with the kit's dev extra: pip install -e .[dev]")
    completed = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0, completed.stdout[-3000:]
