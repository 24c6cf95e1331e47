"""Rubric: the training callbacks (early stopping, a learning rate lowered on a plateau) and the
training with them.

The callbacks the student's ``training_callbacks`` returns stay in the student's worker: their
settings are described there (the student's answer) and compared with the reference's,
described here. Their effect is measured on a plateau: a tiny seeded classifier, built in the
clean worker and handed to the student's worker as plain data, is trained on fixed data whose
validation labels are partly flipped, so that the validation loss falls for a few epochs and
then climbs. What that training should give (how many epochs, the learning rate of each, the
validation loss of the weights kept) is measured in the clean worker with callbacks built there
from the reference's settings; the model the student's side trained is rebuilt in the clean
worker and measured there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pytest

from autograder.engine.client import RemoteObject, rebuild_model
from autograder.i18n import _
from cnnkit_student.describe import describe_callbacks

FEATURES, SAMPLES = 6, 32
LEARNING_RATE = 0.1  # large, so that the few epochs of the plateau take a second
EPOCHS = 12
SEED = 0
# Not the defaults, and chosen so that each argument shows in the plateau's run: the best
# validation loss comes at the 4th epoch, so stop_patience=3 stops after 7 epochs (the
# default 5 would stop after 9); lr_patience=1 lowers the rate after the 5th and 6th epochs
# (0.1 -> 0.05 -> 0.03), where lr_factor=0.2 would floor it at once, min_lr=1e-5 would let it
# reach 0.025, and lr_patience=4 would not lower it at all.
PLATEAU_ARGUMENTS = {"stop_patience": 3, "lr_factor": 0.5, "lr_patience": 1, "min_lr": 0.03}
OTHER_ARGUMENTS = [
    {"monitor": "loss", "stop_patience": 3, "lr_factor": 0.5, "lr_patience": 2, "min_lr": 1e-3},
    {"monitor": "val_accuracy", "stop_patience": 7, "lr_factor": 0.3, "lr_patience": 1,
     "min_lr": 1e-4},
]


def _plateau_data() -> tuple[np.ndarray, ...]:
    """Training labels a linear rule gives; the same rule on the validation inputs with 40%
    of the labels flipped, so that fitting the rule ever more confidently ends up hurting."""
    rng = np.random.default_rng(1)
    rule = rng.normal(size=FEATURES)
    x = rng.normal(size=(SAMPLES, FEATURES)).astype(np.float32)
    y = (x @ rule > 0).astype(np.int64)
    x_val = rng.normal(size=(SAMPLES, FEATURES)).astype(np.float32)
    y_val = (x_val @ rule > 0).astype(np.int64)
    flipped = rng.permutation(SAMPLES)[:int(0.4 * SAMPLES)]
    y_val[flipped] = 1 - y_val[flipped]
    return x, y, x_val, y_val


@dataclass
class Plateau:
    """The tiny model and the data as batches, in one worker."""

    model: RemoteObject
    data: dict[str, RemoteObject]  # "train" / "validation" batches
    batch_size: int


def _plateau(where, batch_size: int = SAMPLES) -> Plateau:
    """The seeded tiny model, compiled, and the plateau's data in ``where``; in the student's
    worker the model is the clean worker's, sent as plain data (architecture and weights)."""
    x, y, x_val, y_val = _plateau_data()
    model = where.tool("tiny_classifier", (FEATURES,), 2, seed=SEED)
    where.tool("compile_for_grading", model, LEARNING_RATE)
    return Plateau(model, {"train": where.tool("batched_dataset", x, y, batch_size),
                           "validation": where.tool("batched_dataset", x_val, y_val,
                                                    batch_size)}, batch_size)


def _student_plateau(worker, clean_worker, batch_size: int = SAMPLES) -> Plateau:
    known = clean_worker.tool("tiny_classifier", (FEATURES,), 2, seed=SEED)
    weights = [np.asarray(w) for w in known.call("get_weights")]
    model = worker.tool("import_model", known.call("to_json"), weights)
    worker.tool("compile_for_grading", model, LEARNING_RATE)
    x, y, x_val, y_val = _plateau_data()
    return Plateau(model, {"train": worker.tool("batched_dataset", x, y, batch_size),
                           "validation": worker.tool("batched_dataset", x_val, y_val,
                                                     batch_size)}, batch_size)


def _reference_settings(reference, **arguments) -> list[dict]:
    return describe_callbacks(reference.training_callbacks(**arguments))["callbacks"]


# Measurements of the clean worker, by what was measured: they do not depend on the
# submission, so a grading process measures each once.
_MEASURED: dict[str, dict] = {}


def _expected_run(clean_worker, settings: list[dict], batch_size: int = SAMPLES,
                  **fit) -> dict:
    """The clean worker's training of the tiny model with callbacks built from ``settings``:
    the per-epoch values, and the best epoch's validation loss, the one of the weights kept
    (the validation data is a single batch, so the History holds exactly that loss)."""
    key = json.dumps([settings, batch_size, fit], sort_keys=True)
    if key not in _MEASURED:
        plateau = _plateau(clean_worker, batch_size)
        callbacks = clean_worker.tool("make_callbacks", settings)
        run = clean_worker.tool("fit_with_callbacks", plateau.model, plateau.data["train"],
                                plateau.data["validation"], callbacks=callbacks, seed=SEED,
                                **fit)
        history = run["history"]
        _MEASURED[key] = {"history": history,
                          "kept_loss": float(np.min(history.get("val_loss", [np.nan])))}
    return _MEASURED[key]


def _kept_loss(plateau: Plateau, clean_worker) -> float:
    """The validation loss of the student's side's model as it is now, rebuilt and measured
    in the clean worker."""
    trained = rebuild_model(plateau.model, clean_worker)
    clean_worker.tool("compile_for_grading", trained)  # measured with the course's loss
    _x, _y, x_val, y_val = _plateau_data()
    return float(trained.call("evaluate", x_val, y_val, verbose=0, return_dict=True)["loss"])


def _close(actual, expected) -> bool:
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    return actual.shape == expected.shape and np.allclose(actual, expected, rtol=1e-4,
                                                          atol=1e-6)


def _check_plateau_run(values: dict, kept_loss: float, expected: dict) -> None:
    """The run on the plateau against the clean worker's: epochs, learning rates, validation
    losses and the weights kept (the learning rates first: they say why losses differ)."""
    wanted = expected["history"]
    assert "val_loss" in values, (
        _("the history has no 'val_loss': the validation data was not used")
    )
    epochs, wanted_epochs = len(values["val_loss"]), len(wanted["val_loss"])
    best = int(np.argmin(wanted["val_loss"])) + 1
    assert epochs == wanted_epochs, (
        _("the training ran {epochs} epochs; with the best validation loss at epoch {best} and "
          "a stopping patience of {patience}, it should stop after {expected} of the {asked} "
          "asked").format(epochs=epochs, best=best, patience=wanted_epochs - best,
                          expected=wanted_epochs, asked=EPOCHS)
    )
    assert "learning_rate" in values, (
        _("the history has no 'learning_rate': no ReduceLROnPlateau took part in the training")
    )
    assert _close(values["learning_rate"], wanted["learning_rate"]), (
        _("the learning rates of the epochs are {got}, {expected} expected: the rate should "
          "be multiplied by the factor after the patience's epochs without improvement, never "
          "below min_lr").format(got=np.round(values["learning_rate"], 4).tolist(),
                                 expected=np.round(wanted["learning_rate"], 4).tolist())
    )
    assert _close(values["val_loss"], wanted["val_loss"]), (
        _("the validation losses of the epochs are not those of this training with these "
          "callbacks")
    )
    assert abs(kept_loss - expected["kept_loss"]) <= 1e-4 * max(1.0, expected["kept_loss"]), (
        _("after the early stop the model's validation loss is {got:.4f}, not the best "
          "epoch's {best:.4f}: the best weights were not restored").format(
            got=kept_loss, best=expected["kept_loss"])
    )


def _settings_problem(described: dict, expected: list[dict], arguments: str) -> str | None:
    """The first difference between the student's callbacks and the reference's, in words."""
    if not described.get("is_list"):
        return _("a list of callbacks is expected, got a {kind}").format(kind=described["type"])
    got = described["callbacks"]
    kinds = [item["kind"] or item["type"] for item in got]
    wanted = [item["kind"] for item in expected]
    if kinds != wanted:
        return _("the callbacks should be {expected}, in this order; got {got}").format(
            expected=wanted, got=kinds)
    for item, reference in zip(got, expected, strict=True):
        for name, value in reference["settings"].items():
            actual = item["settings"].get(name)
            same = (actual == value if not isinstance(value, float)
                    else isinstance(actual, (int, float)) and np.isclose(actual, value))
            if not same:
                return _("with {arguments}, {kind}'s {name} is {got!r}, {expected!r} "
                         "expected").format(arguments=arguments, kind=reference["kind"],
                                            name=name, got=actual, expected=value)
    return None


def _student_settings(student, worker, **arguments) -> dict:
    return worker.tool("callback_settings", student.training_callbacks(**arguments))


@pytest.mark.rubric(points=1, visibility="public")
def test_training_callbacks_default_to_the_course_settings(student, worker, reference):
    """training_callbacks: with the default arguments, a list of an EarlyStopping and a
    ReduceLROnPlateau, in that order, with the course's settings (val_loss, patience 5 with
    the best weights restored; factor 0.2, patience 4, min_lr 1e-5)."""
    problem = _settings_problem(_student_settings(student, worker),
                                _reference_settings(reference), _("the default arguments"))
    assert problem is None, problem


@pytest.mark.rubric(points=1, visibility="hidden")
def test_training_callbacks_follow_every_argument(student, worker, reference):
    """training_callbacks: another monitored metric, patiences, factor and minimum learning
    rate reach the callbacks they belong to."""
    for arguments in OTHER_ARGUMENTS:
        shown = ", ".join(f"{name}={value!r}" for name, value in arguments.items())
        problem = _settings_problem(_student_settings(student, worker, **arguments),
                                    _reference_settings(reference, **arguments), shown)
        assert problem is None, problem


@pytest.mark.rubric(points=2, visibility="hidden")
def test_training_callbacks_stop_early_lower_the_rate_and_restore_the_best_weights(
    student, worker, clean_worker, reference
):
    """training_callbacks: used in a training where the validation loss stops improving, the
    callbacks end it when the stopping patience says, lower the learning rate by the factor
    down to min_lr, and leave the model with the best epoch's weights."""
    plateau = _student_plateau(worker, clean_worker)
    expected = _expected_run(clean_worker, _reference_settings(reference, **PLATEAU_ARGUMENTS),
                             epochs=EPOCHS)
    callbacks = student.training_callbacks(**PLATEAU_ARGUMENTS)
    described = worker.tool("callback_settings", callbacks)
    assert described.get("is_list") and all(item["kind"] for item in described["callbacks"]), (
        _("a list of Keras callbacks (EarlyStopping, ReduceLROnPlateau) is expected")
    )
    # The kit trains with the student's callbacks, in the student's worker, as the course's
    # training cell does.
    run = worker.tool("fit_with_callbacks", plateau.model, plateau.data["train"],
                      plateau.data["validation"], epochs=EPOCHS, callbacks=callbacks,
                      seed=SEED)
    _check_plateau_run(run["history"], _kept_loss(plateau, clean_worker), expected)


def _history_values(result) -> dict:
    described = result.inspect("history") if hasattr(result, "inspect") else {}
    assert described.get("is_history"), _("the keras History returned by model.fit is expected")
    return described["history"]


@pytest.mark.rubric(points=1, visibility="public")
def test_train_with_callbacks_returns_the_history_of_fit_with_validation_and_callbacks(
    student, worker, clean_worker
):
    """train_with_callbacks: trains the model for the given epochs with the validation data
    and the callbacks given, and returns fit's History."""
    plateau = _student_plateau(worker, clean_worker)
    # A callback that leaves a trace in the History whenever it takes part: the learning rate.
    settings = [{"kind": "ReduceLROnPlateau",
                 "settings": {"monitor": "val_loss", "factor": 0.5, "patience": 1}}]
    expected = _expected_run(clean_worker, settings, epochs=3)["history"]
    history = student.train_with_callbacks(plateau.model, plateau.data["train"],
                                           plateau.data["validation"], 3,
                                           worker.tool("make_callbacks", settings), verbose=0)
    values = _history_values(history)
    for key in ("loss", "val_loss"):
        assert key in values and len(values[key]) == 3, (
            _("the history should have 3 values of '{key}' (3 epochs asked, with validation "
              "data)").format(key=key)
        )
    assert "learning_rate" in values, (
        _("the history has no 'learning_rate': the callbacks given were not passed to fit")
    )
    assert _close(values["loss"], expected["loss"]) and _close(values["val_loss"],
                                                               expected["val_loss"]), (
        _("the losses are not those of the model given, trained on the data given: fit that "
          "model on train_data with validation_data")
    )


@pytest.mark.rubric(points=2, visibility="hidden")
def test_train_with_callbacks_lets_the_callbacks_stop_and_restore(student, worker, clean_worker,
                                                                   reference):
    """train_with_callbacks: with the course's callbacks on a training whose validation loss
    stops improving, the History ends at the early stop, records the lowered learning rates,
    and the model keeps the best epoch's weights."""
    plateau = _student_plateau(worker, clean_worker)
    settings = _reference_settings(reference, **PLATEAU_ARGUMENTS)
    expected = _expected_run(clean_worker, settings, epochs=EPOCHS)
    history = student.train_with_callbacks(plateau.model, plateau.data["train"],
                                           plateau.data["validation"], EPOCHS,
                                           worker.tool("make_callbacks", settings), verbose=0)
    _check_plateau_run(_history_values(history), _kept_loss(plateau, clean_worker), expected)


@pytest.mark.rubric(points=1, visibility="hidden")
def test_train_with_callbacks_passes_the_steps_on(student, worker, clean_worker):
    """train_with_callbacks: steps_per_epoch and validation_steps decide how many batches each
    epoch trains on and validates on."""
    plateau = _student_plateau(worker, clean_worker, batch_size=8)  # 4 batches in each split
    steps = {"steps_per_epoch": 2, "validation_steps": 1}
    expected = _expected_run(clean_worker, [], batch_size=8, epochs=3, **steps)["history"]
    history = student.train_with_callbacks(plateau.model, plateau.data["train"],
                                           plateau.data["validation"], 3, [], verbose=0,
                                           **steps)
    values = _history_values(history)
    assert "val_loss" in values and _close(values["loss"], expected["loss"]) and _close(
        values["val_loss"], expected["val_loss"]), (
        _("with steps_per_epoch=2 and validation_steps=1 the losses are not those of 2 "
          "training batches and 1 validation batch per epoch: pass both on to fit")
    )
