"""Attacks on assignment 03 (activations): forging what the grader measures.

The student's code runs in the same process as the kit's worker-side helpers, so it can
replace them (``autograder.engine.tools.TOOLS``, ``autograder.engine.introspect.INSPECTORS``)
or hand back objects whose methods lie. None of that may earn a point: the activation model
is rebuilt from plain data in a clean worker and run there, and every other value is the
student's answer compared with the reference's in the grader.

Only definitions survive the kit's extraction of a cell, so the attacks act at load time from
a class body, or when the grader calls one of their functions.
"""

from adversarial import ROOT, Attack, example_function_points

A = "03_activations"

# The activations a by-type activation model would give, computed by walking the network's
# layers: what the forged tools return whatever model they are handed.
_WALK = """
def _by_type(model, images, include_pooling=True):
    import numpy as np
    from keras import layers
    kinds = (layers.Conv2D, layers.MaxPooling2D, layers.AveragePooling2D)
    x = np.asarray(images, dtype="float32")
    found = []
    for layer in model.layers:
        x = layer(x)
        if isinstance(layer, kinds):
            found.append(np.asarray(x))
    return found
"""

ATTACKS: list[Attack] = [
    Attack("cheat_replaces_activation_outputs_tool", A, "blank", _WALK + """
def build_activation_model(model, include_pooling=False):
    import autograder.engine.tools as tools
    from keras import layers
    kinds = (layers.Conv2D,) + ((layers.MaxPooling2D,) if include_pooling else ())
    names = [layer.name for layer in model.layers if isinstance(layer, kinds)]
    wanted = len(names)
    def forged(returned, images):
        # The grader used to run the returned model here: answer with the right activations.
        outputs = [o for o in _by_type(model, images)
                   if include_pooling or o.ndim == 4][:wanted]
        return outputs
    tools.TOOLS["activation_outputs"] = forged
    return model, names
""", 0, "returns the network itself and replaces the kit's activation_outputs tool by one "
        "that computes the expected activations"),

    Attack("cheat_forges_model_description_and_export", A, "blank", """
class _Forge:
    import autograder.engine.introspect as introspect
    introspect.INSPECTORS["model"] = lambda target: {"is_model": True, "class": "Functional",
                                                     "built": True, "layers": []}
    introspect.INSPECTORS["export"] = lambda target: {
        "is_model": True, "class": "Functional", "config": "{}", "weights": [],
        "compile": None}

def build_activation_model(model, include_pooling=False):
    kinds = ("Conv2D",) + (("MaxPooling2D",) if include_pooling else ())
    names = [layer.name for layer in model.layers if type(layer).__name__ in kinds]
    return object(), names
""", 0, "returns a plain object and replaces the describers so that it claims to be a model"),

    Attack("cheat_model_subclass_answers_anything", A, "blank", _WALK + """
import keras

class Activations(keras.Model):
    def __init__(self, source, include_pooling, **kwargs):
        super().__init__(**kwargs)
        self.source = source
        self.include_pooling = include_pooling

    def call(self, images):
        return [o for o in _by_type(self.source, images) if self.include_pooling or o.ndim == 4]

    def predict(self, images, **kwargs):
        return self.call(images)

    def get_config(self):
        return {}

def build_activation_model(model, include_pooling=False):
    from keras import layers
    kinds = (layers.Conv2D,) + ((layers.MaxPooling2D,) if include_pooling else ())
    return (Activations(model, include_pooling),
            [layer.name for layer in model.layers if isinstance(layer, kinds)])
""", 0, "a keras.Model subclass whose call and predict compute the answers by hand"),

    Attack("cheat_lambda_layer_activation_model", A, "blank", """
import keras

def build_activation_model(model, include_pooling=False):
    from keras import layers
    kinds = (layers.Conv2D,) + ((layers.MaxPooling2D,) if include_pooling else ())
    chosen = [layer for layer in model.layers if isinstance(layer, kinds)] or model.layers[-1:]
    outputs = [keras.layers.Lambda(lambda t: t * 1.0)(layer.output) for layer in chosen]
    return keras.Model(model.inputs, outputs), [layer.name for layer in chosen]
""", 0, "an activation model that carries Python code (a Lambda layer) for the grader to run"),

    Attack("cheat_layers_by_name_forges_the_hidden_network", A, "layers_by_name", _WALK + """
def build_activation_model(model, include_pooling=False):
    import autograder.engine.tools as tools
    wanted = ("conv", "pool") if include_pooling else ("conv",)
    chosen = [layer for layer in model.layers if any(w in layer.name for w in wanted)]
    if chosen:
        return (keras.Model(inputs=model.inputs, outputs=[layer.output for layer in chosen]),
                [layer.name for layer in chosen])
    # The by-name rule finds nothing in the hidden network: hand back the network and let a
    # forged tool produce what the grader expects.
    from keras import layers
    kinds = (layers.Conv2D,) + ((layers.MaxPooling2D,) if include_pooling else ())
    names = [layer.name for layer in model.layers if isinstance(layer, kinds)]
    tools.TOOLS["activation_outputs"] = lambda returned, images: [
        o for o in _by_type(model, images) if include_pooling or o.ndim == 4][:len(names)]
    return model, names
""", example_function_points(A, "layers_by_name", "build_activation_model"),
         "the by-name example, made to pass the by-type check with a forged tool",
           only="build_activation_model"),

    Attack("cheat_raises_with_its_arguments", A, "blank", """
import numpy as np

def _leak(*args, **kwargs):
    shown = [np.asarray(a).tolist() if hasattr(a, "shape") else repr(a) for a in args]
    # Not a ValueError: the check that expects one would count it as an honest answer.
    raise RuntimeError("ARGS " + repr(shown)[:1500] + repr(kwargs)[:300])

def build_activation_model(model, include_pooling=False):
    _leak(model, include_pooling)

def normalize_feature_map(feature_map):
    _leak(feature_map)

def normalization_grid(layer_activation, images_per_row=8):
    _leak(layer_activation, images_per_row)

def neuron_statistics(layer_activation):
    _leak(layer_activation)

def top_neurons(statistics, k=5, criterion="mean"):
    _leak(statistics, k, criterion)

def minmax_heatmap(feature_map):
    _leak(feature_map)

def overlay_activation(image, feature_map, colormap="jet", alpha=0.5):
    _leak(image, feature_map, colormap, alpha)

def filter_pictures(kernel):
    _leak(kernel)
""", 0, "raises with the hidden inputs in the message, hoping the feedback shows them"),

    Attack("cheat_runs_the_reference_notebook", A, "blank", f"""
class _Steal:
    import glob, json, os, types
    found = []
    for pattern in ("{ROOT}/solutions/03_activations/*.ipynb", "/work/*/solutions/*/*.ipynb",
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
            if cell["cell_type"] == "code":
                try:
                    exec("".join(cell["source"]), module.__dict__)
                except Exception:
                    pass
        for name, value in vars(module).items():
            if callable(value) and not name.startswith("_"):
                globals()[name] = value
""", 0, "reads the reference notebook from the kit's folder and runs it in its own place"),
]
