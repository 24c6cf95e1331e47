"""The datasets manifest (``datasets/manifest.json``), the local cache and checksums.

The manifest is a JSON object ``{"datasets": {name: entry}}``. Every entry has the keys
``name``, ``description``, ``url``, ``filename``, ``sha256``, ``provenance`` and
``license``; ``url``, ``filename`` and ``sha256`` are ``null`` when they do not apply.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from cnnkit_student.i18n import _

__all__ = [
    "CACHE_DIR_ENV",
    "COURSE_ENV",
    "COURSE_ROOT",
    "MANIFEST_PATH",
    "REPO_ROOT",
    "REQUIRED_KEYS",
    "ChecksumError",
    "cache_dir",
    "dataset_entry",
    "load_manifest",
    "sha256_file",
    "verify_sha256",
]



#: Environment variable naming the course folder (the one holding ``datasets/manifest.json``).
COURSE_ENV = "CNNKIT_COURSE"
#: The manifest shipped in this package (copied from the course's at release), used where no
#: course folder is found: a student's machine holding only this package.
PACKAGED_MANIFEST: Path = Path(__file__).resolve().parent / "manifest.json"


def _holds_manifest(folder: Path) -> bool:
    return (folder / "datasets" / "manifest.json").is_file()


def find_course_root(start: str | os.PathLike[str] | None = None) -> Path | None:
    """The course folder whose ``datasets/`` (manifest and cache) the loaders use.

    Parameters
    ----------
    start : str or os.PathLike, optional
        Where the search starts (default: the current directory).

    Returns
    -------
    Path or None
        ``$CNNKIT_COURSE`` when set and holding ``datasets/manifest.json``; else the first of
        ``start`` and its parents that holds it; else the course checkout this package sits
        in (the kit's editable install: ``student/src/cnnkit_student/`` inside it); else
        ``None`` (this package installed on its own, outside any course folder).
    """
    setting = os.environ.get(COURSE_ENV, "").strip()
    if setting and _holds_manifest(Path(setting).expanduser()):
        return Path(setting).expanduser().resolve()
    here = Path(start if start is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if _holds_manifest(folder):
            return folder
    # an installed package's parents are site-packages and the like, never a course folder
    checkout = Path(__file__).resolve().parents[4]
    return checkout if _holds_manifest(checkout) else None


def _user_data_root() -> Path:
    """Where a student's machine keeps downloads without a course folder (XDG's cache)."""
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or Path.home() / ".cache"
    return Path(base).expanduser() / "cnnkit"


#: The course folder, when one was found at import; ``None`` on a student's machine.
COURSE_ROOT: Path | None = find_course_root()
#: Root of ``datasets/cache``: the course folder, else a per-user folder.
REPO_ROOT: Path = COURSE_ROOT if COURSE_ROOT is not None else _user_data_root()
#: The manifest read by default: the course's, else the one shipped in this package.
MANIFEST_PATH: Path = (COURSE_ROOT / "datasets" / "manifest.json" if COURSE_ROOT is not None
                       else PACKAGED_MANIFEST)
#: Environment variable overriding :func:`cache_dir`.
CACHE_DIR_ENV = "CNNKIT_CACHE_DIR"
#: Keys every manifest entry must have.
REQUIRED_KEYS: tuple[str, ...] = (
    "name",
    "description",
    "url",
    "filename",
    "sha256",
    "provenance",
    "license",
)

_CHUNK_SIZE = 1 << 20


class ChecksumError(ValueError):
    """A file's SHA-256 digest does not match the expected one."""


def load_manifest(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Read and validate the datasets manifest.

    Parameters
    ----------
    path : str or os.PathLike, default=None
        Manifest to read; ``None`` means :data:`MANIFEST_PATH` (the course's
        ``datasets/manifest.json``, or the copy shipped in this package).

    Returns
    -------
    manifest : dict
        The parsed manifest, ``{"datasets": {name: entry}}``. A fresh object on every
        call, so callers may modify it.

    Raises
    ------
    ValueError
        If the file is not a JSON object with a ``datasets`` mapping whose entries have
        all of :data:`REQUIRED_KEYS`.
    """
    manifest_path = Path(path) if path is not None else MANIFEST_PATH
    with manifest_path.open(encoding="utf-8") as fh:
        manifest = json.load(fh)
    datasets = manifest.get("datasets") if isinstance(manifest, dict) else None
    if not isinstance(datasets, dict):
        raise ValueError(f"{manifest_path}: expected a JSON object with a 'datasets' object")
    for key, entry in datasets.items():
        if not isinstance(entry, dict):
            raise ValueError(f"{manifest_path}: entry {key!r} is not a JSON object")
        missing = [k for k in REQUIRED_KEYS if k not in entry]
        if missing:
            raise ValueError(f"{manifest_path}: entry {key!r} lacks the keys {missing}")
    return manifest


def dataset_entry(name: str) -> dict[str, Any]:
    """Return one entry of the manifest.

    Parameters
    ----------
    name : str
        Dataset name, e.g. ``"mnist"``.

    Returns
    -------
    entry : dict
        The manifest entry (``name``, ``description``, ``url``, ``filename``,
        ``sha256``, ``provenance``, ``license`` and any extra keys).

    Raises
    ------
    KeyError
        If the manifest has no such dataset; the message lists the known names.
    """
    datasets = load_manifest()["datasets"]
    try:
        return datasets[name]
    except KeyError:
        known = ", ".join(sorted(datasets)) or "(none)"
        raise KeyError(
            f"unknown dataset {name!r} in {MANIFEST_PATH}; known datasets: {known}"
        ) from None


def cache_dir() -> Path:
    """Return the local dataset cache directory, creating it if needed.

    Returns
    -------
    path : pathlib.Path
        ``$CNNKIT_CACHE_DIR`` if that variable is set and non-empty, otherwise
        ``datasets/cache/`` in the course folder (git-ignored), or under
        ``~/.cache/cnnkit/`` where there is no course folder.
    """
    override = os.environ.get(CACHE_DIR_ENV, "").strip()
    path = Path(override).expanduser() if override else REPO_ROOT / "datasets" / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Compute a file's SHA-256 digest, reading it in chunks.

    Parameters
    ----------
    path : str or os.PathLike
        File to hash.

    Returns
    -------
    digest : str
        Lower-case hexadecimal SHA-256 digest (64 characters).
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK_SIZE), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_sha256(path: str | os.PathLike[str], expected: str) -> None:
    """Check that a file has the expected SHA-256 digest.

    Parameters
    ----------
    path : str or os.PathLike
        File to check.
    expected : str
        Expected hexadecimal digest (case-insensitive).

    Returns
    -------
    None

    Raises
    ------
    ChecksumError
        If the digests differ; the message names the file and both digests.
    """
    actual = sha256_file(path)
    if actual != expected.strip().lower():
        raise ChecksumError(
            _("SHA-256 mismatch for {path}: expected {expected}, got {got}. The file is corrupt "
              "or truncated and was not used; delete it and download it again.").format(
                path=os.fspath(path), expected=expected, got=actual)
        )
