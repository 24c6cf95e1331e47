"""Partial example submissions of assignment 02: each is the reference with one realistic
mistake. ``cnnkit release`` writes them to ``examples/02_cats_dogs/``; the kit's tests check
the exact points each earns."""

from autograder.examples import PartialExample

_REFERENCE_GENERATORS_TAIL = """\
    common = {"target_size": tuple(img_size), "batch_size": batch_size, "class_mode": "binary",
              "color_mode": "rgb"}
    train = train_maker.flow_from_directory(train_dir, shuffle=True, **common)
    validation = evaluation_maker.flow_from_directory(validation_dir, shuffle=False, **common)
    test = evaluation_maker.flow_from_directory(test_dir, shuffle=False, **common)
    return train, validation, test"""

_MODEL_SPECIFIC = """\
    elif preprocessing_mode == "model_specific":
        functions = {"efficientnet": efficientnet.preprocess_input,
                     "resnet": resnet.preprocess_input}
        if model_type not in functions:
            raise ValueError(f"unknown model_type {model_type!r}")
        train_maker = ImageDataGenerator(preprocessing_function=functions[model_type])
        evaluation_maker = ImageDataGenerator(preprocessing_function=functions[model_type])
"""

PARTIAL_EXAMPLES = [
    PartialExample(
        "no_rescaling",
        "the 'rescaling' mode forgets rescale=1/255, so pixels stay in [0, 255]",
        {
            "get_generators": """\
    if preprocessing_mode == "rescaling":
        train_maker = ImageDataGenerator()
        evaluation_maker = ImageDataGenerator()
""" + _MODEL_SPECIFIC + """\
    elif preprocessing_mode == "augmenting":
        settings = dict(DEFAULT_AUGMENTATION if augmentation_params is None
                        else augmentation_params)
        settings.setdefault("rescale", 1.0 / 255)
        train_maker = ImageDataGenerator(**settings)
        evaluation_maker = ImageDataGenerator(rescale=1.0 / 255)
    else:
        raise ValueError(f"unknown preprocessing_mode {preprocessing_mode!r}")
""" + _REFERENCE_GENERATORS_TAIL,
        },
    ),
    PartialExample(
        "augmented_validation",
        "in the 'augmenting' mode one generator serves all three splits, so validation and "
        "test images are augmented too",
        {
            "get_generators": """\
    if preprocessing_mode == "rescaling":
        train_maker = ImageDataGenerator(rescale=1.0 / 255)
        evaluation_maker = ImageDataGenerator(rescale=1.0 / 255)
""" + _MODEL_SPECIFIC + """\
    elif preprocessing_mode == "augmenting":
        settings = dict(DEFAULT_AUGMENTATION if augmentation_params is None
                        else augmentation_params)
        settings.setdefault("rescale", 1.0 / 255)
        train_maker = evaluation_maker = ImageDataGenerator(**settings)
    else:
        raise ValueError(f"unknown preprocessing_mode {preprocessing_mode!r}")
""" + _REFERENCE_GENERATORS_TAIL,
        },
    ),
    PartialExample(
        "softmax_output",
        "the CNN ends with a one-unit softmax, whose output is always 1.0",
        {
            "build_cnn": """\
    blocks = []
    for filters in (32, 64, 128, 128):
        blocks += [layers.Conv2D(filters, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2))]
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            *blocks,
            layers.Flatten(),
            layers.Dropout(dropout_rate),
            layers.Dense(512, activation="relu"),
            layers.Dense(1, activation="softmax"),
        ]
    )""",
        },
    ),
    PartialExample(
        "f1_by_hand",
        "macro F1 computed by hand, which divides by zero (NaN) when a class is never predicted",
        {
            "evaluate_predictions": """\
    y_true = np.asarray(y_true).reshape(-1).astype(np.int64)
    y_prob = np.asarray(y_prob, dtype=np.float64).reshape(-1)
    if y_true.shape != y_prob.shape:
        raise ValueError(f"{len(y_true)} labels but {len(y_prob)} probabilities")
    predictions = (y_prob > threshold).astype(np.int64)
    matrix = confusion_matrix(y_true, predictions, labels=[0, 1]).astype(np.int64)
    scores = []
    for label in (0, 1):
        true_positives = matrix[label, label]
        precision = true_positives / matrix[:, label].sum()
        recall = true_positives / matrix[label, :].sum()
        scores.append(2 * precision * recall / (precision + recall))
    return {
        "accuracy": float(np.mean(predictions == y_true)),
        "f1_macro": float(np.mean(scores)),
        "confusion_matrix": matrix,
        "predictions": predictions,
    }""",
        },
    ),
]
