"""The wire format between the grader and a worker process.

Only plain data crosses: one JSON header per message plus raw blobs. A NumPy array travels
as ``.npy`` bytes and is read back with ``allow_pickle=False``; bytes (PNG pictures) travel
as they are. Nothing is ever unpickled, so a worker cannot make the grader run code by
sending crafted data.

A message on the pipe is::

    8-byte big-endian length of the JSON header | JSON header | for each blob: 8-byte length | bytes

Inside the JSON, values that JSON cannot hold are tagged objects, e.g. ``{"__ndarray__": 0}``
(the index of a blob), ``{"__tuple__": [...]}``, ``{"__handle__": 3, "type": "..."}``.
"""

from __future__ import annotations

import io
import json
import math
import os
import select
import struct
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

_LEN = struct.Struct(">Q")

# A generous ceiling on one message, so that a runaway worker cannot make the grader
# allocate without bound while reading.
MAX_MESSAGE_BYTES = 2 * 1024**3


class ProtocolError(RuntimeError):
    """The other side sent something that is not a well-formed message."""


@dataclass(frozen=True)
class Handle:
    """A reference to an object that stays inside the worker (a model, a figure...)."""

    id: int
    type: str
    repr: str = ""


class NotPlainData(TypeError):
    """Raised by :func:`encode` for a value that cannot cross as plain data."""


def _encode_value(value: Any, blobs: list[bytes], handle_of) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (np.ndarray, np.generic)):
        # Before int/float: np.float64 is a float subclass, and its dtype must survive.
        array = np.asarray(value)
        if array.dtype.hasobject:
            # Object arrays would need pickle: try to turn them into plain nested lists.
            return _encode_value(array.tolist(), blobs, handle_of)
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        blobs.append(buffer.getvalue())
        return {"__ndarray__": len(blobs) - 1, "scalar": isinstance(value, np.generic)}
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        value = float(value)
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, Handle):
        return {"__handle__": value.id, "type": value.type, "repr": value.repr}
    if isinstance(value, (bytes, bytearray, memoryview)):
        blobs.append(bytes(value))
        return {"__bytes__": len(blobs) - 1}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode_value(v, blobs, handle_of) for v in value]}
    if isinstance(value, list):
        return [_encode_value(v, blobs, handle_of) for v in value]
    if isinstance(value, dict):
        return {
            "__dict__": [
                [_encode_value(k, blobs, handle_of), _encode_value(v, blobs, handle_of)]
                for k, v in value.items()
            ]
        }
    if handle_of is not None:
        return _encode_value(handle_of(value), blobs, None)
    raise NotPlainData(f"a {type(value).__name__} cannot be sent as plain data")


def _decode_value(value: Any, blobs: list[bytes], object_of) -> Any:
    if isinstance(value, list):
        return [_decode_value(v, blobs, object_of) for v in value]
    if not isinstance(value, dict):
        return value
    if "__ndarray__" in value:
        array = np.load(io.BytesIO(blobs[value["__ndarray__"]]), allow_pickle=False)
        return array[()] if value.get("scalar") else array
    if "__bytes__" in value:
        return blobs[value["__bytes__"]]
    if "__float__" in value:
        return float(value["__float__"])
    if "__tuple__" in value:
        return tuple(_decode_value(v, blobs, object_of) for v in value["__tuple__"])
    if "__dict__" in value:
        return {
            _decode_value(k, blobs, object_of): _decode_value(v, blobs, object_of)
            for k, v in value["__dict__"]
        }
    if "__handle__" in value:
        handle = Handle(int(value["__handle__"]), str(value["type"]), str(value.get("repr", "")))
        return object_of(handle) if object_of is not None else handle
    raise ProtocolError(f"unknown tagged value with keys {sorted(value)}")


def encode(message: dict, handle_of=None) -> bytes:
    """Serialise ``message`` (plain data) into bytes ready for the pipe.

    Parameters
    ----------
    message : dict
        Plain data: None, bool, int, float, str, bytes, NumPy arrays and scalars, and
        lists, tuples and dicts of those.
    handle_of : callable, optional
        Called with any other value; must return a :class:`Handle`. Without it such a
        value raises :class:`NotPlainData`.

    Returns
    -------
    bytes
    """
    blobs: list[bytes] = []
    header = json.dumps(_encode_value(message, blobs, handle_of), allow_nan=False).encode()
    parts = [_LEN.pack(len(header)), header, _LEN.pack(len(blobs))]
    for blob in blobs:
        parts += [_LEN.pack(len(blob)), blob]
    return b"".join(parts)


def _read_exact(fd: int, size: int, deadline: float | None = None) -> bytes:
    chunks = []
    remaining = size
    while remaining:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise TimeoutError("no answer before the deadline")
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the pipe")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _read_length(fd: int, deadline: float | None) -> int:
    (length,) = _LEN.unpack(_read_exact(fd, _LEN.size, deadline))
    if length > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message part of {length} bytes is larger than allowed")
    return length


def read_message(fd: int, object_of=None, timeout: float | None = None) -> Any:
    """Read one message from ``fd`` and decode it (see :func:`encode`).

    Parameters
    ----------
    fd : int
        The file descriptor to read from.
    object_of : callable, optional
        Turns each received :class:`Handle` into the object it stands for.
    timeout : float, optional
        Seconds to wait for the whole message; ``None`` waits for ever.

    Raises
    ------
    TimeoutError
        The whole message did not arrive within ``timeout`` seconds.
    EOFError
        The pipe was closed before a whole message arrived.
    ProtocolError
        The bytes are not a well-formed message.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    header = _read_exact(fd, _read_length(fd, deadline), deadline)
    n_blobs = _read_length(fd, deadline)
    blobs = [_read_exact(fd, _read_length(fd, deadline), deadline) for _ in range(n_blobs)]
    try:
        raw = json.loads(header)
    except ValueError as error:
        raise ProtocolError(f"header is not JSON: {error}") from None
    try:
        return _decode_value(raw, blobs, object_of)
    except (ValueError, IndexError, KeyError, TypeError) as error:
        raise ProtocolError(f"malformed value: {error}") from None


def write_message(fd: int, message: dict, handle_of=None) -> None:
    """Encode ``message`` and write all of it to ``fd``."""
    data = memoryview(encode(message, handle_of))
    while data:
        written = os.write(fd, data)
        data = data[written:]
