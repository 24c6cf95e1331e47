"""Partial example submissions of assignment 01: each is the reference with one realistic
mistake. ``cnnkit release`` writes them to ``examples/01_mnist_cnn/``; the kit's tests
check the exact points each earns."""

from autograder.examples import PartialExample

PARTIAL_EXAMPLES = [
    PartialExample(
        "wrong_padding",
        "the convolutions use 'valid' padding, so the feature maps shrink",
        {
            "build_cnn": """\
    model = keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Conv2D(32, (5, 5), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (5, 5), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dropout(0.4),
        layers.Dense(32, activation="relu"),
        layers.Dropout(0.4),
        layers.Dense(num_classes, activation="softmax"),
    ])
    return model""",
        },
    ),
    PartialExample(
        "missing_dropout",
        "the two dropout layers are missing",
        {
            "build_cnn": """\
    model = keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Conv2D(32, (5, 5), padding="same", activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (5, 5), padding="same", activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(32, activation="relu"),
        layers.Dense(num_classes, activation="softmax"),
    ])
    return model""",
        },
    ),
    PartialExample(
        "nan_on_empty",
        "the error percentage is a mean, which is NaN for an empty batch",
        {
            "find_misclassified": """\
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError("y_true and y_pred must have the same length")
    wrong = y_true != y_pred
    return np.flatnonzero(wrong), 100.0 * np.mean(wrong)""",
        },
    ),
    PartialExample(
        "unscaled_pixels",
        "the pixels are converted to float32 but not divided by 255",
        {
            "preprocess_images": """\
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 3:
        images = images[..., np.newaxis]
    return images""",
        },
    ),
]
