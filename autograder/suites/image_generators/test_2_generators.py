"""Rubric: the training, validation and test generators in their three modes."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.engine.client import StudentCodeError
from autograder.engine.tools.images import generator_info
from autograder.i18n import _
from autograder.suites.image_generators.generators import rebuild_generator

IMG_SIZE = (24, 32)  # (height, width): not square, so a swapped size shows
SPLITS = ("train", "validation", "test")


def _differing_settings(actual: dict, expected: dict) -> list[str]:
    """Names of the generator settings (augmentation, rescale) that differ."""
    def same(a, b) -> bool:
        if isinstance(a, list | tuple) and isinstance(b, list | tuple):
            return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
        if isinstance(a, int | float) and isinstance(b, int | float):
            return abs(float(a) - float(b)) < 1e-9
        return a == b

    return [name for name in expected if not same(actual.get(name), expected[name])]


def _error_of(call) -> StudentCodeError | None:
    try:
        call()
    except StudentCodeError as error:
        return error
    return None


def _generators(student, worker, tree, **kwargs) -> list:
    """The student's three generators, rebuilt in the grader from the settings the worker
    reports (see ``generators.py``): every batch, order and setting checked below is read
    from Keras's own iterator here, never by the kit's tools in the student's worker."""
    result = student.get_generators(tree["train"], tree["validation"], tree["test"],
                                    IMG_SIZE, **kwargs)
    assert isinstance(result, tuple | list) and len(result) == 3, (
        _("get_generators must return three generators: (train, validation, test)")
    )
    rebuilt = []
    for split, generator in zip(SPLITS, result, strict=True):
        spec = worker.tool("generator_export", generator) if hasattr(generator, "inspect") else {}
        rebuilt.append(rebuild_generator(spec, tree["root"], split))
    return rebuilt


def _reference(reference, tree, **kwargs) -> list:
    return list(reference.get_generators(tree["train"], tree["validation"], tree["test"],
                                         IMG_SIZE, **kwargs))


def _all_images(generator) -> tuple[np.ndarray, np.ndarray]:
    """Every batch of an iterator living in the grader (a rebuilt one or the reference's)."""
    batches = [generator[i] for i in range(len(generator))]
    return (np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches]))


def _same_images_any_order(actual: np.ndarray, expected: np.ndarray) -> bool:
    """Whether two stacks hold the same images, each used once, in any order."""
    if actual.shape != expected.shape:
        return False
    left = list(range(len(expected)))
    for image in actual:
        match = next((j for j in left if np.allclose(image, expected[j], atol=1e-4)), None)
        if match is None:
            return False
        left.remove(match)
    return True


@pytest.mark.rubric(points=2, visibility="public")
def test_get_generators_gives_rescaled_binary_batches(student, worker, image_tree):
    """get_generators: three generators of float32 RGB batches of the asked size and batch
    size, binary labels, classes numbered in folder order, pixels in [0, 1] ("rescaling")."""
    generators = _generators(student, worker, image_tree, preprocessing_mode="rescaling",
                             batch_size=4)
    for split, generator in zip(SPLITS, generators, strict=True):
        info = generator_info(generator)
        assert info["class_indices"] == {"cats": 0, "dogs": 1}, (
            _("{split}: class_indices should be {{'cats': 0, 'dogs': 1}}, got "
              "{got}").format(split=split, got=info["class_indices"])
        )
        images, labels = generator[0]
        assert images.shape == (4, *IMG_SIZE, 3), (
            _("{split}: a batch of shape (4, 24, 32, 3) is expected for img_size=(24, 32) and "
              "batch_size=4, got {shape}").format(split=split, shape=images.shape)
        )
        assert images.dtype == np.float32, (
            _("{split}: float32 images expected, got {dtype}").format(
                split=split, dtype=images.dtype)
        )
        assert labels.shape == (4,) and set(np.unique(labels)) <= {0.0, 1.0}, (
            _("{split}: one binary label (0 or 1) per image is expected "
              "(class_mode='binary')").format(split=split)
        )
        assert images.min() >= 0.0 and images.max() <= 1.0, (
            _("{split}: pixels should be rescaled into [0, 1], found values up to "
              "{maximum:.1f}").format(split=split, maximum=images.max())
        )


@pytest.mark.rubric(points=2, visibility="hidden")
def test_rescaling_divides_every_pixel_by_255(student, worker, reference, image_tree):
    """get_generators: in "rescaling" mode every split's pixels are the file's values / 255."""
    kwargs = {"preprocessing_mode": "rescaling", "batch_size": 32}
    generators = _generators(student, worker, image_tree, **kwargs)
    for split, generator, expected in zip(SPLITS, generators, _reference(reference, image_tree,
                                                                         **kwargs), strict=True):
        images, _labels = _all_images(generator)
        wanted, _labels = _all_images(expected)
        assert _same_images_any_order(images, wanted), (
            _("{split}: the pixel values are not the images' values divided by 255").format(
                split=split)
        )


@pytest.mark.rubric(points=2, visibility="hidden")
def test_test_generator_keeps_sorted_file_order(student, worker, image_tree):
    """get_generators: the test generator does not shuffle: its batches follow its sorted
    file names, and their labels match; the training generator shuffles."""
    train, _validation, test = _generators(student, worker, image_tree,
                                           preprocessing_mode="rescaling", batch_size=3)
    info = generator_info(test)
    expected_names = sorted(
        f"{cls}/{cls[:-1]}.{n}.png"
        for cls, numbers in zip(("cats", "dogs"), ([7, 8, 9, 70, 700], [6, 60, 600]),
                                strict=True)
        for n in numbers
    )
    assert not info["shuffle"], _("the test generator must not shuffle (shuffle=False)")
    assert info["filenames"] == expected_names, (
        _("the test generator's filenames should be the test folder's files, sorted")
    )
    _images, labels = _all_images(test)
    expected_labels = [0.0 if name.startswith("cats/") else 1.0 for name in expected_names]
    assert labels.tolist() == expected_labels, (
        _("the labels of the test batches, in order, do not follow the sorted file names")
    )
    assert generator_info(train)["shuffle"], _("the training generator should shuffle")


@pytest.mark.rubric(points=2, visibility="hidden")
def test_model_specific_preprocessing(student, worker, reference, image_tree):
    """get_generators: "model_specific" applies EfficientNet's preprocessing (pixels stay in
    [0, 255]) or ResNet's (BGR, ImageNet channel means subtracted) to every split."""
    for model_type in ("efficientnet", "resnet"):
        kwargs = {"preprocessing_mode": "model_specific", "model_type": model_type,
                  "batch_size": 32}
        generators = _generators(student, worker, image_tree, **kwargs)
        for split, generator, expected in zip(
            SPLITS, generators, _reference(reference, image_tree, **kwargs), strict=True
        ):
            images, _labels = _all_images(generator)
            wanted, _labels = _all_images(expected)
            assert _same_images_any_order(images, wanted), (
                _("model_type={model_type!r}, {split}: the pixels are not what "
                  "keras.applications.{model_type}.preprocess_input gives (no rescaling in "
                  "this mode)").format(model_type=model_type, split=split)
            )


@pytest.mark.rubric(points=2, visibility="hidden")
def test_augmentation_changes_training_draws_only(student, worker, reference, image_tree):
    """get_generators: "augmenting" transforms training images anew at every draw, with the
    course's default settings, while validation and test images are only rescaled."""
    generators = _generators(student, worker, image_tree, preprocessing_mode="augmenting",
                             batch_size=32)
    train, validation, test = generators
    first, labels_first = train[0]
    second, labels_second = train[0]
    assert np.array_equal(labels_first, labels_second), (
        _("two draws of the same training batch should hold the same images (same labels)")
    )
    assert not np.allclose(first, second), (
        _("two draws of the same training batch are identical: the training images are not "
          "augmented")
    )
    assert first.min() >= 0.0 and first.max() <= 1.0, (
        _("augmented training images should still be rescaled into [0, 1]")
    )
    settings = generator_info(train)["settings"]
    expected = generator_info(_reference(reference, image_tree, preprocessing_mode="augmenting",
                                         batch_size=32)[0])["settings"]
    differing = _differing_settings(settings, expected)
    assert not differing, (
        _("with augmentation_params=None the training generator should use the course's "
          "default augmentation (and rescale by 1/255); these settings differ: "
          "{settings}").format(settings=", ".join(differing))
    )
    wanted = _reference(reference, image_tree, preprocessing_mode="rescaling", batch_size=32)
    for split, generator, expected in zip(("validation", "test"), (validation, test),
                                          wanted[1:], strict=True):
        again = [generator[0][0] for _draw in range(2)]
        assert np.array_equal(again[0], again[1]), (
            _("the {split} images change from one draw to the next: they must not be "
              "augmented").format(split=split)
        )
        assert _same_images_any_order(again[0], expected[0][0]), (
            _("the {split} images should only be rescaled by 1/255 in the augmenting "
              "mode").format(split=split)
        )


@pytest.mark.rubric(points=1, visibility="hidden")
def test_given_augmentation_parameters_are_used(student, worker, reference, image_tree):
    """get_generators: the augmentation_params given replace the defaults (and the pixels are
    still rescaled)."""
    # The last one brings its own rescale, which replaces 1/255 (the contract).
    for given in ({"rotation_range": 15, "vertical_flip": True}, {"zoom_range": 0.1},
                  {"rescale": 1.0 / 127.5, "horizontal_flip": True}):
        kwargs = {"preprocessing_mode": "augmenting", "augmentation_params": given,
                  "batch_size": 8}
        train, _validation, _test = _generators(student, worker, image_tree, **kwargs)
        settings = generator_info(train)["settings"]
        expected = generator_info(_reference(reference, image_tree, **kwargs)[0])["settings"]
        differing = _differing_settings(settings, expected)
        assert not differing, (
            _("with augmentation_params={given}: the training generator should use exactly "
              "those settings (Keras's defaults for the others) and rescale by 1/255 unless "
              "they give a rescale; these settings differ: {settings}").format(
                given=given, settings=", ".join(differing))
        )


@pytest.mark.rubric(points=1, visibility="hidden")
def test_unknown_mode_or_model_type_raises_value_error(student, image_tree):
    """get_generators: an unknown preprocessing_mode, or a missing or unknown model_type in
    the "model_specific" mode, raises ValueError."""
    cases = {
        "preprocessing_mode='normalizing'": {"preprocessing_mode": "normalizing"},
        "model_type='vgg16'": {"preprocessing_mode": "model_specific", "model_type": "vgg16"},
        _("model_type=None in the model_specific mode"): {
            "preprocessing_mode": "model_specific"},
    }
    for label, kwargs in cases.items():
        error = _error_of(lambda kwargs=kwargs: student.get_generators(
            image_tree["train"], image_tree["validation"], image_tree["test"], IMG_SIZE,
            **kwargs))
        assert error is not None, (
            _("{label}: ValueError is expected, but nothing was raised").format(label=label)
        )
        assert error.kind == "ValueError", (
            # brief: the exception's type and line, never its text (it could echo the
            # folders the grader wrote)
            _("{label}: ValueError is expected, got: {brief}").format(
                label=label, brief=error.brief)
        )
