"""Tests for autograder.data.cats_dogs: mirror, download checks, layout, stand-in. No network."""

from __future__ import annotations

import io
import urllib.error
import zipfile
from pathlib import Path

import numpy as np
import pytest
from grading import HAS_MIRROR, MIRROR_PARENT, NO_MIRROR_REASON
from PIL import Image

from autograder.data import cats_dogs, load_cats_dogs, load_manifest
from autograder.data.cats_dogs import (
    ChecksumError,
    extract_archive,
    find_mirror,
    tree_listing,
    tree_sha256,
)
from autograder.data.manifest import dataset_entry, sha256_file

# A miniature of the filtered subset: the real file names, a few of each split.
FAKE_FILES = {
    "train": {"cats": [0, 1, 10], "dogs": [0, 7]},
    "validation": {"cats": [2000, 2249, 2250, 2499], "dogs": [2001, 2300]},
}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    for name in ("CNNKIT_DATA_DIR", "CNNKIT_CATS_DOGS_SOURCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CNNKIT_OFFLINE", "1")
    monkeypatch.setenv("CNNKIT_CACHE_DIR", str(tmp_path / "cache"))
    cats_dogs._verified.cache_clear()


def _write_fake_dataset(parent: Path) -> Path:
    rng = np.random.default_rng(0)
    root = parent / "cats_and_dogs_filtered"
    for split, classes in FAKE_FILES.items():
        for cls, numbers in classes.items():
            folder = root / split / cls
            folder.mkdir(parents=True)
            for number in numbers:
                size = tuple(int(v) for v in rng.integers(10, 30, size=2))
                pixels = rng.integers(0, 256, size=(*size, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(folder / f"{cls[:-1]}.{number}.jpg")
    return root


def _pin(monkeypatch, **values) -> dict:
    entry = dict(dataset_entry("cats_and_dogs_filtered"), **values)
    real = cats_dogs.dataset_entry
    monkeypatch.setattr(cats_dogs, "dataset_entry",
                        lambda name: entry if name == "cats_and_dogs_filtered" else real(name))
    return entry


def _zip_of(folder: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in sorted(folder.rglob("*")):
            bundle.write(path, path.relative_to(folder.parent).as_posix())
    return archive


@pytest.fixture
def fake_mirror(tmp_path, monkeypatch) -> Path:
    root = _write_fake_dataset(tmp_path / "mirror")
    _pin(monkeypatch, tree_sha256=tree_sha256(tree_listing(root)), files=11)
    return root


# ------------------------------------------------------------------------------- mirror


def test_find_mirror_accepts_the_folder_or_its_parent(fake_mirror, monkeypatch, tmp_path):
    assert find_mirror() is None
    assert find_mirror(fake_mirror) == fake_mirror.resolve()
    assert find_mirror(fake_mirror.parent) == fake_mirror.resolve()
    assert find_mirror(tmp_path / "nowhere") is None
    monkeypatch.setenv("CNNKIT_DATA_DIR", str(fake_mirror.parent))
    assert find_mirror() == fake_mirror.resolve()


def test_mirror_layout_carves_the_test_split_from_validation(fake_mirror, capsys):
    data = load_cats_dogs("mirror", fake_mirror.parent)
    assert data.source == "mirror" and not data.is_standin and data.classes == ("cats", "dogs")
    names = {split: {cls: sorted(p.name for p in (folder / cls).iterdir())
                     for cls in data.classes}
             for split, folder in (("train", data.train_dir), ("validation", data.validation_dir),
                                   ("test", data.test_dir))}
    assert names == {
        "train": {"cats": ["cat.0.jpg", "cat.1.jpg", "cat.10.jpg"],
                  "dogs": ["dog.0.jpg", "dog.7.jpg"]},
        "validation": {"cats": ["cat.2000.jpg", "cat.2249.jpg"], "dogs": ["dog.2001.jpg"]},
        "test": {"cats": ["cat.2250.jpg", "cat.2499.jpg"], "dogs": ["dog.2300.jpg"]},
    }
    linked = data.test_dir / "cats" / "cat.2250.jpg"
    assert linked.read_bytes() == (fake_mirror / "validation/cats/cat.2250.jpg").read_bytes()
    assert "Cats vs dogs source: mirror" in capsys.readouterr().out
    # a second call reuses the finished layout
    assert load_cats_dogs("mirror", fake_mirror, verbose=False).test_dir == data.test_dir


def test_auto_prefers_a_mirror_and_otherwise_offline_uses_the_standin(fake_mirror, monkeypatch):
    assert load_cats_dogs(verbose=False).source == "standin"
    monkeypatch.setenv("CNNKIT_DATA_DIR", str(fake_mirror))
    assert load_cats_dogs(verbose=False).source == "mirror"


def test_a_changed_mirror_file_is_reported_and_not_used(fake_mirror, tmp_path):
    # the per-file list beside the mirror names the file that differs
    listing = tree_listing(fake_mirror)
    sidecar = fake_mirror.parent / "cats_and_dogs_filtered.sha256"
    sidecar.write_text("".join(f"{d}  ./{p}\n" for p, d in listing.items()), encoding="utf-8")
    (fake_mirror / "train/dogs/dog.7.jpg").write_bytes(b"not the picture")
    with pytest.raises(ChecksumError, match=r"1 file\(s\) differ.*train/dogs/dog.7.jpg"):
        load_cats_dogs("mirror", fake_mirror, verbose=False)
    assert not any((tmp_path / "cache").glob("cats_and_dogs_filtered_split_*"))


def test_mirror_source_without_a_mirror_says_how_to_set_one():
    with pytest.raises(FileNotFoundError, match="CNNKIT_DATA_DIR"):
        load_cats_dogs("mirror", verbose=False)


def test_unknown_source_raises_value_error(monkeypatch):
    with pytest.raises(ValueError, match="auto, mirror, download, standin"):
        load_cats_dogs("kaggle", verbose=False)
    monkeypatch.setenv("CNNKIT_CATS_DOGS_SOURCE", "nope")
    with pytest.raises(ValueError, match="CNNKIT_CATS_DOGS_SOURCE"):
        load_cats_dogs(verbose=False)


# ------------------------------------------------------------------ the download's checks


@pytest.fixture
def fake_zip(tmp_path) -> tuple[Path, str]:
    folder = _write_fake_dataset(tmp_path / "src")
    return _zip_of(folder, tmp_path / "cats_and_dogs_filtered.zip"), tree_sha256(
        tree_listing(folder))


def test_a_good_archive_is_extracted(fake_zip, tmp_path):
    archive, digest = fake_zip
    target = extract_archive(archive, tmp_path / "out", sha256=sha256_file(archive),
                             size=archive.stat().st_size, tree_digest=digest)
    assert target == tmp_path / "out" / "cats_and_dogs_filtered"
    assert len(tree_listing(target)) == 11
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["cats_and_dogs_filtered"]


def _nothing_extracted(folder: Path) -> bool:
    return not folder.exists() or not any(folder.iterdir())


@pytest.mark.parametrize("damage", ["truncated", "wrong_sha256", "wrong_size", "bad_crc",
                                    "other_images"])
def test_a_corrupt_or_truncated_archive_is_reported_and_never_half_used(fake_zip, tmp_path,
                                                                        damage):
    archive, digest = fake_zip
    data = archive.read_bytes()
    sha, size = sha256_file(archive), len(data)
    if damage == "truncated":
        archive.write_bytes(data[: len(data) * 2 // 3])
        sha, size = None, None  # nothing pinned: the zip's own structure must catch it
    elif damage == "wrong_sha256":
        sha = "0" * 64  # a fake expected hash
    elif damage == "wrong_size":
        size += 1
    elif damage == "bad_crc":
        with zipfile.ZipFile(archive) as bundle:
            info = bundle.infolist()[-1]
        offset = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 5
        corrupted = bytearray(data)
        corrupted[offset] ^= 0xFF  # a flipped byte inside the last member's data
        archive.write_bytes(bytes(corrupted))
        sha, size = None, None
    elif damage == "other_images":
        digest = "1" * 64
    with pytest.raises(ChecksumError, match="not used|CRC|not a complete zip"):
        extract_archive(archive, tmp_path / "out", sha256=sha, size=size, tree_digest=digest)
    assert _nothing_extracted(tmp_path / "out")


def test_download_checks_the_archive_and_deletes_a_bad_one(fake_zip, tmp_path, monkeypatch,
                                                           capsys):
    archive, digest = fake_zip
    payload = archive.read_bytes()
    monkeypatch.delenv("CNNKIT_OFFLINE")
    monkeypatch.setattr(cats_dogs.urllib.request, "urlopen",
                        lambda url, timeout: io.BytesIO(payload))
    _pin(monkeypatch, sha256=None, size_bytes=len(payload), tree_sha256=digest, files=11)
    data = load_cats_dogs("download", verbose=False)
    assert data.source == "download"
    # the zip's digest is not pinned: once its contents are verified, it is shown for pinning
    assert f"the zip's own sha256 is {sha256_file(archive)}" in capsys.readouterr().err
    assert sorted(p.name for p in (data.test_dir / "cats").iterdir()) == ["cat.2250.jpg",
                                                                          "cat.2499.jpg"]
    # a download cut short: reported, the zip deleted, nothing extracted is kept or used
    cache = tmp_path / "cache"
    for leftover in cache.iterdir():
        if leftover.is_dir():
            import shutil
            shutil.rmtree(leftover)
    monkeypatch.setattr(cats_dogs.urllib.request, "urlopen",
                        lambda url, timeout: io.BytesIO(payload[:1000]))
    with pytest.raises(ChecksumError, match="truncated or corrupt"):
        load_cats_dogs(verbose=False)  # auto: a checksum failure is not hidden by a fallback
    assert list(cache.iterdir()) == []


def test_auto_falls_back_to_the_standin_when_the_download_fails(monkeypatch, capsys):
    monkeypatch.delenv("CNNKIT_OFFLINE")

    def offline(url, timeout):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(cats_dogs.urllib.request, "urlopen", offline)
    data = load_cats_dogs()
    assert data.source == "standin"
    assert "the download failed" in capsys.readouterr().out


# ------------------------------------------------------------------------------ stand-in


def test_standin_is_real_images_of_varying_sizes_clearly_labelled():
    data = load_cats_dogs("standin", verbose=False)
    assert data.is_standin and "STAND-IN, not cats and dogs" in data.detail
    assert data.counts() == {split: {"digit_3": n, "digit_8": n}
                             for split, n in (("train", 300), ("validation", 100),
                                              ("test", 100))}
    root = data.train_dir.parent
    assert "STAND-IN" in (root / "README.txt").read_text(encoding="utf-8")
    sizes = set()
    for path in sorted((data.train_dir / "digit_8").iterdir())[:40]:
        with Image.open(path) as picture:
            assert picture.mode == "RGB"
            sizes.add(picture.size)
    assert len(sizes) > 20  # sizes vary
    again = load_cats_dogs("standin", verbose=False)
    first = sorted((again.test_dir / "digit_3").iterdir())[0]
    assert first.read_bytes() == sorted((data.test_dir / "digit_3").iterdir())[0].read_bytes()


# ------------------------------------------------------------------------------ manifest


def test_manifest_entry_pins_what_can_be_established():
    entry = load_manifest()["datasets"]["cats_and_dogs_filtered"]
    assert entry["url"] == "https://storage.googleapis.com/mledu-datasets/cats_and_dogs_filtered.zip"
    assert entry["sha256"] is None  # no public source for the zip's digest was found
    assert entry["size_bytes"] == 68606236 and entry["files"] == 3000
    assert len(entry["tree_sha256"]) == 64


@pytest.mark.skipif(not HAS_MIRROR, reason=NO_MIRROR_REASON)
def test_the_real_mirror_matches_the_manifest_and_splits_as_documented(monkeypatch):
    sidecar = MIRROR_PARENT / "cats_and_dogs_filtered.sha256"
    listed = {}
    for line in sidecar.read_text(encoding="utf-8").splitlines():
        digest, _, path = line.partition("  ")
        listed[path.removeprefix("./")] = digest
    assert tree_sha256(listed) == dataset_entry("cats_and_dogs_filtered")["tree_sha256"]
    monkeypatch.setenv("CNNKIT_DATA_DIR", str(MIRROR_PARENT))
    data = load_cats_dogs(verbose=False)
    assert data.source == "mirror"
    assert data.counts() == {"train": {"cats": 1000, "dogs": 1000},
                             "validation": {"cats": 250, "dogs": 250},
                             "test": {"cats": 250, "dogs": 250}}
