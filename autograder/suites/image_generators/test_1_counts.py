"""Rubric: class balance, counted per class folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.i18n import _


@pytest.mark.rubric(points=1, visibility="public")
def test_count_images_per_class_on_a_training_folder(student, image_tree):
    """count_images_per_class: the number of images in each class folder of a split."""
    counts = student.count_images_per_class(image_tree["train"])
    assert isinstance(counts, dict), (
        _("a dict is expected, got {type}").format(type=type(counts).__name__)
    )
    assert counts == {"cats": 6, "dogs": 6}, (
        _("a training folder with 6 cat and 6 dog images should give {{'cats': 6, 'dogs': 6}}, "
          "got {counts}").format(counts=counts)
    )


@pytest.mark.rubric(points=1, visibility="hidden")
def test_count_images_per_class_counts_only_image_files(student, count_tree):
    """count_images_per_class: counts image files of any listed format and letter case,
    ignores other files, keeps empty class folders, sorted by class."""
    folder, expected = count_tree
    counts = student.count_images_per_class(folder)
    assert isinstance(counts, dict), (
        _("a dict is expected, got {type}").format(type=type(counts).__name__)
    )
    assert set(counts) == set(expected), (
        _("every class sub-folder (also an empty one) should be a key, and nothing else "
          "(files beside the class folders are not classes)")
    )
    assert counts == expected, (
        _("the counts are wrong: count files ending in .png/.jpg/.jpeg/.bmp/.ppm/.tif/.tiff in "
          "any letter case, and nothing else (text files, hidden files)")
    )
    assert list(counts) == sorted(counts), _("the classes should come in sorted order")
    assert all(isinstance(v, int) for v in counts.values()), _("counts should be integers")
    assert Path(folder).is_dir()
