"""The public checks of every assignment, by assignment id."""

from __future__ import annotations

import importlib

from cnnkit_student.framework import Assignment
from cnnkit_student.i18n import _

# assignment id -> module of its checks (each defines ASSIGNMENT and freeze).
MODULES = {
    "01_mnist_cnn": "mnist_cnn",
    "02_cats_dogs": "cats_dogs",
    "03_activations": "activations",
    "04_embeddings": "embeddings",
}


def module_of(assignment_id: str):
    """The module holding one assignment's checks."""
    return importlib.import_module(f"cnnkit_student.checks.{MODULES[assignment_id]}")


def get(assignment_id: str) -> Assignment:
    """One assignment's checks; ``KeyError`` naming the known ids otherwise."""
    if assignment_id not in MODULES:
        raise KeyError(_("unknown assignment {assignment!r}; known: {known}").format(
            assignment=assignment_id, known=", ".join(MODULES)))
    return module_of(assignment_id).ASSIGNMENT


NOTEBOOKS = {
    "01_mnist_cnn": "mnist_cnn.ipynb",
    "02_cats_dogs": "cats_dogs.ipynb",
    "03_activations": "activations.ipynb",
    "04_embeddings": "embeddings.ipynb",
}
