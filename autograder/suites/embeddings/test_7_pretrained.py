"""Rubric: the optional pretrained route, offline (no download is ever attempted here).

The model the student's function returns is rebuilt in the clean worker from plain data
(``rebuild_model``) and measured there. The local weights file is made in the clean worker
(a seeded EfficientNetB0, whose outputs on the checks' images are computed there too, in the
same build), kept in the grader's cache, and handed to the student's worker through its
handover folder. The route itself (section 5 of the notebook) runs the student's functions
one after the other in the student's worker, on the grader's image folder: the embeddings
they return are the student's answer, compared with the clean worker's outputs, and the
comparison of classifiers is run on the grader's copy of those outputs.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.engine.cache import cached_arrays, fingerprint
from autograder.engine.client import StudentCodeError, rebuild_model
from autograder.i18n import _
from autograder.suites.embeddings.comparison import (
    check_structure,
    first_difference,
    one_blas_thread,
    tolerance,
)
from autograder.suites.embeddings.conftest import ImageTree, image_tree_of

# EfficientNetB0 shrinks its input 32 times before the pooling: at 64x64 the last map is 2x2,
# so average and max pooling give different embeddings (at 32x32 the map is 1x1 and they agree,
# and a max-pooled extractor would pass).
SHAPE = (64, 64, 3)
WEIGHTS_SEED = 2
TIMEOUT = 120
EMBEDDING_SIZE = 1280

# The route: 120 RGB images per class (80 for training, 40 for testing), served in eight
# batches of 30 (Keras's predict cuts a batch into steps of 32, and a step of another size makes
# it trace the model again: about 2 s more for EfficientNetB0), then the course's comparison:
# scaler, PCA with 100 components, four classifiers, with a seed other than 0. 160 training
# rows of 1280 numbers: PCA's "auto" solver is the randomized one there.
ROUTE_PER_CLASS = 120
ROUTE_TRAIN_PER_CLASS = 80
ROUTE_BATCH = 30
ROUTE_COMPONENTS = 100
ROUTE_SEED = 5
# A randomly initialised EfficientNet's pooled outputs are tiny (about 1e-5): compare them
# relative to their size, or a model that ignored the file would pass.
RTOL = 1e-3


def _check_images() -> np.ndarray:
    """The local-weights check's images: three of uniform noise in [0, 255]."""
    return np.random.default_rng(8).uniform(0, 255, size=(3, *SHAPE)).astype(np.float32)


def _stripes(rng: np.random.Generator, count: int, vertical: bool) -> list[np.ndarray]:
    """``count`` RGB images of sine stripes (vertical or horizontal) of a random period,
    phase and colour, with noise: uint8, pixels in [0, 255]."""
    side = SHAPE[0]
    images = []
    for _number in range(count):
        period, phase = rng.uniform(6, 16), rng.uniform(0, 2 * np.pi)
        wave = np.sin(2 * np.pi * np.arange(side) / period + phase)
        pattern = np.broadcast_to(wave[None, :] if vertical else wave[:, None], (side, side))
        amplitude, base = rng.uniform(40, 110, size=3), rng.uniform(80, 175, size=3)
        image = base + pattern[..., None] * amplitude + rng.normal(0, 60, size=(side, side, 3))
        images.append(np.clip(np.rint(image), 0, 255).astype(np.uint8))
    return images


@pytest.fixture(scope="session")
def route_tree() -> ImageTree:
    """The route's image folder: horizontal and vertical stripes, seeded."""
    rng = np.random.default_rng(23)
    return image_tree_of({"horizontal": _stripes(rng, ROUTE_PER_CLASS, vertical=False),
                          "vertical": _stripes(rng, ROUTE_PER_CLASS, vertical=True)},
                         folder="route-tree")


@pytest.fixture(scope="session")
def efficientnet(clean_worker, route_tree) -> dict[str, np.ndarray]:
    """The local weights file (its bytes) and that network's outputs on the local-weights
    check's images (``"check"``) and on the route's images, in the folder's order
    (``"route"``).

    One seeded EfficientNetB0 built in the clean worker (no student code ever ran there) gives
    all three, the same for every grading: kept in the grader's cache.
    """
    route_images = route_tree.pixels.reshape(-1, *SHAPE).astype(np.float32)
    images = np.concatenate([_check_images(), route_images])
    parameters = {"shape": list(SHAPE), "images": fingerprint(images), "seed": WEIGHTS_SEED}
    saved = cached_arrays("pretrained", "efficientnetb0", parameters,
                          lambda: clean_worker.tool("efficientnet_weights_file", SHAPE, images,
                                                    seed=WEIGHTS_SEED, timeout=TIMEOUT))
    outputs = np.asarray(saved["outputs"])
    checked = len(images) - len(route_images)
    return {"weights_h5": saved["weights_h5"], "check": outputs[:checked],
            "route": outputs[checked:]}


class LocalWeightsBuild:
    """The student's ``pretrained_extractor(SHAPE, weights=<the local weights file>)``, called
    once per worker process and shared by the checks that use it (a build of EfficientNetB0
    costs 2-3 s): ``get()`` gives the file's path and what the function returned, or raises
    what the call raised."""

    def __init__(self, student, worker, weights_h5: np.ndarray) -> None:
        self._student, self._worker, self._weights_h5 = student, worker, weights_h5
        self._made: tuple[int, str, object] | None = None  # worker generation, path, result
        self._error: StudentCodeError | None = None

    def get(self) -> tuple[str, object]:
        if self._error is not None:
            raise self._error
        if (self._made is None or self._made[0] != self._worker.generation
                or not self._worker.alive):
            # Written by the grader into the student's handover folder, which the student can
            # read (a restarted worker has a new, empty one).
            target = (self._worker.handover_dir / "weights"
                      / f"efficientnetb0_notop_seed{WEIGHTS_SEED}.weights.h5")
            target.parent.mkdir(exist_ok=True)
            target.write_bytes(self._weights_h5.tobytes())
            generation = self._worker.generation
            try:
                result = self._student.pretrained_extractor(SHAPE, weights=str(target),
                                                            timeout=TIMEOUT)
            except StudentCodeError as error:
                self._error = error
                raise
            self._made = (generation, str(target), result)
        return self._made[1], self._made[2]


@pytest.fixture(scope="session")
def local_weights_build(student, worker, efficientnet) -> LocalWeightsBuild:
    return LocalWeightsBuild(student, worker, efficientnet["weights_h5"])


def _pair(result, how: str) -> tuple[object, object]:
    """``(model, weights_used)`` of what pretrained_extractor returned, the model a handle."""
    assert isinstance(result, tuple) and len(result) == 2, (
        _("{how}: a pair (model, weights_used) is expected").format(how=how)
    )
    model, used = result
    assert hasattr(model, "call"), (
        _("{how}: the first item must be a keras.Model").format(how=how))
    return model, used


def _model(clean_worker, result, how: str) -> tuple[object, object]:
    """The model rebuilt in the clean worker (shapes checked there), and weights_used."""
    model, used = _pair(result, how)
    rebuilt = rebuild_model(model, clean_worker)
    summary = clean_worker.tool("model_summary", rebuilt)
    assert summary["inputs"] == [[None, *SHAPE]], (
        _("{how}: the model should take the input_shape given, {shape}").format(
            how=how, shape=(None, *SHAPE))
    )
    assert summary["outputs"] == [[None, EMBEDDING_SIZE]], (
        _("{how}: EfficientNetB0 without its top and average-pooled outputs (None, 1280), "
          "got {got}").format(
            how=how, got=", ".join(str(tuple(shape)) for shape in summary["outputs"]))
    )
    return rebuilt, used


def _close(outputs: np.ndarray, expected: np.ndarray) -> bool:
    """Numbers of ``expected``'s shape, equal to it within ``RTOL`` of its largest value."""
    if outputs.shape != expected.shape or outputs.dtype.kind not in "fiu":
        return False
    scale = float(np.abs(expected).max())
    return bool(np.allclose(outputs, expected, rtol=RTOL, atol=RTOL * scale))


@pytest.mark.rubric(points=1, visibility="hidden")
def test_pretrained_extractor_without_weights_says_random(student, clean_worker):
    """pretrained_extractor: weights=None gives the pooled EfficientNetB0 without its top,
    and says "random"."""
    _rebuilt, used = _model(clean_worker,
                            student.pretrained_extractor(SHAPE, weights=None, timeout=TIMEOUT),
                            _("with weights=None"))
    assert used == "random", (
        _("with weights=None, weights_used should be 'random', got {used!r}").format(used=used))


@pytest.mark.rubric(points=1, visibility="hidden")
def test_pretrained_extractor_loads_a_local_weights_file(clean_worker, efficientnet,
                                                         local_weights_build):
    """pretrained_extractor: a local weights file is loaded into the model, and named."""
    path, result = local_weights_build.get()
    rebuilt, used = _model(clean_worker, result, _("with a local weights file"))
    assert used == path, _("with a weights file, weights_used should be its path as given")
    outputs = np.asarray(clean_worker.tool("model_outputs", rebuilt, _check_images()))
    assert _close(outputs, efficientnet["check"]), (
        _("the model's outputs are not those of the weights in the file: load them into the "
          "model")
    )


@pytest.mark.rubric(points=1, visibility="hidden")
def test_pretrained_route_embeds_and_compares_with_pca_100(student, worker, reference,
                                                          efficientnet, local_weights_build,
                                                          route_tree):
    """pretrained_extractor: the pretrained route on a folder of RGB images: extract_embeddings
    with the model from a local weights file gives EfficientNetB0's embeddings, and
    compare_classifiers with 100 components on such embeddings gives the reference's
    accuracies.

    One point, not two: each function the route chains is also graded on its own by other
    checks, so a mistake in one of them already costs points there; this line adds the route
    as the course runs it (pixels in [0, 255] straight from the iterator, 1280 numbers per
    image, 100 components kept, where the PCA is randomized).
    """
    _path, result = local_weights_build.get()
    model, _used = _pair(result, _("with a local weights file"))
    # Built by the kit in the student's worker, an input of the student's function: the
    # pixels as the files hold them (EfficientNet rescales them itself), in the files' order.
    iterator = worker.tool("directory_iterator", route_tree.in_worker(worker),
                           target_size=SHAPE[:2], batch_size=ROUTE_BATCH, shuffle=False, seed=0,
                           color_mode="rgb", rescale=False)
    returned = student.extract_embeddings(model, iterator, timeout=TIMEOUT)
    assert isinstance(returned, tuple) and len(returned) == 2, (
        _("a pair (embeddings, labels) is expected"))
    embeddings, labels = (np.asarray(value) for value in returned)
    expected = efficientnet["route"]
    n = len(route_tree.labels)
    assert embeddings.shape == expected.shape, (
        _("{n} RGB images through EfficientNetB0 should give embeddings of shape ({n}, {d}), "
          "got {got}").format(n=n, d=EMBEDDING_SIZE, got=embeddings.shape)
    )
    assert labels.shape == (n,) and np.array_equal(labels, route_tree.labels), (
        _("the labels are not the images' class indices"))
    assert _close(embeddings, expected), (
        _("the embeddings are not EfficientNetB0's outputs on the folder's images: load the "
          "weights file into the model, and give it the iterator's pixels as they come (in "
          "[0, 255]), in the iterator's order")
    )
    # The comparison runs on the grader's copy of the embeddings, not on the student's.
    per_class = np.arange(n) % ROUTE_PER_CLASS
    train, test = per_class < ROUTE_TRAIN_PER_CLASS, per_class >= ROUTE_TRAIN_PER_CLASS
    split = (expected[train], route_tree.labels[train], expected[test], route_tree.labels[test])
    scores = student.compare_classifiers(*split, n_components=ROUTE_COMPONENTS,
                                         seed=ROUTE_SEED, timeout=180)
    check_structure(scores, _("EfficientNetB0's embeddings"))
    with one_blas_thread():
        wanted = reference.compare_classifiers(*split, n_components=ROUTE_COMPONENTS,
                                               seed=ROUTE_SEED)
    wrong = first_difference(scores, wanted, tolerance(split[3]))
    assert wrong is None, (
        _("on EfficientNetB0's embeddings with n_components=100, {name}'s {split} accuracy "
          "differs from the reference's: check its settings in the table, and that "
          "n_components and seed reach every pipeline").format(name=wrong[0], split=wrong[1])
    )
