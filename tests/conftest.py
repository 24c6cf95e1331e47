"""Shared settings of the kit's own tests: offline, quiet, and the kit's paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Tests never touch the network: the MNIST loader goes straight to its offline source,
# and every subprocess the tests start inherits this.
os.environ["CNNKIT_OFFLINE"] = "1"
os.environ.pop("CNNKIT_DATA_DIR", None)
os.environ.pop("CNNKIT_MNIST_SOURCE", None)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT
