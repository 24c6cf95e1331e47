"""Compare Keras architectures through their plain descriptions (see
:func:`introspect.describe_model`), layer by layer, and say where the first difference is."""

from __future__ import annotations

import json

from autograder.engine.introspect import ARCHITECTURE_KEYS

_SETTING_NAMES = {
    "kernel_size": "kernel size",
    "pool_size": "pool size",
    "rate": "dropout rate",
    "units": "number of units",
    "filters": "number of filters",
}


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return abs(float(a) - float(b)) < 1e-9
        except (TypeError, ValueError):
            return False
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _shape(shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")" if shape else "?"


def first_difference(student: dict, reference: dict) -> str | None:
    """Describe the first layer where ``student`` differs from ``reference``.

    Parameters
    ----------
    student, reference : dict
        Model descriptions from :func:`autograder.engine.introspect.describe_model`.

    Returns
    -------
    str or None
        ``None`` when every layer matches in class, output shape, parameter count and
        architecture settings; otherwise one sentence naming the first layer that differs.
    """
    if not student.get("is_model"):
        return f"a keras.Model is expected, but a {student.get('class')} was returned"
    if not student.get("built"):
        return "the model is not built: start it with keras.Input(shape=input_shape)"
    ours, theirs = student["layers"], reference["layers"]
    for index, expected in enumerate(theirs):
        position = f"layer {index + 1}"
        if index >= len(ours):
            return (
                f"your model stops after {len(ours)} layers; {position} should be a "
                f"{expected['class']}"
            )
        actual = ours[index]
        where = f"{position} ({actual['class']} '{actual['name']}')"
        if actual["class"] != expected["class"]:
            return f"{position} is a {actual['class']}, but a {expected['class']} is expected there"
        for key in ARCHITECTURE_KEYS:
            if key in expected and not _same(actual.get(key), expected[key]):
                setting = _SETTING_NAMES.get(key, key)
                return f"{where}: its {setting} is {actual.get(key)!r}, expected {expected[key]!r}"
        if not _same(actual["output_shape"], expected["output_shape"]):
            return (
                f"{where}: its output shape is {_shape(actual['output_shape'])}, expected "
                f"{_shape(expected['output_shape'])}"
            )
        if actual["parameters"] != expected["parameters"]:
            return (
                f"{where}: it has {actual['parameters']} parameters, expected "
                f"{expected['parameters']}"
            )
    if len(ours) > len(theirs):
        extra = ours[len(theirs)]
        return (
            f"your model has {len(ours)} layers, {len(ours) - len(theirs)} more than expected; "
            f"the first extra one is layer {len(theirs) + 1} ({extra['class']})"
        )
    return None


# -- models that cross from the student's worker as plain data ---------------------------------
# Keras classes that carry code of their own (a Python function, a saved graph, another
# framework's module) cannot be rebuilt from plain data without running that code.
_CODE_CARRYING = {"Lambda", "TFSMLayer", "TorchModuleWrapper", "JaxLayer", "FlaxLayer"}


def model_spec_problem(spec: dict) -> str | None:
    """Why a model exported by the student's worker cannot be rebuilt by the grader, or
    ``None`` when every object it names is one of Keras's own built-in classes.

    Parameters
    ----------
    spec : dict
        From ``introspect.export_model`` (plain data; the student's code may have made it).

    Returns
    -------
    str or None
        One sentence for the student.
    """
    if not spec.get("is_model"):
        return f"a keras.Model is expected, but a {spec.get('class')} was returned"
    compile_config = spec.get("compile")
    if isinstance(compile_config, str) and '"unserializable"' in compile_config:
        return ("the model's compile settings cannot be saved as a configuration: use "
                "Keras's own optimizers, losses and metrics (by name or class)")
    try:
        documents = [json.loads(spec["config"])]
        if compile_config:
            documents.append(json.loads(compile_config))
    except (KeyError, TypeError, ValueError):
        return "the model's configuration could not be read"
    if not isinstance(documents[0], dict) or "class_name" not in documents[0]:
        return "the model's configuration could not be read"
    for document in documents:
        for node in _objects_in(document):
            module = node.get("module")
            name = node.get("class_name")
            registered = node.get("registered_name")
            if module is not None and not _is_keras_module(str(module)):
                return (f"{name} (from {module}) is not accepted: build the model from "
                        "Keras's own layers, optimizers and losses, without custom classes "
                        "or functions")
            if module is None and registered is not None:
                return (f"the custom class {name} is not accepted: build the model from "
                        "Keras's own layers")
            if name in _CODE_CARRYING:
                return (f"a {name} layer is not accepted: it carries code the grader cannot "
                        "rebuild; use Keras's built-in layers")
    return None


def _objects_in(value) -> list[dict]:
    """Every serialized object (a dict with ``class_name``) inside a Keras configuration."""
    found = []
    if isinstance(value, dict):
        if "class_name" in value:
            found.append(value)
        for item in value.values():
            found += _objects_in(item)
    elif isinstance(value, list):
        for item in value:
            found += _objects_in(item)
    return found


def _is_keras_module(module: str) -> bool:
    return module == "keras" or module.startswith("keras.")
