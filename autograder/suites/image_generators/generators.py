"""The student's image generators, rebuilt in the grader from plain settings.

A generator returned by ``get_generators`` lives in the student's worker, where the student's
code may have replaced any of the kit's helpers. What the worker says about it (its folder,
the arguments of its ``flow_from_directory`` call and of its ``ImageDataGenerator``: the kit's
``generator_export`` tool) is therefore the student's answer, not a measurement. The grader
checks that answer names only Keras's own classes and functions and folders of the tree it
wrote, rebuilds the iterator here with Keras's code, and reads batches, file orders and
settings from that rebuilt iterator.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

from autograder.i18n import N_, _, translated

# Keras 3's (legacy) image-generator classes: ``tf.keras.preprocessing.image`` and
# ``keras.preprocessing.image`` both lead here.
_ITERATOR_TYPE = "keras.src.legacy.preprocessing.image.DirectoryIterator"
_MAKER_TYPE = "keras.src.legacy.preprocessing.image.ImageDataGenerator"
# A preprocessing function must be one of keras.applications' own preprocess_input.
_APPLICATION_MODULE = re.compile(r"^keras\.src\.applications\.[a-z0-9_]+$")
# The end of several messages (translated where they are built, in ``_not_accepted``).
_NOT_ACCEPTED = N_("is not accepted: build it with Keras's ImageDataGenerator and "
                   "flow_from_directory, and for the model-specific mode pass "
                   "keras.applications' own preprocess_input")


class GeneratorNotAccepted(AssertionError):
    """The export names something the grader will not rebuild (a message for the student)."""


def _not_accepted(message: str, **values: Any) -> GeneratorNotAccepted:
    """The error for ``message`` (already translated; its ``{not_accepted}`` field is filled
    with ``_NOT_ACCEPTED`` in the language in use)."""
    return GeneratorNotAccepted(message.format(not_accepted=translated(_NOT_ACCEPTED), **values))


def _is_plain(value: Any) -> bool:
    """Numbers, strings, booleans, None, and lists of those: nothing that carries code."""
    if value is None or isinstance(value, bool | int | float | str):
        return True
    if isinstance(value, list):
        return all(_is_plain(v) for v in value)
    return False


def _preprocessing_function(described: dict | None, split: str):
    if described is None:
        return None
    module, name = str(described.get("module", "")), str(described.get("name", ""))
    if not _APPLICATION_MODULE.match(module) or name != "preprocess_input":
        raise _not_accepted(
            _("the {split} generator's preprocessing_function ({function}) {not_accepted}"),
            split=split, function=f"{module}.{name}",
        )
    return getattr(importlib.import_module(module), name)


def _inside(directory: str, root: Path) -> Path | None:
    path = Path(directory).resolve()
    return path if path == root or root in path.parents else None


def rebuild_generator(spec: Any, root: str | Path, split: str):
    """A ``DirectoryIterator`` built here from the student's exported settings.

    Parameters
    ----------
    spec : dict
        What the kit's ``generator_export`` tool returned in the student's worker.
    root : str or Path
        The image tree the grader wrote and handed to the worker: the only folders a rebuilt
        generator may read.
    split : str
        ``"train"``, ``"validation"`` or ``"test"``, for the messages.

    Raises
    ------
    GeneratorNotAccepted
        Not a directory iterator, another class than Keras's own, a function other than a
        Keras ``preprocess_input``, a folder outside the tree, or settings Keras refuses.
    """
    from tensorflow.keras.preprocessing.image import ImageDataGenerator

    if not isinstance(spec, dict) or not spec.get("is_iterator"):
        raise GeneratorNotAccepted(
            _("the {split} generator is not what flow_from_directory returns").format(
                split=split))
    for key, expected in (("type", _ITERATOR_TYPE), ("maker_type", _MAKER_TYPE)):
        if spec.get(key) != expected:
            raise _not_accepted(_("the {split} generator (a {type}) {not_accepted}"),
                                split=split, type=spec.get(key))
    maker, iterator = spec.get("maker"), spec.get("iterator")
    classes = spec.get("classes")
    if not (isinstance(maker, dict) and isinstance(iterator, dict) and _is_plain(classes)
            and all(_is_plain(v) for v in (*maker.values(), *iterator.values()))):
        raise _not_accepted(_("the {split} generator's settings {not_accepted}"), split=split)
    directory = _inside(str(spec.get("directory")), Path(root).resolve())
    if directory is None:
        raise GeneratorNotAccepted(
            _("the {split} generator does not read the folder it was given").format(
                split=split))
    function = _preprocessing_function(spec.get("preprocessing_function"), split)
    settings = {k: v for k, v in maker.items() if k != "dtype" or v is not None}
    arguments = dict(iterator)
    arguments["target_size"] = tuple(arguments.get("target_size") or ())
    try:
        rebuilt = ImageDataGenerator(**settings, preprocessing_function=function)
        return rebuilt.flow_from_directory(str(directory), classes=list(classes) or None,
                                           **arguments)
    except (TypeError, ValueError) as error:
        raise GeneratorNotAccepted(
            _("the {split} generator's settings could not be used again by the grader "
              "({error})").format(split=split, error=type(error).__name__)) from None
