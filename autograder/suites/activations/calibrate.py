"""Measure what the activations suite's tolerances must absorb, on its own hidden cases.

    python -m autograder.suites.activations.calibrate [--worker]

Each line compares the reference with a faithful variant (float32 arithmetic, another bilinear
resize, a grid off by one grey level) or with a real mistake; the constants of the test
modules quote these numbers. ``--worker`` also rebuilds the reference's activation model in a
clean grading worker, runs it there and compares its outputs with the grader's.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np


def _hidden_inputs():
    from skimage import data
    from skimage.transform import resize

    from autograder.suites.activations import conftest

    x_test = conftest._mnist().x_test
    picks = np.sort(np.random.default_rng(303).choice(len(x_test), size=3, replace=False))
    digits = (x_test[picks, :, :, None] / 255.0).astype(np.float32)
    photo = data.chelsea()
    cat = resize(photo, conftest.CAT_SHAPE, anti_aliasing=True).astype(np.float32)[None]
    return digits, photo, cat


def _grid_rms(reference, networks, digits) -> float:
    """Worst RMS between the reference's grid figures and the same with +1 on 10% of pixels."""
    from autograder.engine.figures import describe_and_close, rms_difference
    from autograder.suites.activations.conftest import activations_of

    activations, names = activations_of(reference, networks["hidden"], digits[:1],
                                        include_pooling=True)
    expected = [describe_and_close(f)
                for f in reference.plot_normalization_grids(activations, names, 5)]
    original = reference.normalization_grid
    rng = np.random.default_rng(0)
    worst = 0.0

    def bumped(activation, images_per_row=8):
        grid = original(activation, images_per_row).astype(np.int64)
        return np.clip(grid + (rng.random(grid.shape) < 0.10), 0, 255).astype(np.uint8)

    try:
        for _ in range(3):
            reference.normalization_grid = bumped
            drawn = [describe_and_close(f)
                     for f in reference.plot_normalization_grids(activations, names, 5)]
            reference.normalization_grid = original
            worst = max(worst, *(rms_difference(a["png"], b["png"])
                                 for a, b in zip(drawn, expected, strict=True)))
    finally:
        reference.normalization_grid = original
    return worst


def _float32_variants(reference, networks, digits, cat) -> dict[str, float]:
    from autograder.suites.activations.conftest import activations_of

    colour, _ = activations_of(reference, networks["colour"], cat, include_pooling=True)
    digit, _ = activations_of(reference, networks["hidden"], digits)
    heat = grey = 0.0
    for activation in colour:
        for channel in range(activation.shape[-1]):
            feature_map = activation[0, :, :, channel]
            span = feature_map.max() - feature_map.min()
            mine = (feature_map - feature_map.min()) / span if span else 0 * feature_map
            heat = max(heat, float(np.abs(mine - reference.minmax_heatmap(feature_map)).max()))
            centred = feature_map - feature_map.mean()
            spread = centred.std()
            picture = np.clip((centred / spread if spread else centred) * 64 + 128, 0, 255)
            grey = max(grey, float(np.abs(picture.astype(np.uint8).astype(int) - reference
                                          .normalize_feature_map(feature_map).astype(int)).max()))
    ratio = 0.0
    for activation in colour + digit:
        values = activation.reshape(-1, activation.shape[-1])
        expected = reference.neuron_statistics(activation)
        for key, mine in (("mean", values.mean(0)), ("max", values.max(0)),
                          ("std", values.std(0))):
            ratio = max(ratio, float(np.max(np.abs(mine - expected[key])
                                            / (1e-6 + 1e-5 * np.abs(expected[key])))))
    smallest = min(colour + digit, key=lambda a: a[..., 0].size)
    values = smallest.reshape(-1, smallest.shape[-1]).astype(np.float64)
    expected = reference.neuron_statistics(smallest)["std"]
    alive = expected > 0
    ddof = float(np.min(np.abs(values.std(0, ddof=1)[alive] - expected[alive]) / expected[alive]))
    return {
        "float32 min-max heat map, max abs diff": heat,
        "float32 normalisation, max grey-level diff": grey,
        "float32 statistics, share of (rtol 1e-5, atol 1e-6) used": ratio,
        "std with ddof=1 on the smallest layer, min relative diff": ddof,
    }


def _overlay_variants(reference, networks, photo, cat) -> dict[str, float]:
    import matplotlib
    from skimage.transform import resize

    from autograder.suites.activations.conftest import activations_of

    (conv_1, _), _ = activations_of(reference, networks["colour"], cat)
    feature_map = conv_1[0, :, :, 2]
    expected = reference.overlay_activation(photo, feature_map, "jet", 0.3)
    jet = matplotlib.colormaps["jet"]
    results = {}
    try:
        import tensorflow as tf

        heat = tf.image.resize(reference.minmax_heatmap(feature_map)[..., None],
                               photo.shape[:2], method="bilinear").numpy()[..., 0]
        results["tf.image.resize instead of skimage"] = float(
            np.abs(0.7 * photo / 255 + 0.3 * jet(heat)[..., :3] - expected).max())
    except ImportError:
        pass
    heat = reference.minmax_heatmap(resize(feature_map, photo.shape[:2], order=1, mode="edge",
                                           anti_aliasing=False))
    results["min-max after the resize (a mistake)"] = float(
        np.abs(0.7 * photo / 255 + 0.3 * jet(heat)[..., :3] - expected).max())
    results["alpha 0.7 for 0.3 (a mistake)"] = float(
        np.abs(reference.overlay_activation(photo, feature_map, "jet", 0.7) - expected).max())
    results["viridis for jet (a mistake)"] = float(
        np.abs(reference.overlay_activation(photo, feature_map, "viridis", 0.3) - expected).max())
    for name in ("jet", "viridis", "magma"):
        table = matplotlib.colormaps[name](np.linspace(0, 1, 256))[:, :3]
        step = float(np.abs(np.diff(table, axis=0)).max())
        results[f"largest step between {name} entries"] = step
    return results


def _worker_difference(reference, networks, digits, cat) -> dict[str, float]:
    from autograder.assignments import get_assignment
    from autograder.engine.client import Student, Worker, clean_worker, rebuild_model
    from autograder.engine.notebook import load_submission
    from autograder.suites.activations.conftest import ASSIGNMENT, activations_of

    results = {}
    # As in grading: the reference builds its activation model in its worker; the model is
    # rebuilt from plain data in a worker that loaded no notebook, and run there.
    with (Worker(load_submission(get_assignment(ASSIGNMENT).solution_path)) as worker,
          clean_worker() as clean):
        worker.start()
        student = Student(worker)
        for key, images in (("hidden", digits), ("colour", cat)):
            model, _ = student.build_activation_model(networks[key].in_worker(worker),
                                                      include_pooling=True)
            outputs = clean.tool("activation_outputs", rebuild_model(model, clean), images)
            expected, _ = activations_of(reference, networks[key], images, include_pooling=True)
            results[f"rebuilt in a clean worker vs grader activations, {key} network"] = max(
                float(np.abs(a - b).max()) for a, b in zip(outputs, expected, strict=True))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--worker", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from autograder.suites.activations import conftest

    reference = conftest.reference_module(conftest.ASSIGNMENT)
    networks = conftest._networks()
    digits, photo, cat = _hidden_inputs()
    print(f"grid figures, +1 grey level on 10% of pixels, worst RMS: "
          f"{_grid_rms(reference, networks, digits):.3f}")
    measured = {**_float32_variants(reference, networks, digits, cat),
                **_overlay_variants(reference, networks, photo, cat)}
    if args.worker:
        measured.update(_worker_difference(reference, networks, digits, cat))
    for label, value in measured.items():
        print(f"{label}: {value:.3g}")


if __name__ == "__main__":
    main()
