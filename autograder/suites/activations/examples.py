"""Partial example submissions of assignment 03: each is the reference with one realistic
mistake, most of them taken from the course's own notebooks. ``cnnkit release`` writes them to
``examples/03_activations/``; the kit's tests check the exact points each earns."""

from autograder.examples import PartialExample

PARTIAL_EXAMPLES = [
    PartialExample(
        "nan_on_constant",
        "the feature map is divided by its standard deviation with no guard, so a dead ReLU "
        "channel (constant map) gives 0 / 0 = NaN",
        {
            "normalize_feature_map": """\
    values = np.array(feature_map, dtype=np.float64)
    values -= values.mean()
    values /= values.std()
    values *= 64
    values += 128
    return np.clip(values, 0, 255).astype(np.uint8)""",
        },
    ),
    PartialExample(
        "layers_by_name",
        "the layers are chosen by 'conv' (or 'pool') in their names instead of by their type",
        {
            "build_activation_model": """\
    wanted = ("conv", "pool") if include_pooling else ("conv",)
    chosen = [layer for layer in model.layers if any(w in layer.name for w in wanted)]
    if not chosen:
        raise ValueError("the model has no layer of the requested kinds")
    activation_model = keras.Model(inputs=model.inputs, outputs=[layer.output for layer in chosen])
    return activation_model, [layer.name for layer in chosen]""",
        },
    ),
    PartialExample(
        "dropped_channels",
        "the grid has channels // images_per_row rows, so the channels of an incomplete last "
        "row are dropped",
        {
            "normalization_grid": """\
    maps = np.asarray(layer_activation)
    if maps.ndim == 4:
        maps = maps[0]
    height, width, channels = maps.shape
    rows = channels // images_per_row
    grid = np.zeros((rows * height, images_per_row * width), dtype=np.uint8)
    for row in range(rows):
        for column in range(images_per_row):
            grid[row * height:(row + 1) * height, column * width:(column + 1) * width] = (
                normalize_feature_map(maps[:, :, row * images_per_row + column]))
    return grid""",
        },
    ),
    PartialExample(
        "alpha_swapped",
        "the overlay weighs the image by alpha and the heat map by 1 - alpha (the same only at "
        "alpha 0.5)",
        {
            "overlay_activation": """\
    picture = np.asarray(image)
    if np.issubdtype(picture.dtype, np.integer):
        picture = picture / 255.0
    picture = picture.astype(np.float64)
    if picture.ndim == 2:
        picture = np.stack([picture] * 3, axis=-1)
    height, width = picture.shape[:2]
    heat = resize(minmax_heatmap(feature_map), (height, width), order=1, mode="edge",
                  anti_aliasing=False)
    colours = matplotlib.colormaps[colormap](heat)[..., :3]
    return alpha * picture[..., :3] + (1 - alpha) * colours""",
        },
    ),
    PartialExample(
        "ties_reversed",
        "the ranking is argsort reversed, so equal values come largest index first",
        {
            "top_neurons": """\
    if criterion not in ("mean", "max"):
        raise ValueError(f"criterion must be 'mean' or 'max', not {criterion!r}")
    values = np.asarray(statistics[criterion], dtype=np.float64)
    return np.argsort(values)[::-1][:k].astype(np.int64)""",
        },
    ),
]
