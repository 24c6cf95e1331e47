"""Compare Keras architectures through their plain descriptions (see
:func:`introspect.describe_model`), layer by layer, and say where the first difference is."""

from __future__ import annotations

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
