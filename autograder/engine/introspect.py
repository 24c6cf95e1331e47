"""Turn live objects (Keras models, training histories, matplotlib figures) into plain data.

These functions run wherever the object lives: in a worker for a student's object, in the
grader for the reference's. Both sides therefore describe their objects with the same code,
and only the plain description is compared.
"""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np

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
