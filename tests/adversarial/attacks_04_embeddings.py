"""Attacks on assignment 04 (embeddings): forging what the grader measures.

The student's code runs in the same process as the kit's worker-side helpers, so it can
replace them (``autograder.engine.tools.TOOLS``), weaken the inputs they build, or hand back
models and estimators whose methods lie. None of that may earn a point: models are rebuilt
from plain data in a clean worker, pipelines are rebuilt from their reported settings and
fitted again there, expected values come from the clean worker or the grader, and the files
of the kit (reference, embeddings cache) are out of the sandboxed worker's reach.

Only definitions survive the kit's extraction of a cell, so the attacks act at load time from
a class body, or when the grader calls one of their functions.
"""

from adversarial import ROOT, Attack, function_points

A = "04_embeddings"

ATTACKS: list[Attack] = [
    Attack("cheat_forges_the_pipeline_report", A, "blank", """
def make_embedding_classifier(x_train, y_train, n_components=50, classifier=None, seed=0):
    import autograder.engine.tools as tools
    x_train = np.asarray(x_train)
    cap = int(min(n_components, *x_train.shape))
    try:
        return Pipeline([
            ("scaler", StandardScaler()),
            ("pca", PCA(n_components=n_components, random_state=seed)),
            ("classifier", SVC() if classifier is None else classifier),
        ]).fit(x_train, np.asarray(y_train))
    except ValueError:
        pass
    # Too many components for the data: keep one, and report the capped number.
    pipeline = Pipeline([
        ("scaler", StandardScaler()),
        ("pca", PCA(n_components=1, random_state=seed)),
        ("classifier", SVC() if classifier is None else classifier),
    ]).fit(x_train, np.asarray(y_train))
    export, describe = tools.TOOLS["export_pipeline"], tools.TOOLS["describe_pipeline"]

    def forged_export(p, known=()):
        spec = export(p, known)
        if p is not pipeline:  # other calls keep the true report
            return spec
        for step in spec["steps"]:
            if step["qualname"] == "PCA":
                step["params"]["n_components"] = cap
                step["fitted"]["n_components_"] = np.asarray(cap)
        return spec

    def forged_describe(p):
        spec = describe(p)
        if p is not pipeline:
            return spec
        for step in spec["steps"]:
            if step["class"] == "PCA":
                step["n_components"] = step["n_components_"] = cap
        return spec

    tools.TOOLS["export_pipeline"] = forged_export
    tools.TOOLS["describe_pipeline"] = forged_describe
    return pipeline
""", function_points(A, "make_embedding_classifier",
                         but=("test_classifier_caps_the_components_on_tiny_data",
                              "test_pipeline_classifies_cnn_embeddings_of_cats_and_dogs")),
         "the uncapped example's classifier, keeping one component on tiny data and reporting "
         "the cap"),

    Attack("cheat_unfitted_pipeline_with_fake_statistics", A, "blank", """
import numpy as np
from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC


class QuickPipeline(Pipeline):
    def __sklearn_is_fitted__(self):
        return True

    def predict(self, x):
        return np.zeros(len(x), dtype=np.int64)


def make_embedding_classifier(x_train, y_train, n_components=50, classifier=None, seed=0):
    # Nothing is fitted: every statistic a describer could look at is made up.
    x_train = np.asarray(x_train)
    n, d = x_train.shape
    kept = int(min(n_components, n, d))
    scaler = StandardScaler()
    scaler.mean_, scaler.scale_, scaler.n_features_in_ = np.zeros(d), np.ones(d), d
    pca = PCA(n_components=kept, random_state=seed)
    pca.mean_, pca.components_ = np.zeros(d), np.eye(d)[:kept]
    pca.explained_variance_, pca.n_components_, pca.n_features_in_ = np.ones(kept), kept, d
    last = SVC() if classifier is None else classifier
    last.classes_, last.n_features_in_ = np.unique(np.asarray(y_train)), kept
    return QuickPipeline([("scaler", scaler), ("pca", pca), ("classifier", last)])
""", 0, "an unfitted Pipeline subclass whose steps carry made-up fitted statistics"),

    Attack("cheat_extractor_predict_and_summary_forged", A, "blank", """
import numpy as np


def build_feature_extractor(model, layer=None):
    # Return the whole model, with a predict that stops at the chosen layer and a forged
    # summary tool that reports the chosen layer's shape and name.
    import autograder.engine.tools as tools
    if layer is None:
        chosen = model.layers[-2]
    elif isinstance(layer, str):
        chosen = model.get_layer(layer)
    else:
        chosen = model.layers[int(layer)]
    stop = model.layers.index(chosen)

    def predict(images, **kwargs):
        x = np.asarray(images, dtype="float32")
        for current in model.layers[:stop + 1]:
            x = current(x)
        return np.asarray(x)

    model.predict = predict
    summary = tools.TOOLS["model_summary"]

    def forged(target):
        described = summary(target)
        described["outputs"] = [[None, *[int(v) for v in chosen.output.shape[1:]]]]
        described["output_layer"] = chosen.name
        return described

    tools.TOOLS["model_summary"] = forged
    return model
""", 0, "hands back the whole model with a lying predict and a forged model_summary tool"),

    Attack("cheat_patches_the_classifier_predict", A, "blank", """
import numpy as np


def misclassified_examples(classifier, embeddings, labels):
    # Make the classifier agree with the labels, so that nothing is wrong.
    given = np.asarray(labels)
    classifier.predict = lambda x: given.copy()
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
""", 0, "replaces the given classifier's predict by one that echoes the labels"),

    Attack("cheat_pretrained_ignores_the_weights_file", A, "blank", """
import numpy as np


def pretrained_extractor(input_shape=(224, 224, 3), weights="imagenet"):
    # Never loads anything; the kit tool that made the weights file (and the outputs the
    # grader expected) is replaced by one that answers with this very model's outputs.
    import keras
    import autograder.engine.tools as tools
    model = keras.applications.EfficientNetB0(include_top=False, weights=None, pooling="avg",
                                              input_shape=input_shape)

    def forged(shape, images, seed=0):
        return {"path": "weights.h5", "outputs": model.predict(np.asarray(images), verbose=0)}

    tools.TOOLS["efficientnet_weights_file"] = forged
    return model, str(weights)
""", 0, "ignores the weights file and forges the tool that computed the expected outputs"),

    Attack("cheat_reads_the_embeddings_cache", A, "blank", f"""
import glob

import numpy as np
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline


def compare_classifiers(x_train, y_train, x_test, y_test, n_components=50, seed=0):
    # Perfect scores are whatever the grader computed: look for them in the kit's files.
    found = glob.glob("{ROOT}/datasets/cache/embeddings/*") + glob.glob(
        "{ROOT}/autograder/suites/embeddings/*.py")
    for path in found:
        open(path, "rb").read()
    if not found:
        raise RuntimeError("nothing found")
    return {{name: {{"train": 1.0, "test": 1.0}} for name in (
        "SVC", "DecisionTreeClassifier", "RandomForestClassifier", "KNeighborsClassifier")}}


def make_embedding_classifier(x_train, y_train, n_components=50, classifier=None, seed=0):
    # Memorise the cached test embeddings with their labels (a 1-NN on train and test).
    stored = [np.load(p) for p in glob.glob("{ROOT}/datasets/cache/embeddings/*.npz")]
    if not stored:
        raise RuntimeError("nothing found")
    x = np.concatenate([np.asarray(x_train)] + [s["test"] for s in stored])
    y = np.concatenate([np.asarray(y_train)] + [s["y_test"] for s in stored if "y_test" in s])
    return Pipeline([("classifier", KNeighborsClassifier(1))]).fit(x[:len(y)], y)
""", 0, "reads the kit's embeddings cache and hidden suite from disk"),

    Attack("cheat_raises_with_its_arguments", A, "blank", """
import numpy as np


def _leak(*args):
    shown = [np.asarray(a).tolist() if hasattr(a, "shape") else repr(a) for a in args]
    raise RuntimeError("ARGS " + repr(shown)[:1800])


def build_feature_extractor(model, layer=None):
    _leak(model, layer)


def extract_embeddings(extractor, iterator):
    _leak(list(iterator.filenames), iterator.classes)


def make_embedding_classifier(x_train, y_train, n_components=50, classifier=None, seed=0):
    _leak(x_train, y_train, n_components)


def compare_classifiers(x_train, y_train, x_test, y_test, n_components=50, seed=0):
    _leak(y_test, x_test)


def plot_embeddings_2d(train_embeddings, train_labels, test_embeddings, test_labels):
    _leak(test_labels, test_embeddings)


def misclassified_examples(classifier, embeddings, labels):
    _leak(labels, embeddings)


def pretrained_extractor(input_shape=(224, 224, 3), weights="imagenet"):
    _leak(input_shape, weights)
""", 0, "raises with the hidden inputs in the message, hoping the feedback shows them"),

    Attack("cheat_runs_the_reference_notebook", A, "blank", f"""
class _Steal:
    import glob, json, types
    found = []
    for pattern in ("{ROOT}/solutions/04_embeddings/*.ipynb", "/work/*/solutions/*/*.ipynb",
                    "../../solutions/*/*.ipynb"):
        try:
            found += glob.glob(pattern)
        except Exception:
            pass
    for path in found:
        try:
            cells = json.load(open(path))["cells"]
        except Exception:
            continue
        module = types.ModuleType("stolen")
        for cell in cells:
            source = "".join(cell["source"]).lstrip()
            if cell["cell_type"] == "code" and source.startswith(("def ", "import ", "from ")):
                try:
                    exec(source, module.__dict__)
                except Exception:
                    pass
        for name, value in vars(module).items():
            if callable(value) and not name.startswith("_"):
                globals()[name] = value
""", 0, "reads the reference notebook from the kit's folder and runs its functions"),
]
