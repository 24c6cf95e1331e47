"""The wire format: plain data only, nothing unpickled."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest

from autograder.engine import protocol


def roundtrip(value):
    read_fd, write_fd = os.pipe()
    try:
        protocol.write_message(write_fd, {"value": value})
        return protocol.read_message(read_fd, timeout=5)["value"]
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_plain_values_survive_the_pipe():
    value = {
        "none": None, "flag": True, "count": 3, "ratio": 0.25, "text": "é", "pair": (1, "a"),
        "nested": [1, [2, (3,)]], 7: "integer key", "bytes": b"\x89PNG",
    }
    assert roundtrip(value) == value


def test_arrays_keep_dtype_shape_and_values():
    array = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    back = roundtrip(array)
    assert back.dtype == np.float32 and back.shape == (2, 3, 4)
    assert np.array_equal(back, array)
    scalar = roundtrip(np.int64(5))
    assert isinstance(scalar, np.int64) and scalar == 5


def test_non_finite_floats_are_kept():
    back = roundtrip([float("nan"), float("inf"), -float("inf")])
    assert np.isnan(back[0]) and back[1] == float("inf") and back[2] == -float("inf")


def test_object_arrays_become_lists_not_pickles():
    back = roundtrip(np.array([1, "a"], dtype=object))
    assert back == [1, "a"]


def test_other_objects_are_refused_without_a_handle_factory():
    with pytest.raises(protocol.NotPlainData):
        protocol.encode({"value": object()})


def test_other_objects_become_handles_when_allowed():
    data = protocol.encode({"value": object()},
                           handle_of=lambda v: protocol.Handle(4, "builtins.object"))
    read_fd, write_fd = os.pipe()
    os.write(write_fd, data)
    try:
        assert protocol.read_message(read_fd, timeout=5)["value"] == protocol.Handle(
            4, "builtins.object", ""
        )
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_a_pickled_array_is_rejected():
    # A worker could send an .npy holding pickled objects; the grader must refuse to load it.
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    header = b'{"value": {"__ndarray__": 0, "scalar": false}}'
    blob = buffer.getvalue()
    message = (protocol._LEN.pack(len(header)) + header + protocol._LEN.pack(1)
               + protocol._LEN.pack(len(blob)) + blob)
    read_fd, write_fd = os.pipe()
    os.write(write_fd, message)
    try:
        with pytest.raises(protocol.ProtocolError):
            protocol.read_message(read_fd, timeout=5)
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_a_silent_writer_times_out():
    read_fd, write_fd = os.pipe()
    try:
        with pytest.raises(TimeoutError):
            protocol.read_message(read_fd, timeout=0.2)
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_numpy_float_scalars_keep_their_type_even_when_nan():
    back = roundtrip((np.float64("nan"), np.float32(1.5), np.int32(3)))
    assert np.isnan(back[0]) and isinstance(back[0], np.float64)
    assert isinstance(back[1], np.float32) and back[1] == 1.5
    assert isinstance(back[2], np.int32)
