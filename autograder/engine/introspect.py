"""Turn live objects (Keras models, training histories, matplotlib figures) into plain data.

These functions run wherever the object lives: in a worker for a student's object, in the
grader for the reference's. Both sides therefore describe their objects with the same code,
and only the plain description is compared.
"""

from __future__ import annotations

import json

import numpy as np

# The descriptions are the students' package's code (one copy for the public checks and for
# the grader); the worker imports them from there (the sandbox copies that package into the
# worker's runtime folder).
from cnnkit_student.describe import (
    ARCHITECTURE_KEYS,
    describe_compilation,
    describe_figure,
    describe_history,
    describe_model,
)

__all__ = [
    "ARCHITECTURE_KEYS",
    "INSPECTORS",
    "describe_compilation",
    "describe_figure",
    "describe_history",
    "describe_model",
    "export_model",
]


def export_model(model) -> dict:
    """A Keras model as plain data: its architecture (``to_json``), its weights (a list of
    arrays) and its compile settings, or ``{"is_model": False}``.

    This runs in the student's worker, so the grader treats what it returns as the
    student's answer, never as a measurement: it checks the classes named there
    (:func:`autograder.engine.models.model_spec_problem`) and rebuilds the model in a worker
    that never loaded student code (``import_model`` there) before describing, training or
    evaluating it.
    """
    import keras

    if not isinstance(model, keras.Model):
        return {"is_model": False, "class": type(model).__name__}
    try:
        compile_config = model.get_compile_config() if model.compiled else None
    except Exception:  # noqa: BLE001 - an uncompilable setting is reported by the grader
        compile_config = {"unserializable": True}
    return {
        "is_model": True,
        "class": type(model).__name__,
        "config": model.to_json(),
        "weights": [np.asarray(w) for w in model.get_weights()],
        "compile": json.dumps(compile_config) if compile_config is not None else None,
    }


INSPECTORS = {
    "model": describe_model,
    "compilation": describe_compilation,
    "history": describe_history,
    "figure": describe_figure,
    "export": export_model,
}
