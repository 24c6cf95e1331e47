"""The grader's cache of results computed from plain data: a result is reused only for the
very same inputs, a damaged entry is computed again, and a training read back is the training
done afresh."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from autograder.engine import cache
from autograder.engine.client import Worker, clean_worker, trained_in_clean_worker
from autograder.engine.notebook import CodeCell, Submission


@pytest.fixture
def cache_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNKIT_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_a_fingerprint_follows_values_not_memory_layout():
    values = np.arange(12, dtype=np.float32).reshape(3, 4)
    assert cache.fingerprint(values) == cache.fingerprint(np.asfortranarray(values))
    assert cache.fingerprint([values, {"a": 1}]) == cache.fingerprint((values.copy(), {"a": 1}))
    different = [values.astype(np.float64), values.reshape(4, 3), values + 1, values[:2]]
    assert len({cache.fingerprint(v) for v in [values, *different]}) == 5
    assert cache.fingerprint({"a": 1}) != cache.fingerprint({"a": 1.0})
    assert cache.fingerprint("1") != cache.fingerprint(1)
    with pytest.raises(TypeError):
        cache.fingerprint(object())


def test_an_entry_is_computed_once_per_parameters(cache_folder):
    calls = []

    def compute():
        calls.append(1)
        return {"values": np.arange(3), "loss": 0.25}

    first = cache.cached_arrays("things", "demo", {"n": 3}, compute)
    again = cache.cached_arrays("things", "demo", {"n": 3}, compute)
    assert len(calls) == 1
    assert np.array_equal(first["values"], again["values"]) and float(again["loss"]) == 0.25
    cache.cached_arrays("things", "demo", {"n": 4}, compute)
    assert len(calls) == 2, "other parameters are another entry"
    with pytest.raises(ValueError, match="'file'"):  # numpy.savez's own argument
        cache.cached_arrays("things", "demo", {"n": 5}, lambda: {"file": np.zeros(1)})
    with pytest.raises(TypeError, match="without pickle"):
        cache.cached_arrays("things", "demo", {"n": 6}, lambda: {"objects": np.array([None, "x"])})


def test_a_damaged_entry_is_computed_again(cache_folder):
    calls = []

    def compute():
        calls.append(1)
        return {"values": np.full(4, len(calls))}

    cache.cached_arrays("things", "demo", {"n": 1}, compute)
    (entry,) = (cache_folder / "things").glob("demo-*.npz")
    data = bytearray(entry.read_bytes())
    data[-20] ^= 0xFF
    entry.write_bytes(bytes(data))
    again = cache.cached_arrays("things", "demo", {"n": 1}, compute)
    assert len(calls) == 2 and again["values"].tolist() == [2, 2, 2, 2]
    # a missing sidecar counts as damage too
    os.remove(entry.with_name(entry.name + ".sha256"))
    cache.cached_arrays("things", "demo", {"n": 1}, compute)
    assert len(calls) == 3


_SLOW_ENTRY = """
import sys, time
import numpy as np
from autograder.engine import cache

def compute():
    with open(sys.argv[1], "a") as calls:
        calls.write("computed\\n")
    time.sleep(1.5)
    return {"values": np.arange(5)}

print(cache.cached_arrays("things", "shared", {"n": 1}, compute)["values"].tolist())
"""


def test_gradings_asking_for_one_entry_at_once_compute_it_once(cache_folder, tmp_path):
    """Two lanes that need the same missing entry: one computes it, the other waits for it
    and reads it back instead of computing it a second time."""
    calls = tmp_path / "calls.txt"
    lanes = [subprocess.Popen([sys.executable, "-c", _SLOW_ENTRY, str(calls)],
                              stdout=subprocess.PIPE, text=True, env=os.environ.copy())
             for _ in range(2)]
    printed = [lane.communicate(timeout=120)[0] for lane in lanes]
    assert [lane.returncode for lane in lanes] == [0, 0]
    assert printed == ["[0, 1, 2, 3, 4]\n"] * 2
    assert calls.read_text().splitlines() == ["computed"]


_BUILD = '''
def build(seed):
    import keras
    keras.utils.set_random_seed(seed)
    # named layers: every call describes the same model (Keras numbers unnamed ones)
    return keras.Sequential([keras.Input((6, 6, 1), name="pixels"),
                             keras.layers.Flatten(name="flat"),
                             keras.layers.Dropout(0.2, name="drop"),
                             keras.layers.Dense(3, activation="softmax", name="out")], name="net")
'''


def test_a_training_read_back_is_the_training_done_afresh(cache_folder):
    """The grader's trainings: the same model and data give the stored result without
    training (the clean worker is not even asked), which equals a fresh training; another
    initialisation is trained anew."""
    rng = np.random.default_rng(0)
    x, y = rng.random((40, 6, 6, 1)).astype(np.float32), rng.integers(0, 3, 40)
    settings = {"epochs": 2, "batch_size": 8, "seed": 4, "timeout": 120}
    cells = [CodeCell(number=1, source=_BUILD, defines=("build",))]
    with Worker(Submission(path=os.devnull, assignment=None, cells=cells)) as student:
        student.start()
        with clean_worker() as clean:
            clean.start()
            stored = trained_in_clean_worker(student.call("build", 1), clean, "fit_and_predict",
                                             x, y, x[:10], **settings)["result"]
            fresh = trained_in_clean_worker(student.call("build", 1), clean, "fit_and_predict",
                                            x, y, x[:10], cached=False, **settings)["result"]
            other = trained_in_clean_worker(student.call("build", 2), clean, "fit_and_predict",
                                            x, y, x[:10], **settings)["result"]
        assert stored.shape == (10, 3) and np.array_equal(stored, fresh)
        assert not np.array_equal(stored, other), "another initialisation trains differently"
        assert len(list((cache_folder / "trainings").glob("*.npz"))) == 2
        with clean_worker() as recorded:
            asked = []
            original = recorded.tool
            recorded.tool = lambda *args, **kwargs: asked.append(args[0]) or original(
                *args, **kwargs)
            again = trained_in_clean_worker(student.call("build", 1), recorded, "fit_and_predict",
                                            x, y, x[:10], **settings)["result"]
            assert np.array_equal(again, stored) and asked == [], "a hit asks the clean worker"
            trained_in_clean_worker(student.call("build", 1), recorded, "fit_and_predict",
                                    x, y[::-1], x[:10], **settings)
            assert "fit_and_predict" in asked, "other labels are another training"
