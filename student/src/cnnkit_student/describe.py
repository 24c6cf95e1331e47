"""Plain descriptions of Keras models, training histories and matplotlib figures, and their
comparison.

This is the course's one copy of this code: the public checks of this package use it, and the
course's grader imports it from here (its worker describes a student's objects with it, its
tests compare the descriptions with it). Descriptions are plain data (lists, numbers, strings,
NumPy arrays, PNG bytes); the expected ones of the public checks are frozen in this package's
data. Nothing here knows an answer.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from typing import Any

import numpy as np

from cnnkit_student.i18n import _

# Layer settings that define an architecture; other config keys (names, initialisers,
# dtypes) are not part of what the course asks for.
ARCHITECTURE_KEYS = (
    "filters",
    "kernel_size",
    "strides",
    "padding",
    "pool_size",
    "units",
    "rate",
    "activation",
)


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        name = value.get("class_name") or value.get("config", {}).get("name")
        return str(name) if name is not None else str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return getattr(value, "__name__", str(value))


def _output_shape(layer) -> list | None:
    try:
        shape = layer.output.shape
    except (AttributeError, ValueError, RuntimeError):
        return None
    return [None if d is None else int(d) for d in shape]


def describe_model(model) -> dict:
    """Describe a Keras model layer by layer, without ``layer.output_shape`` (gone in Keras 3).

    Parameters
    ----------
    model : keras.Model
        A built model (created with ``keras.Input`` or already called on data).

    Returns
    -------
    dict
        ``{"class": str, "built": bool, "input_shape": list | None, "parameters": int,
        "layers": [{"class", "name", "output_shape", "parameters", <architecture keys>}]}``
    """
    import keras

    if not isinstance(model, keras.Model):
        return {"class": type(model).__name__, "is_model": False, "layers": []}
    layers = []
    for layer in model.layers:
        config = layer.get_config()
        entry = {
            "class": type(layer).__name__,
            "name": layer.name,
            "output_shape": _output_shape(layer),
            "parameters": int(layer.count_params()) if layer.built else None,
        }
        for key in ARCHITECTURE_KEYS:
            if key in config:
                entry[key] = _plain(config[key])
        layers.append(entry)
    try:
        input_shape = [None if d is None else int(d) for d in model.inputs[0].shape]
    except (AttributeError, IndexError, TypeError, ValueError):
        input_shape = None
    return {
        "class": type(model).__name__,
        "is_model": True,
        "built": bool(model.built),
        "input_shape": input_shape,
        "parameters": int(model.count_params()) if model.built else None,
        "layers": layers,
    }


def describe_compilation(model) -> dict:
    """What ``model.compile`` was given: optimizer class and learning rate, loss, metrics.

    Returns
    -------
    dict
        ``{"compiled": bool, "optimizer": str | None, "learning_rate": float | None,
        "loss": str | None, "metrics": list[str]}``
    """
    import keras

    if not isinstance(model, keras.Model) or not getattr(model, "compiled", False):
        return {"compiled": False, "optimizer": None, "learning_rate": None, "loss": None,
                "metrics": []}
    optimizer = model.optimizer
    try:
        learning_rate = float(np.asarray(optimizer.learning_rate))
    except (TypeError, ValueError, AttributeError):
        learning_rate = None
    config = model.get_compile_config() or {}
    loss = model.loss
    if isinstance(loss, keras.losses.Loss):
        loss_name = getattr(loss, "name", type(loss).__name__)
    else:
        loss_name = _plain(loss)
    metrics = config.get("metrics") or []
    if not isinstance(metrics, list):
        metrics = [metrics]
    return {
        "compiled": True,
        "optimizer": type(optimizer).__name__,
        "learning_rate": learning_rate,
        "loss": loss_name,
        "metrics": [str(_plain(m)) for m in metrics],
    }


def describe_history(history) -> dict:
    """The per-epoch values of a ``keras.callbacks.History`` (or a dict shaped like one)."""
    values = getattr(history, "history", history)
    if not isinstance(values, dict):
        return {"is_history": False, "type": type(history).__name__, "history": {}}
    return {
        "is_history": hasattr(history, "history"),
        "type": type(history).__name__,
        "history": {
            str(k): np.asarray(v, dtype=np.float64).reshape(-1) for k, v in values.items()
        },
        "epoch": [int(e) for e in getattr(history, "epoch", [])],
    }


# The settings that define what each of Keras's training callbacks does (its counters and
# the state of a run are left out: they change while it trains).
CALLBACK_SETTINGS = {
    "EarlyStopping": ("monitor", "patience", "min_delta", "mode", "baseline",
                      "restore_best_weights", "start_from_epoch"),
    "ReduceLROnPlateau": ("monitor", "factor", "patience", "min_lr", "min_delta", "cooldown",
                          "mode"),
}


def _setting(value: Any) -> Any:
    """A callback's setting as plain data (a NumPy number becomes a Python one)."""
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def describe_callbacks(callbacks) -> dict:
    """Which Keras callbacks a list holds, in order, and the settings of those the course
    uses (``CALLBACK_SETTINGS``).

    Parameters
    ----------
    callbacks : list
        What a function returned as its callbacks (anything: it is described, not trusted).

    Returns
    -------
    dict
        ``{"is_list": bool, "type": str, "callbacks": [{"kind": "EarlyStopping" |
        "ReduceLROnPlateau" | None, "type": class name, "settings": {name: value}}, ...]}``;
        ``kind`` says which of the two Keras classes the object is an instance of.
    """
    import keras

    kinds = {"EarlyStopping": keras.callbacks.EarlyStopping,
             "ReduceLROnPlateau": keras.callbacks.ReduceLROnPlateau}
    if not isinstance(callbacks, (list, tuple)):
        return {"is_list": False, "type": type(callbacks).__name__, "callbacks": []}
    described = []
    for item in callbacks:
        kind = next((name for name, cls in kinds.items() if isinstance(item, cls)), None)
        names = CALLBACK_SETTINGS.get(kind, ())
        described.append({"kind": kind, "type": type(item).__name__,
                          "settings": {name: _setting(getattr(item, name, None))
                                       for name in names}})
    return {"is_list": isinstance(callbacks, list), "type": type(callbacks).__name__,
            "callbacks": described}


def _is_colorbar(ax) -> bool:
    return hasattr(ax, "_colorbar") or ax.get_label() == "<colorbar>"


def _text(artist) -> str | None:
    if artist is None:
        return None
    text = artist.get_text()
    return text if text else None


def _is_scatter(collection) -> bool:
    from matplotlib.collections import PathCollection

    return isinstance(collection, PathCollection)


def _describe_scatter(collection) -> dict:
    """One ``scatter`` call: its points in data coordinates, the values given with ``c=``
    (``None`` when the colours were fixed) and the RGBA face colours."""
    values = collection.get_array()
    return {
        "offsets": np.asarray(collection.get_offsets(), dtype=np.float64).reshape(-1, 2),
        "values": None if values is None else np.ma.getdata(values).astype(np.float64),
        "facecolors": np.asarray(collection.get_facecolors(), dtype=np.float64),
    }


def _describe_axes(ax) -> dict:
    images = []
    for image in ax.get_images():
        array = np.asarray(image.get_array())
        vmin, vmax = image.get_clim()
        images.append(
            {
                "array": np.ma.getdata(array).copy(),
                "cmap": image.get_cmap().name,
                "clim": [None if vmin is None else float(vmin),
                         None if vmax is None else float(vmax)],
            }
        )
    lines = [
        {
            "x": np.asarray(line.get_xdata(), dtype=np.float64),
            "y": np.asarray(line.get_ydata(), dtype=np.float64),
            "label": line.get_label(),
        }
        for line in ax.get_lines()
    ]
    scatters = [_describe_scatter(collection) for collection in ax.collections
                if _is_scatter(collection)]
    legend = ax.get_legend()
    spec = ax.get_subplotspec() if hasattr(ax, "get_subplotspec") else None
    grid = None
    if spec is not None:
        # a colour bar given the axes it belongs to moves that axes into a small grid of its
        # own (the axes and its bar) inside its cell; the place that counts is that cell of the
        # figure's grid
        spec = spec.get_topmost_subplotspec()
        rows, cols = spec.get_gridspec().get_geometry()
        grid = {"rows": rows, "cols": cols, "row": spec.rowspan.start, "col": spec.colspan.start}
    return {
        "title": ax.get_title(),
        "xlabel": ax.get_xlabel(),
        "ylabel": ax.get_ylabel(),
        "axis_on": bool(ax.axison),
        "visible": bool(ax.get_visible()),
        "xticks": np.asarray(ax.get_xticks(), dtype=np.float64),
        "yticks": np.asarray(ax.get_yticks(), dtype=np.float64),
        "is_colorbar": _is_colorbar(ax),
        "grid": grid,
        "images": images,
        "lines": lines,
        "scatters": scatters,
        "texts": [t.get_text() for t in ax.texts],
        # where each text is written, in data coordinates (a count in its cell)
        "text_at": [[float(t.get_position()[0]), float(t.get_position()[1]), t.get_text()]
                    for t in ax.texts],
        # the words under the ticks (read after the figure was drawn) and the visible area
        "xticklabels": [t.get_text() for t in ax.get_xticklabels()],
        "yticklabels": [t.get_text() for t in ax.get_yticklabels()],
        "xlim": [float(v) for v in ax.get_xlim()],
        "ylim": [float(v) for v in ax.get_ylim()],
        "legend": [t.get_text() for t in legend.get_texts()] if legend is not None else None,
    }


def describe_figure(figure, *, dpi: int = 60) -> dict:
    """Describe a matplotlib figure as plain data, with its PNG rendering.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
    dpi : int
        Resolution of the PNG kept for feedback and for the rendered-image comparison.

    Returns
    -------
    dict
        ``{"is_figure", "suptitle", "size_inches", "axes": [...], "png": bytes}``; each
        axes holds its title, labels, ticks, grid position, images (array, colormap,
        colour limits), lines (x, y, label), scatters (points, ``c=`` values, face
        colours), texts and legend.
    """
    from matplotlib.figure import Figure

    if not isinstance(figure, Figure):
        return {"is_figure": False, "type": type(figure).__name__, "axes": []}
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    suptitle = getattr(figure, "_suptitle", None)
    return {
        "is_figure": True,
        "suptitle": _text(suptitle),
        "size_inches": [float(v) for v in figure.get_size_inches()],
        "axes": [_describe_axes(ax) for ax in figure.axes],
        "png": buffer.getvalue(),
    }


# -- models compared ---------------------------------------------------------------------
def _setting_name(key: str) -> str:
    """A layer setting's name in words (in the language in use), else the key itself."""
    names = {
        "kernel_size": _("kernel size"),
        "pool_size": _("pool size"),
        "rate": _("dropout rate"),
        "units": _("number of units"),
        "filters": _("number of filters"),
    }
    return names.get(key, key)


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
        Model descriptions from :func:`describe_model`.

    Returns
    -------
    str or None
        ``None`` when every layer matches in class, output shape, parameter count and
        architecture settings; otherwise one sentence naming the first layer that differs.
    """
    if not student.get("is_model"):
        return _("a keras.Model is expected, but a {got} was returned").format(
            got=student.get("class"))
    if not student.get("built"):
        return _("the model is not built: start it with keras.Input(shape=input_shape)")
    ours, theirs = student["layers"], reference["layers"]
    for index, expected in enumerate(theirs):
        number = index + 1
        if index >= len(ours):
            return _("your model stops after {count} layers; layer {number} should be a "
                     "{expected}").format(count=len(ours), number=number,
                                          expected=expected["class"])
        actual = ours[index]
        where = _("layer {number} ({layer_class} '{name}')").format(
            number=number, layer_class=actual["class"], name=actual["name"])
        if actual["class"] != expected["class"]:
            return _("layer {number} is a {got}, but a {expected} is expected there").format(
                number=number, got=actual["class"], expected=expected["class"])
        for key in ARCHITECTURE_KEYS:
            if key in expected and not _same(actual.get(key), expected[key]):
                return _("{where}: its {setting} is {got!r}, expected {expected!r}").format(
                    where=where, setting=_setting_name(key), got=actual.get(key),
                    expected=expected[key])
        if not _same(actual["output_shape"], expected["output_shape"]):
            return _("{where}: its output shape is {got}, expected {expected}").format(
                where=where, got=_shape(actual["output_shape"]),
                expected=_shape(expected["output_shape"]))
        if actual["parameters"] != expected["parameters"]:
            return _("{where}: it has {got} parameters, expected {expected}").format(
                where=where, got=actual["parameters"], expected=expected["parameters"])
    if len(ours) > len(theirs):
        extra = ours[len(theirs)]
        return _("your model has {count} layers, {more} more than expected; the first extra one "
                 "is layer {number} ({layer_class})").format(
            count=len(ours), more=len(ours) - len(theirs), number=len(theirs) + 1,
            layer_class=extra["class"])
    return None


# -- figures compared --------------------------------------------------------------------
_INTEGER = re.compile(r"-?\d+")


def plot_axes(figure: dict) -> list[dict]:
    """The axes that hold content: colourbars and hidden axes are left out."""
    return [ax for ax in figure.get("axes", []) if not ax["is_colorbar"] and ax["visible"]]


# The words a figure's title or axis label must contain, per concept. The course is taught in
# Spanish and in English, so a student labels a figure in either language and both words
# count. Compared without case or accents ("Pérdida" says "perdida"); stems cover the word's
# forms ("pred": predicted, predicción, predicha; "entren": entrenamiento; "verdader":
# verdadera). Only the concept is checked, never the rest of the wording.
FIGURE_WORDS = {
    "predicted": ("pred",),
    "true": ("true", "real", "verdader"),
    "loss": ("loss", "perdida"),
    "accuracy": ("accuracy", "exactitud", "precision"),
    "train": ("train", "entren"),
    "test": ("test", "prueba"),
}


def says(text: str | None, concept: str) -> bool:
    """Whether ``text`` (a title or an axis label) names ``concept`` (a key of
    :data:`FIGURE_WORDS`), in English or in Spanish."""
    import unicodedata

    folded = "".join(c for c in unicodedata.normalize("NFKD", text or "")
                     if not unicodedata.combining(c)).casefold()
    return any(word in folded for word in FIGURE_WORDS[concept])


def integers_in(text: str) -> list[int]:
    """The integers written in a title, in order: ``"real 3 / predicted 5"`` -> ``[3, 5]``."""
    return [int(match) for match in _INTEGER.findall(text or "")]


def has_ticks(ax: dict) -> bool:
    return ax["axis_on"] and (len(ax["xticks"]) > 0 or len(ax["yticks"]) > 0)


def png_to_array(png: bytes) -> np.ndarray:
    """Decode PNG bytes into a float RGB array in [0, 255] (Pillow parses plain image data)."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.float64)


def rms_difference(png_a: bytes, png_b: bytes) -> float:
    """Root-mean-square pixel difference of two renderings (inf if their sizes differ)."""
    a, b = png_to_array(png_a), png_to_array(png_b)
    if a.shape != b.shape:
        return float("inf")
    return float(np.sqrt(np.mean((a - b) ** 2)))


def image_of(ax: dict) -> np.ndarray | None:
    """The first image an axes shows, as an array, or ``None``."""
    return ax["images"][0]["array"] if ax["images"] else None


def same_image(actual: np.ndarray | None, expected: np.ndarray, *, atol: float = 1e-6) -> bool:
    """Whether an axes' image equals ``expected`` (same shape, values within ``atol``)."""
    if actual is None:
        return False
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    return actual.shape == expected.shape and bool(np.allclose(actual, expected, atol=atol))


def _max_abs_diff(actual, expected) -> float:
    """The largest absolute difference of two same-shaped arrays (NaN counts as infinite)."""
    difference = np.abs(np.asarray(actual, dtype=np.float64) - np.asarray(expected, np.float64))
    if difference.size == 0:
        return 0.0
    if not np.all(np.isfinite(difference)):
        return float("inf")
    return float(difference.max())


def _min_max(array) -> np.ndarray:
    array = np.asarray(array, dtype=np.float64)
    if array.size == 0:
        return array
    span = float(array.max() - array.min())
    return (array - array.min()) / span if span else np.zeros_like(array)


def _grid_of(ax: dict) -> tuple | None:
    grid = ax.get("grid")
    return None if grid is None else (grid["rows"], grid["cols"], grid["row"], grid["col"])


def _compare_arrays(where: str, what: str, actual, expected, atol: float,
                    plural: bool = False) -> list[str]:
    """Differences of two arrays, in words; ``plural`` when ``what`` names several values
    ("the colour limits of ...")."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.shape != expected.shape:
        return [_("{where}: {what} has shape {got}, expected {expected}").format(
            where=where, what=what, got=actual.shape, expected=expected.shape)]
    # NaN only matches NaN: a figure that draws nothing where the reference draws a value
    # (or the other way round) is a real difference.
    nan_actual = np.isnan(actual.astype(np.float64))
    nan_expected = np.isnan(expected.astype(np.float64))
    if not np.array_equal(nan_actual, nan_expected):
        return [_("{where}: {what} has missing (NaN) values where the expected one has none, "
                  "or the other way round").format(where=where, what=what)]
    diff = _max_abs_diff(np.where(nan_actual, 0, actual), np.where(nan_expected, 0, expected))
    if diff > atol:
        if plural:
            message = _("{where}: {what} differ from the expected one (max abs diff "
                        "{diff:.3g})")
        else:
            message = _("{where}: {what} differs from the expected one (max abs diff "
                        "{diff:.3g})")
        return [message.format(where=where, what=what, diff=diff)]
    return []


# What :func:`compare_figures` can be told to leave out, for figures whose contract leaves
# that aspect free (titles written as free text, ticks hidden either way, any colormap...).
IGNORABLE = frozenset({"titles", "axis", "colormaps", "colour_limits", "line_data",
                       "scatter_data", "rendering", "tick_names", "texts", "image_limits"})


def _named(labels: list[str]) -> bool:
    """Whether tick labels are words the figure chose (class names), not numbers that
    matplotlib writes by itself."""
    def number(text: str) -> bool:
        try:
            float(text.replace("\u2212", "-"))
        except ValueError:
            return False
        return True

    return any(text.strip() and not number(text.strip()) for text in labels)


def _compare_words(where: str, actual: dict, expected: dict, ignore: frozenset[str]) -> list[str]:
    """Tick names, texts and an image's visible area: what a figure says besides its data.

    Checked only where the expected figure fixes them: tick labels when it names its ticks
    (numbers written by matplotlib stay free), texts when it writes some, the limits of an axes
    that shows images only. A description made before these were recorded is not compared."""
    problems = []
    if "tick_names" not in ignore and actual["axis_on"] and expected["axis_on"]:
        for axis in ("x", "y"):
            wanted = expected.get(f"{axis}ticklabels")
            if wanted is None or not _named(wanted):
                continue
            got = [t.strip() for t in actual.get(f"{axis}ticklabels", [])]
            if got != [t.strip() for t in wanted]:
                problems.append(_("{where}: the {axis} tick labels differ from the expected "
                                  "ones (name the ticks as the figure's contract says)").format(
                                      where=where, axis=axis))
    wanted_texts = expected.get("text_at")
    if "texts" not in ignore and wanted_texts:
        def placed(texts: list) -> list:
            # the cell a text sits in: positions rounded to the nearest data unit
            return sorted((round(x), round(y), str(text).strip()) for x, y, text in texts)

        if placed(actual.get("text_at", [])) != placed(wanted_texts):
            problems.append(_("{where}: the texts written on the axes, or where they are "
                              "written, differ from the expected figure").format(where=where))
    # Around images only: where lines or points are drawn too, the limits follow their data
    # (compared above).
    if ("image_limits" not in ignore and expected["images"] and not expected["lines"]
            and not expected["scatters"] and "xlim" in expected):
        for axis in ("x", "y"):
            limits = np.asarray(actual.get(f"{axis}lim", [np.nan, np.nan]), dtype=np.float64)
            if not np.allclose(limits, expected[f"{axis}lim"], atol=1e-6, equal_nan=False):
                problems.append(_("{where}: the {axis} axis limits cut or pad the image "
                                  "differently from the expected figure").format(
                                      where=where, axis=axis))
    return problems


def _compare_axes(where: str, actual: dict, expected: dict, *, atol: float,
                  ignore: frozenset[str], normalize_images: bool) -> list[str]:
    problems = []
    if _grid_of(actual) != _grid_of(expected):
        problems.append(_("{where}: it is not at the expected place in the grid of "
                          "subplots").format(where=where))
    if "titles" not in ignore and (
            (actual.get("title") or "").strip() != (expected.get("title") or "").strip()):
        problems.append(_("{where}: title {title!r} differs from the expected one").format(
            where=where, title=actual.get("title")))
    if "axis" not in ignore and actual["axis_on"] != expected["axis_on"]:
        if actual["axis_on"]:
            message = _("{where}: the axis lines and ticks are shown, unlike the expected figure")
        else:
            message = _("{where}: the axis lines and ticks are hidden, unlike the expected "
                        "figure")
        problems.append(message.format(where=where))
    counted = {"images": _("{where}: {count} images, expected {wanted}"),
               "lines": _("{where}: {count} lines, expected {wanted}"),
               "scatters": _("{where}: {count} scatter plots, expected {wanted}")}
    for kind, message in counted.items():
        count, wanted = len(actual[kind]), len(expected[kind])
        if count != wanted:
            problems.append(message.format(where=where, count=count, wanted=wanted))
    if problems:
        return problems
    for number, (mine, theirs) in enumerate(zip(actual["images"], expected["images"],
                                                strict=True), start=1):
        if len(expected["images"]) == 1:
            label = _("image")
        else:
            label = _("image {number}").format(number=number)
        if ("colormaps" not in ignore and mine["cmap"] != theirs["cmap"]
                and np.ndim(theirs["array"]) == 2):
            # An RGB(A) image ignores its colormap; only a 2-D array is coloured by it.
            problems.append(_("{where}: {label} uses the colormap {got!r}, expected "
                              "{expected!r}").format(where=where, label=label,
                                                     got=mine["cmap"], expected=theirs["cmap"]))
        a, b = mine["array"], theirs["array"]
        if normalize_images and np.shape(a) == np.shape(b):
            a, b = _min_max(a), _min_max(b)
        image_problems = _compare_arrays(where, label, a, b, atol)
        problems += image_problems
        if (not image_problems and not normalize_images and "colour_limits" not in ignore
                and np.ndim(theirs["array"]) == 2):
            clims = [[np.nan if v is None else v for v in c] for c in (mine["clim"],
                                                                       theirs["clim"])]
            # Colour limits are in the image's units: the same tolerance, plus a relative
            # part for large values.
            finite = np.asarray(clims[1], dtype=np.float64)
            scale = float(np.nanmax(np.abs(finite))) if np.any(np.isfinite(finite)) else 0.0
            problems += _compare_arrays(where, _("the colour limits of {label}").format(
                label=label), clims[0], clims[1], max(atol, 1e-6 * scale), plural=True)
    if "line_data" not in ignore:
        for number, (mine, theirs) in enumerate(zip(actual["lines"], expected["lines"],
                                                    strict=True), start=1):
            for coordinate in ("x", "y"):
                problems += _compare_arrays(
                    where, _("line {number} ({coordinate} data)").format(
                        number=number, coordinate=coordinate),
                    mine[coordinate], theirs[coordinate], atol)
    if "scatter_data" not in ignore:
        for number, (mine, theirs) in enumerate(zip(actual["scatters"], expected["scatters"],
                                                    strict=True), start=1):
            problems += _compare_arrays(where, _("scatter plot {number} (points)").format(
                number=number), mine["offsets"], theirs["offsets"], atol)
    return problems + _compare_words(where, actual, expected, ignore)


def compare_figures(student: dict, reference: dict, *, atol: float = 1e-6,
                    rms_tolerance: float | None = 5.0, ignore: Iterable[str] = (),
                    normalize_images: bool = False) -> list[str]:
    """Compare a figure's description with the reference figure's.

    Structure is compared exactly: the suptitle, how many content axes there are (colour
    bars and hidden axes left out), each one's place in its subplot grid, title, axis
    visibility, how many images, lines and scatter plots it holds, each image's colormap.
    Then the data within ``atol``: image arrays, colour limits, line x/y, scatter points;
    and what the figure says besides its data, where the expected figure fixes it: named
    tick labels, texts and the cells they are written in, the limits around an image.
    Last, as a second check only when nothing else differs, the two renderings: their root
    mean square pixel difference (0-255 scale, the measure of ``matplotlib.testing.compare``)
    must not exceed ``rms_tolerance``.

    Parameters
    ----------
    student, reference : dict
        Descriptions made by :func:`describe_figure`.
    atol : float
        Absolute tolerance on arrays, in the arrays' own units (colour limits too).
    rms_tolerance : float or None
        Largest RMS pixel difference accepted; ``None`` skips the rendered comparison.
    ignore : iterable of str
        Aspects the figure's contract leaves free, from :data:`IGNORABLE`: ``"titles"``
        (axes titles and suptitle), ``"axis"`` (axis shown or hidden), ``"colormaps"``,
        ``"colour_limits"``, ``"line_data"`` (lines are still counted), ``"scatter_data"``
        (scatter plots are still counted), ``"rendering"``, ``"tick_names"`` (tick labels the
        expected figure names), ``"texts"`` (texts and where they are written),
        ``"image_limits"`` (the visible area around an image).
    normalize_images : bool
        Min-max normalise both images before comparing them (for pictures whose scale is
        free, e.g. a digit drawn as 0-255 or 0-1); colour limits are then not compared.

    Returns
    -------
    list[str]
        Human-readable differences, empty when the figures agree. They name axes by their
        position ("axes 3") and give sizes of differences, never the expected values.
    """
    ignore = frozenset(ignore)
    unknown = ignore - IGNORABLE
    if unknown:
        raise ValueError(f"compare_figures cannot ignore {sorted(unknown)}")
    if not student.get("is_figure"):
        got = student["type"] if "type" in student else _("something else")
        return [_("a matplotlib Figure is expected, got {got}").format(got=got)]
    problems = []
    if "titles" not in ignore and (
            (student.get("suptitle") or "") != (reference.get("suptitle") or "")):
        problems.append(_("the figure's title (suptitle) {title!r} differs from the expected "
                          "one").format(title=student.get("suptitle")))
    mine, theirs = plot_axes(student), plot_axes(reference)
    if len(mine) != len(theirs):
        problems.append(_("the figure has {count} axes with content, expected {wanted}").format(
            count=len(mine), wanted=len(theirs)))
        return problems
    for number, (actual, expected) in enumerate(zip(mine, theirs, strict=True), start=1):
        problems += _compare_axes(_("axes {number}").format(number=number), actual, expected,
                                  atol=atol, ignore=ignore, normalize_images=normalize_images)
    if problems or rms_tolerance is None or "rendering" in ignore:
        return problems
    if student.get("png") is None or reference.get("png") is None:
        return problems
    rms = rms_difference(student["png"], reference["png"])
    if not np.isfinite(rms):
        problems.append(_("the rendered figure does not have the expected size in pixels "
                          "(check its figsize)"))
    elif rms > rms_tolerance:
        problems.append(_("the rendered figure differs from the expected one (RMS {rms:.2f} over "
                          "pixels, {allowed:g} allowed)").format(rms=rms, allowed=rms_tolerance))
    return problems
