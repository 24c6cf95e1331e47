"""Expected values frozen as plain data: one JSON file per assignment, arrays as ``.npy``.

The course's release computes them once, from the reference solution, on the public checks'
inputs, and writes them into this package. Here they are only read: JSON with
:func:`json.loads`, arrays with ``numpy.load(..., allow_pickle=False)``. Nothing is executed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from cnnkit_student.i18n import _

DATA_DIR = Path(__file__).resolve().parent / "data"
FORMAT = 1
_ARRAY = "__npy__"
_TUPLE = "__tuple__"


def encode(value: Any, name: str, arrays: dict[str, np.ndarray]) -> Any:
    """``value`` as JSON-able data; each array goes to ``arrays`` under a file name.

    Parameters
    ----------
    value : Any
        Numbers, strings, ``None``, lists, tuples, dicts with string keys, NumPy arrays and
        scalars (bytes are dropped: renderings are not frozen).
    name : str
        A file-name stem for the arrays found in ``value``.
    arrays : dict
        Filled with ``{file name: array}``.

    Returns
    -------
    Any
        The JSON-able form.
    """
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufU":
            raise TypeError(f"{name}: arrays of dtype {value.dtype} cannot be frozen")
        file = f"{name}.npy"
        arrays[file] = np.ascontiguousarray(value)
        return {_ARRAY: file}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): encode(v, f"{name}.{k}", arrays) for k, v in value.items()
                if not isinstance(v, bytes)}
    if isinstance(value, tuple):
        return {_TUPLE: [encode(v, f"{name}.{i}", arrays) for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [encode(v, f"{name}.{i}", arrays) for i, v in enumerate(value)]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    raise TypeError(f"{name}: a {type(value).__name__} cannot be frozen as plain data")


def decode(value: Any, folder: Path) -> Any:
    """The inverse of :func:`encode`, reading arrays from ``folder``."""
    if isinstance(value, dict):
        if set(value) == {_ARRAY}:
            file = folder / value[_ARRAY]
            if file.parent != folder or file.suffix != ".npy":
                raise ValueError(f"unexpected array file name {value[_ARRAY]!r}")
            return np.load(file, allow_pickle=False)
        if set(value) == {_TUPLE}:
            return tuple(decode(v, folder) for v in value[_TUPLE])
        return {k: decode(v, folder) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v, folder) for v in value]
    return value


class Expected:
    """The frozen values of one assignment, read on first use.

    Parameters
    ----------
    assignment : str
        The assignment id, e.g. ``"01_mnist_cnn"``.
    data_dir : Path
        Where the assignments' folders are (this package's ``data/`` by default).
    """

    def __init__(self, assignment: str, data_dir: Path = DATA_DIR) -> None:
        self.folder = data_dir / assignment
        self._values: dict[str, Any] | None = None

    def available(self) -> bool:
        return (self.folder / "expected.json").is_file()

    def __getitem__(self, key: str) -> Any:
        if self._values is None:
            path = self.folder / "expected.json"
            if not path.is_file():
                raise FileNotFoundError(_(
                    "this installation has no expected values for {assignment}; reinstall the "
                    "course's checks package").format(assignment=self.folder.name))
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                raise ValueError(f"{path}: format {data.get('format')!r}, {FORMAT} expected")
            self._values = data["values"]
        return decode(self._values[key], self.folder)


def write_expected(assignment: str, values: dict[str, Any], data_dir: Path) -> list[Path]:
    """Write one assignment's frozen values (``expected.json`` and its ``.npy`` files).

    Returns
    -------
    list[Path]
        The files written.
    """
    folder = data_dir / assignment
    folder.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    encoded = {key: encode(value, key, arrays) for key, value in values.items()}
    written = []
    for file, array in sorted(arrays.items()):
        np.save(folder / file, array, allow_pickle=False)
        written.append(folder / file)
    path = folder / "expected.json"
    path.write_text(json.dumps({"format": FORMAT, "assignment": assignment, "values": encoded},
                               indent=1, sort_keys=True) + "\n", encoding="utf-8")
    written.append(path)
    return written
