"""Rubric: the optional pretrained route, offline (no download is ever attempted here).

The model the student's function returns is rebuilt in the clean worker from plain data
(``rebuild_model``) and measured there. The local weights file is made in the clean worker
(a seeded EfficientNetB0, whose outputs on the check's images are computed there too), kept
in the grader's cache, and handed to the student's worker through its handover folder.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.engine.cache import cached_arrays, fingerprint
from autograder.engine.client import rebuild_model
from autograder.i18n import _

# EfficientNetB0 shrinks its input 32 times before the pooling: at 64x64 the last map is 2x2,
# so average and max pooling give different embeddings (at 32x32 the map is 1x1 and they agree,
# and a max-pooled extractor would pass).
SHAPE = (64, 64, 3)
WEIGHTS_SEED = 2
TIMEOUT = 120


def _model(clean_worker, result, how: str) -> tuple[object, object]:
    """The model rebuilt in the clean worker (shapes checked there), and weights_used."""
    assert isinstance(result, tuple) and len(result) == 2, (
        _("{how}: a pair (model, weights_used) is expected").format(how=how)
    )
    model, used = result
    assert hasattr(model, "call"), (
        _("{how}: the first item must be a keras.Model").format(how=how))
    rebuilt = rebuild_model(model, clean_worker)
    summary = clean_worker.tool("model_summary", rebuilt)
    assert summary["inputs"] == [[None, *SHAPE]], (
        _("{how}: the model should take the input_shape given, {shape}").format(
            how=how, shape=(None, *SHAPE))
    )
    assert summary["outputs"] == [[None, 1280]], (
        _("{how}: EfficientNetB0 without its top and average-pooled outputs (None, 1280), "
          "got {got}").format(
            how=how, got=", ".join(str(tuple(shape)) for shape in summary["outputs"]))
    )
    return rebuilt, used


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
def test_pretrained_extractor_loads_a_local_weights_file(student, worker, clean_worker):
    """pretrained_extractor: a local weights file is loaded into the model, and named."""
    images = np.random.default_rng(8).uniform(0, 255, size=(3, *SHAPE)).astype(np.float32)
    # Made by the clean worker (no student code ever ran there), the same for every grading
    # (kept in the grader's cache), then written by the grader into the student's handover
    # folder, which the student can read.
    parameters = {"shape": list(SHAPE), "images": fingerprint(images), "seed": WEIGHTS_SEED}
    saved = cached_arrays("pretrained", "efficientnetb0", parameters,
                          lambda: clean_worker.tool("efficientnet_weights_file", SHAPE, images,
                                                    seed=WEIGHTS_SEED, timeout=TIMEOUT))
    expected = np.asarray(saved["outputs"])
    target = worker.handover_dir / "weights" / f"efficientnetb0_notop_seed{WEIGHTS_SEED}.weights.h5"
    target.parent.mkdir(exist_ok=True)
    target.write_bytes(saved["weights_h5"].tobytes())
    path = str(target)
    rebuilt, used = _model(clean_worker, student.pretrained_extractor(SHAPE, weights=path,
                                                                      timeout=TIMEOUT),
                           _("with a local weights file"))
    assert used == path, _("with a weights file, weights_used should be its path as given")
    outputs = np.asarray(rebuilt.call("predict", images, verbose=0))
    # A randomly initialised EfficientNet's pooled outputs are tiny (about 1e-6): compare them
    # relative to their size, or a model that ignored the file would pass.
    scale = float(np.abs(expected).max())
    assert outputs.shape == expected.shape and np.allclose(
        outputs, expected, rtol=1e-3, atol=1e-3 * scale), (
        _("the model's outputs are not those of the weights in the file: load them into the "
          "model")
    )
