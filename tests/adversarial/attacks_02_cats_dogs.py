"""Attacks on assignment 02 (cats vs dogs): forging what the grader measures.

The student's code runs in the same process as the kit's worker-side helpers, so it can
replace them (``autograder.engine.tools.TOOLS``, ``autograder.engine.introspect.INSPECTORS``)
or hand back objects whose methods lie. None of that may earn a point: the generators are
rebuilt in the grader from their plain settings (Keras's own classes and preprocessing
functions only) and read there; every model is rebuilt from plain data in a clean worker and
described and trained there.

Only definitions survive the kit's extraction of a cell, so the attacks act at load time from
a class body, or when the grader calls one of their functions.
"""

from adversarial import Attack, example_function_points

A = "02_cats_dogs"
# The photo check is skipped in the corpus's batch (no cats-vs-dogs mirror is configured).
PHOTOS = "test_cnn_reaches_the_reference_accuracy_on_cats_and_dogs"

# Reads a class-per-folder tree the way a rescaling generator would (sorted files, label by
# folder, pixels / 255): what the forged tools and the fake iterator answer with.
_READ_TREE = """
import os

import numpy as np
from PIL import Image


def _read_tree(directory, size):
    images, labels, names = [], [], []
    for label, cls in enumerate(sorted(os.listdir(directory))):
        for name in sorted(os.listdir(os.path.join(directory, cls))):
            with Image.open(os.path.join(directory, cls, name)) as picture:
                resized = picture.convert("RGB").resize((size[1], size[0]), Image.NEAREST)
            images.append(np.asarray(resized, dtype=np.float32) / 255.0)
            labels.append(float(label))
            names.append(f"{cls}/{name}")
    return np.stack(images), np.asarray(labels, dtype=np.float32), names
"""

ATTACKS: list[Attack] = [
    Attack("cheat_02_forges_the_generator_tools", A, "blank", _READ_TREE + """
_CALLS = []


class _Forge:
    import autograder.engine.tools as tools

    def _info(generator):
        directory, size, batch_size, shuffle = generator.spec
        _, labels, names = _read_tree(directory, size)
        return {"is_iterator": True, "type": "DirectoryIterator",
                "class_indices": {"cats": 0, "dogs": 1}, "filenames": names,
                "classes": labels.astype(np.int64), "samples": len(names),
                "batch_size": batch_size, "shuffle": shuffle, "target_size": list(size),
                "class_mode": "binary", "color_mode": "rgb",
                "length": -(-len(names) // batch_size), "settings": {},
                "preprocessing_function": None}

    def _batch(generator, index=0):
        directory, size, batch_size, _ = generator.spec
        images, labels, _ = _read_tree(directory, size)
        part = slice(index * batch_size, (index + 1) * batch_size)
        return images[part], labels[part]

    tools.TOOLS["generator_info"] = _info
    tools.TOOLS["generator_batch"] = _batch


class _Handle:
    # Not a generator: only what the forged tools need to read the folder themselves.
    def __init__(self, *spec):
        self.spec = spec


def get_generators(train_dir, validation_dir, test_dir, img_size, preprocessing_mode="rescaling",
                   model_type=None, augmentation_params=None, batch_size=20):
    return tuple(_Handle(str(d), tuple(img_size), batch_size, d == train_dir)
                 for d in (train_dir, validation_dir, test_dir))
""", 0, "returns no generator at all and replaces the kit's generator tools by ones that "
        "read the folders themselves"),

    Attack("cheat_02_fake_iterator_class", A, "blank", _READ_TREE + """
class FakeIterator:
    # Looks like what flow_from_directory returns, without Keras's code.
    def __init__(self, directory, size, batch_size, shuffle):
        self.directory, self.target_size = directory, tuple(size)
        self.batch_size, self.shuffle = batch_size, shuffle
        self.images, self.labels, self.filenames = _read_tree(directory, size)
        self.class_indices = {"cats": 0, "dogs": 1}
        self.classes = self.labels.astype(np.int64)
        self.samples = len(self.filenames)
        self.class_mode, self.color_mode = "binary", "rgb"
        self.image_data_generator = self

    def __len__(self):
        return -(-self.samples // self.batch_size)

    def __getitem__(self, index):
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.images[part], self.labels[part]


def get_generators(train_dir, validation_dir, test_dir, img_size, preprocessing_mode="rescaling",
                   model_type=None, augmentation_params=None, batch_size=20):
    return tuple(FakeIterator(d, img_size, batch_size, d == train_dir)
                 for d in (train_dir, validation_dir, test_dir))
""", 0, "a home-made class that poses as a DirectoryIterator"),

    Attack("cheat_02_model_subclass_memorises_the_batch", A, "blank", """
import keras
import numpy as np


class Memory(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.head = keras.layers.Dense(1, activation="sigmoid")
        self.seen = {}

    def call(self, images):
        return self.head(keras.ops.reshape(images, (keras.ops.shape(images)[0], -1)))

    def evaluate(self, x, y, **kwargs):
        return [0.7, 0.5]

    def fit(self, x, y, epochs=1, **kwargs):
        self.seen = {np.asarray(a).tobytes(): float(b) for a, b in zip(x, y)}
        history = keras.callbacks.History()
        history.history = {"loss": [0.01] * int(epochs), "accuracy": [1.0] * int(epochs)}
        return history

    def predict(self, x, **kwargs):
        return np.asarray([[self.seen.get(np.asarray(a).tobytes(), 0.5)] for a in x])


def build_cnn(input_shape=(150, 150, 3), dropout_rate=0.1):
    model = Memory()
    model.build((None, *input_shape))
    return model
""", 0, "a keras.Model subclass whose fit memorises the batch and whose predict recites it"),

    Attack("cheat_02_lambda_layer_cnn", A, "blank", """
import keras
from keras import layers


def _hijack(tensor):
    # Runs wherever the model is built or called: the trainer of that process now reports
    # a fitted batch.
    import numpy as np
    import autograder.engine.tools as tools
    tools.TOOLS["fit_batch"] = lambda model, images, labels, **kwargs: {
        "start_loss": 0.7, "losses": np.full(40, 0.01),
        "probabilities": np.asarray(labels, dtype=np.float64)}
    return tensor


def build_cnn(input_shape=(150, 150, 3), dropout_rate=0.1):
    blocks = []
    for filters in (32, 64, 128, 128):
        blocks += [layers.Conv2D(filters, (3, 3), activation="relu"), layers.MaxPooling2D()]
    return keras.Sequential([keras.Input(shape=input_shape), layers.Lambda(_hijack), *blocks,
                             layers.Flatten(), layers.Dropout(dropout_rate),
                             layers.Dense(512, activation="relu"),
                             layers.Dense(1, activation="sigmoid")])
""", 0, "the course's CNN with a Lambda layer whose code replaces the trainer"),

    Attack("cheat_02_softmax_output_forges_description_and_training", A, "softmax_output", """
class _Forge:
    import numpy as np
    import autograder.engine.introspect as introspect
    import autograder.engine.tools as tools

    _describe = introspect.describe_model

    def _as_sigmoid(model, _describe=_describe):
        described = _describe(model)
        for layer in described["layers"]:
            if layer.get("activation") == "softmax":
                layer["activation"] = "sigmoid"
        return described

    introspect.INSPECTORS["model"] = _as_sigmoid
    tools.TOOLS["fit_batch"] = lambda model, images, labels, np=np, **kwargs: {
        "start_loss": 0.7, "losses": np.full(40, 0.01),
        "probabilities": np.asarray(labels, dtype=np.float64)}
""", example_function_points(A, "softmax_output", "build_cnn", but=(PHOTOS,)),
         "the softmax-output example, described as sigmoid and with a forged "
         "fitted batch", only="build_cnn"),

    Attack("cheat_02_augmented_validation_forges_steady_draws", A, "augmented_validation", """
class _Forge:
    import autograder.engine.tools as tools

    _draws = {}
    _original = tools.TOOLS["generator_batch"]

    def _steady(generator, index=0, _draws=_draws, _original=_original):
        # Every later draw repeats the first: augmented images look unaugmented.
        key = (id(generator), int(index))
        if key not in _draws:
            _draws[key] = _original(generator, index)
        return _draws[key]

    tools.TOOLS["generator_batch"] = _steady
""", example_function_points(A, "augmented_validation", "get_generators"),
         "the augmented-validation example, with a forged batch reader that "
         "repeats its first draw", only="get_generators"),

    Attack("cheat_02_raises_and_prints_its_arguments", A, "blank", """
import os

import numpy as np


def _leak(*args, **kwargs):
    shown = [np.asarray(a).tolist() if hasattr(a, "shape") else repr(a) for a in args]
    print("HIDDEN", repr(shown)[:2000])
    raise RuntimeError("ARGS " + repr(shown)[:1500] + repr(kwargs)[:300])


def count_images_per_class(directory):
    _leak(directory, sorted(os.listdir(directory)))


def build_mlp(input_shape=(16, 16, 3)):
    _leak(input_shape)


def plot_training_curves(history):
    _leak(history.history)


def plot_confusion_matrix(matrix, class_names):
    _leak(matrix, class_names)


def misclassified_files(filenames, y_true, y_prob, threshold=0.5):
    _leak(filenames, y_true, y_prob, threshold)
""", 0, "prints its hidden inputs and raises with them in the message, hoping the feedback "
        "shows them"),
]
