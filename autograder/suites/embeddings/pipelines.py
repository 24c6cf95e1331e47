"""The student's scikit-learn pipeline, brought across as plain data and rebuilt where no
student code ever ran.

A pipeline a student's function returns lives in the student's worker, where the student's
code could have replaced anything, the kit's describers included, or returned an object
whose ``predict`` cheats. So nothing about it is measured there: the worker only *reports*
it (``export_pipeline``: step names, classes, plain settings, fitted statistics), and that
report is the student's answer. Here it is checked (scikit-learn's own classes only, plain
settings only), then the same pipeline is rebuilt from those settings in the clean worker
(``pipeline_from_spec``) and fitted on the same data: its fitted statistics must equal the
ones the student's pipeline reported, and its predictions are the ones scored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder.engine.client import RemoteObject
from autograder.engine.tools.embeddings import allowed_estimators
from autograder.i18n import _

# A fit in the clean worker and one in the student's worker run the same scikit-learn on the
# same arrays: the statistics agree to the last bits (measured with `calibrate`: difference
# 0.0 for every statistic of the reference pipeline on the 4,000 digit embeddings, two runs).
# The tolerances only absorb a different summation order; a fit on other data (another
# split, a subset, scaled twice) moves a mean by orders of magnitude more.
RTOL = 1e-5
ATOL_SCALE = 1e-6  # times the largest absolute value of the statistic
# Principal axes are compared only where they are well defined: a variance clearly above 0
# and clearly apart from its neighbours (an axis of a repeated variance may turn freely).
AXIS_VARIANCE_FLOOR = 1e-6  # times the largest variance
AXIS_GAP = 1e-3  # relative gap to the neighbouring variances
AXIS_ATOL = 1e-4


@dataclass(frozen=True)
class Step:
    """One step as the student's worker reported it (checked plain data)."""

    name: str
    module: str
    qualname: str
    params: dict[str, Any]
    fitted: dict[str, np.ndarray]
    known: int | None

    def spec(self) -> dict:
        """What the clean worker needs to rebuild the step."""
        return {"name": self.name, "module": self.module, "qualname": self.qualname,
                "params": self.params}


def _short(value: Any) -> str:
    return str(value)[:60]


def _plain(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, str))


def _step(entry: Any, allowed: dict) -> Step:
    if not isinstance(entry, dict):
        raise AssertionError(_("the pipeline's steps could not be read"))
    name, module, qualname = (entry.get(k) for k in ("name", "module", "qualname"))
    params, fitted, unsupported = entry.get("params"), entry.get("fitted"), entry.get("unsupported")
    if not (isinstance(name, str) and isinstance(module, str) and isinstance(qualname, str)
            and isinstance(params, dict) and isinstance(fitted, dict)
            and isinstance(unsupported, list)):
        raise AssertionError(_("the pipeline's steps could not be read"))
    if not module.startswith("sklearn.") or (module, qualname) not in allowed:
        raise AssertionError(
            _("the step {name!r}, a {qualname} (from {module}), is not "
              "accepted: build the pipeline from scikit-learn's own scalers, PCA and "
              "classifiers").format(name=_short(name), qualname=_short(qualname),
                                    module=_short(module))
        )
    if unsupported or not all(isinstance(k, str) and _plain(v) for k, v in params.items()):
        key = next((str(k) for k in unsupported), None) or next(
            str(k) for k, v in params.items() if not (isinstance(k, str) and _plain(v)))
        raise AssertionError(
            _("the setting {key!r} of the step {name!r} is not accepted: give "
              "scikit-learn's estimators plain settings (numbers, strings, None)").format(
                key=_short(key), name=name)
        )
    known = entry.get("known")
    return Step(name, module, qualname, dict(params),
                {str(k): v for k, v in fitted.items()},
                known if isinstance(known, int) and not isinstance(known, bool) else None)


def read_pipeline(worker, result: Any, *, known: tuple = ()) -> list[Step]:
    """The steps of the pipeline a student's function returned, as reported by its worker.

    Parameters
    ----------
    worker : Worker
        The student's worker.
    result : RemoteObject or any
        What the function returned.
    known : tuple of RemoteObject
        Objects of the student's worker the grader handed in (``Step.known`` says which one
        a step claims to be).

    Raises
    ------
    AssertionError
        Not a pipeline, a report that cannot be read, a class other than scikit-learn's
        own, or a setting that is not plain data: the message is for the student.
    """
    if not isinstance(result, RemoteObject):
        raise AssertionError(
            _("a fitted sklearn.pipeline.Pipeline is expected, got {got}").format(
                got=type(result).__name__))
    spec = worker.tool("export_pipeline", result, known=list(known))
    if not isinstance(spec, dict) or not spec.get("is_pipeline"):
        kind = spec.get("type") if isinstance(spec, dict) else type(spec).__name__
        raise AssertionError(
            _("a fitted sklearn.pipeline.Pipeline is expected, got {got}").format(
                got=_short(kind)))
    steps = spec.get("steps")
    if not isinstance(steps, list) or not steps:
        raise AssertionError(_("the pipeline's steps could not be read"))
    allowed = allowed_estimators()
    return [_step(entry, allowed) for entry in steps]


def _array(value: Any) -> np.ndarray | None:
    try:
        array = np.asarray(value)
    except Exception:  # noqa: BLE001 - a reported value of any kind
        return None
    return array if array.dtype.kind in "biuf" else None


def _close(mine: np.ndarray, wanted: np.ndarray, rtol: float = RTOL) -> bool:
    if mine.shape != wanted.shape:
        return False
    if wanted.dtype.kind in "biu" and mine.dtype.kind in "biu":
        return bool(np.array_equal(mine, wanted))
    scale = float(np.abs(wanted).max()) if wanted.size else 0.0
    return bool(np.allclose(mine.astype(np.float64), wanted.astype(np.float64), rtol=rtol,
                            atol=ATOL_SCALE * max(scale, 1e-12)))


def _axes_close(mine: np.ndarray, wanted: np.ndarray, variances: np.ndarray) -> bool:
    """Principal axes, each up to its sign, where their variance defines them."""
    if mine.shape != wanted.shape:
        return False
    top = float(np.max(variances)) if variances.size else 0.0
    for k, variance in enumerate(variances):
        neighbours = [variances[j] for j in (k - 1, k + 1) if 0 <= j < len(variances)]
        apart = all(abs(variance - other) > AXIS_GAP * max(variance, other)
                    for other in neighbours)
        if variance <= AXIS_VARIANCE_FLOOR * top or not apart:
            continue
        sign = 1.0 if float(mine[k] @ wanted[k]) >= 0 else -1.0
        if not np.allclose(sign * mine[k], wanted[k], atol=AXIS_ATOL):
            return False
    return True


def verify_fitted(clean_worker, steps: list[Step], x, y, *, timeout: float | None = None
                  ) -> RemoteObject:
    """Rebuild the reported pipeline in the clean worker, fit it on ``(x, y)``, and check
    that the student's pipeline reported the same fitted statistics (it was fitted, on this
    data, with these settings).

    Returns
    -------
    RemoteObject
        The rebuilt, fitted pipeline in the clean worker: predict with it.

    Raises
    ------
    AssertionError
        A step was not fitted, or not on the data given.
    """
    rebuilt = clean_worker.tool("pipeline_from_spec", [s.spec() for s in steps], x, y,
                                timeout=timeout)
    trusted = clean_worker.tool("export_pipeline", rebuilt)["steps"]
    for step, wanted in zip(steps, trusted, strict=True):
        for attribute, value in wanted["fitted"].items():
            if attribute not in step.fitted:
                raise AssertionError(
                    _("the pipeline should be fitted: its step {name!r} is not").format(
                        name=step.name))
            mine, value = _array(step.fitted[attribute]), np.asarray(value)
            if attribute == "components_":
                variances = np.asarray(wanted["fitted"].get("explained_variance_", []))
                same = mine is not None and _axes_close(mine, value, variances)
            else:
                same = mine is not None and _close(mine, value)
            if not same:
                raise AssertionError(
                    _("the pipeline should be fitted on the data it is given: the fitted "
                      "{attribute} of its step {name!r} is not that of a fit on that "
                      "data").format(attribute=attribute, name=step.name)
                )
    return rebuilt
