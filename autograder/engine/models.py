"""Compare Keras architectures through their plain descriptions (see
:func:`introspect.describe_model`), layer by layer, and say where the first difference is."""

from __future__ import annotations

import json

# The comparison of architectures is the students' package's code (one copy for the public
# checks and for the grader's suites), re-exported here under the name the suites import.
from autograder.i18n import _
from cnnkit_student.describe import first_difference

__all__ = ["first_difference", "model_spec_problem"]


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
        return _("a keras.Model is expected, but a {kind} was returned").format(
            kind=spec.get("class"))
    compile_config = spec.get("compile")
    if isinstance(compile_config, str) and '"unserializable"' in compile_config:
        return _("the model's compile settings cannot be saved as a configuration: use "
                 "Keras's own optimizers, losses and metrics (by name or class)")
    try:
        documents = [json.loads(spec["config"])]
        if compile_config:
            documents.append(json.loads(compile_config))
    except (KeyError, TypeError, ValueError):
        return _("the model's configuration could not be read")
    if not isinstance(documents[0], dict) or "class_name" not in documents[0]:
        return _("the model's configuration could not be read")
    for document in documents:
        for node in _objects_in(document):
            module = node.get("module")
            name = node.get("class_name")
            registered = node.get("registered_name")
            if module is not None and not _is_keras_module(str(module)):
                return _("{name} (from {module}) is not accepted: build the model from "
                         "Keras's own layers, optimizers and losses, without custom classes "
                         "or functions").format(name=name, module=module)
            if module is None and registered is not None:
                return _("the custom class {name} is not accepted: build the model from "
                         "Keras's own layers").format(name=name)
            if name in _CODE_CARRYING:
                return _("a {name} layer is not accepted: it carries code the grader cannot "
                         "rebuild; use Keras's built-in layers").format(name=name)
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
