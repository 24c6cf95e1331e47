"""What the grader computes from plain data alone, kept on disk and reused by later gradings.

Some hidden checks run the same computation for many submissions: the fixed CNN's embeddings
of assignment 04 (the same for every student), or the training of a student's CNN by the
grader (the same for every student whose ``build_cnn`` gives the same architecture and initial
weights, as most correct ones do). Such a computation is a function of plain data the grader
holds (a model's exported description, arrays, settings) run by the kit's own code in a
worker that loaded no student code, so its result can be kept and reused: a regrade then gives
the same numbers without training again.

An entry is named by the sha256 of everything it depends on: the inputs, the versions of the
libraries that compute it, the machine's architecture and the source of the kit's worker
tools. Each file has a sidecar holding its own sha256, written with it and checked before every
use; a file that does not match (damaged, or changed by hand) is computed again. The cache is
the kit's dataset cache (:func:`autograder.data.cache_dir`), outside every worker's sandbox:
workers can neither read nor write it.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import io
import json
import os
import platform
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

#: Bumped when the layout of an entry changes.
CACHE_VERSION = "1"
_TOOLS = Path(__file__).resolve().parent / "tools"


def fingerprint(value: Any) -> str:
    """The sha256 of a value made of arrays, numbers, strings, ``None``, lists, tuples and
    dicts: equal for equal values, whatever their arrays' memory layout.

    Raises
    ------
    TypeError
        For any other kind of value (it could not be told apart reliably).
    """
    digest = hashlib.sha256()
    _feed(digest, value)
    return digest.hexdigest()


def _feed(digest: Any, value: Any) -> None:
    if isinstance(value, np.ndarray | np.generic):
        array = np.ascontiguousarray(value)
        digest.update(f"array:{array.dtype.str}:{array.shape}:".encode())
        digest.update(array.tobytes())
    elif isinstance(value, dict):
        digest.update(f"dict:{len(value)}:".encode())
        for key in sorted(value, key=str):
            _feed(digest, str(key))
            _feed(digest, value[key])
    elif isinstance(value, list | tuple):
        digest.update(f"list:{len(value)}:".encode())
        for item in value:
            _feed(digest, item)
    elif value is None or isinstance(value, str | int | float | bool):
        digest.update(f"{type(value).__name__}:{json.dumps(value)};".encode())
    else:
        raise TypeError(f"cannot fingerprint a {type(value).__name__}")


@functools.cache
def computing_environment() -> dict[str, str]:
    """What a cached result depends on besides its inputs: library versions, the machine's
    architecture and the source of the worker tools that compute it."""
    versions = {name: metadata.version(name) for name in ("tensorflow", "keras", "numpy",
                                                          "scikit-learn")}
    tools = hashlib.sha256()
    for path in sorted(_TOOLS.glob("*.py")):
        tools.update(path.name.encode() + b"\0" + path.read_bytes())
    return {**versions, "machine": platform.machine(), "tools": tools.hexdigest()[:16],
            "cache": CACHE_VERSION}


def _cache_file(folder: str, name: str, parameters: dict) -> Path:
    from autograder.data import cache_dir

    key = hashlib.sha256(json.dumps(parameters, sort_keys=True).encode()).hexdigest()[:16]
    directory = cache_dir() / folder
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"{name}-{key}.npz"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _digest_file(path: Path) -> Path:
    """The sidecar that holds the sha256 of a cached file."""
    return path.with_name(path.name + ".sha256")


def _read_verified(path: Path) -> dict[str, np.ndarray] | None:
    """The arrays of a cached file whose sha256 matches its sidecar, else ``None`` (missing,
    no sidecar, or a mismatch: the caller computes them again)."""
    try:
        data = path.read_bytes()
        recorded = _digest_file(path).read_text(encoding="ascii").split()[0]
    except (OSError, IndexError, UnicodeDecodeError):
        return None
    if _sha256(data) != recorded:
        return None
    with np.load(io.BytesIO(data), allow_pickle=False) as stored:
        return {key: stored[key] for key in stored.files}


def cached_arrays(folder: str, name: str, parameters: dict,
                  compute: Callable[[], dict[str, Any]]) -> dict[str, np.ndarray]:
    """The arrays ``compute()`` returns for ``parameters``, computed once.

    Parameters
    ----------
    folder : str
        The cache's sub-folder (one per kind of result).
    name : str
        The start of the entry's file name.
    parameters : dict
        Everything the result depends on, as JSON; :func:`computing_environment` is added.
    compute : callable
        Returns a dict of arrays (or numbers) when the entry is missing or damaged.

    Returns
    -------
    dict of str to numpy.ndarray
        The same arrays whether computed now or read back (numbers become 0-d arrays; the
        ``.npz`` format keeps dtypes and values exactly).
    """
    path = _cache_file(folder, name, {**parameters, "environment": computing_environment()})
    arrays = _read_verified(path)
    if arrays is not None:
        return arrays
    # Lanes grading at once often need the same entry (the same architecture trained by
    # every student's grading): the first computes it, the others wait and read it back.
    # The operating system drops the lock when its holder ends, whatever way it ends.
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            arrays = _read_verified(path)
            if arrays is None:
                arrays = _compute_and_store(path, compute)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return arrays


def _compute_and_store(path: Path, compute: Callable[[], dict[str, Any]]
                       ) -> dict[str, np.ndarray]:
    """Compute an entry and write it with its sidecar; its arrays."""
    arrays = {key: np.asarray(value) for key, value in compute().items()}
    if "file" in arrays:  # numpy.savez's own first argument
        raise ValueError("a cached array cannot be named 'file'")
    if any(array.dtype.hasobject for array in arrays.values()):
        raise TypeError("only numeric arrays are cached: they are read without pickle")
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    data = buffer.getvalue()
    # Write then rename, the digest first: a grading that runs at the same time never reads
    # half a file, and at worst sees a digest that does not match yet (and computes again).
    for target, content in ((_digest_file(path), f"{_sha256(data)}  {path.name}\n".encode()),
                            (path, data)):
        partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
        partial.write_bytes(content)
        partial.replace(target)
    return arrays
