"""Which language the students' package speaks: ``check()``, ``cnnkit-check`` and the
notebooks' start-up cell.

``check()`` and ``cnnkit-check`` speak the language asked for, else the notebook's own
(``metadata.cnnkit.lang``), else ``CNNKIT_LANG``, else English; the notebooks' first cell
(``quiet_tensorflow()``) takes ``CNNKIT_LANG``, else the language of the notebook that
Jupyter names in ``JPY_SESSION_NAME``. Only the choice is tested here (the language in use
while the checks run, and after): what the Spanish catalog says is not.
"""

from __future__ import annotations

import gettext
import json
import sys
import types
from pathlib import Path

import pytest

from cnnkit_student import cli, frozen, i18n, runner, startup
from cnnkit_student.i18n import current_language, set_language
from cnnkit_student.notebook import notebook_language, session_language


@pytest.fixture(autouse=True)
def english_process(monkeypatch):
    """No language chosen anywhere, and no catalog needed (English ids stand for any
    language: only which language is in use matters here)."""
    for variable in ("CNNKIT_LANG", "JPY_SESSION_NAME"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(i18n, "_catalog", lambda lang: gettext.NullTranslations())
    set_language(None)
    yield
    set_language(None)


def _notebook(folder: Path, lang: str | None = None, name: str = "mnist_cnn.ipynb",
              assignment: str | None = "01_mnist_cnn") -> Path:
    meta = {} if assignment is None else {"assignment": assignment}
    if lang is not None:
        meta["lang"] = lang
    path = folder / name
    path.write_text(json.dumps({"cells": [], "metadata": {"cnnkit": meta}, "nbformat": 4,
                                "nbformat_minor": 5}), encoding="utf-8")
    return path


@pytest.fixture
def heard(monkeypatch) -> list[str]:
    """The language in use when the checks would run (they are not run)."""
    languages: list[str] = []

    def run_checks(path, assignment_id, functions=(), *, stream=None):
        languages.append(current_language())
        return runner.Report(Path(path), assignment_id)

    def with_the_grader(path, assignment_id, out):
        languages.append(current_language())
        return 0.0

    monkeypatch.setattr(runner, "run_checks", run_checks)
    monkeypatch.setattr(runner, "_check_with_the_grader", with_the_grader)
    return languages


# -- check() -----------------------------------------------------------------------------------
def test_check_speaks_english_by_default(tmp_path, heard):
    runner.check(str(_notebook(tmp_path)))
    assert heard == ["en"]


def test_check_follows_cnnkit_lang_when_the_notebook_says_nothing(tmp_path, heard,
                                                                   monkeypatch):
    monkeypatch.setenv("CNNKIT_LANG", "es")
    runner.check(str(_notebook(tmp_path)))
    assert heard == ["es"]


def test_the_notebooks_metadata_wins_over_cnnkit_lang(tmp_path, heard, monkeypatch):
    runner.check(str(_notebook(tmp_path, lang="es", name="spanish.ipynb")))
    monkeypatch.setenv("CNNKIT_LANG", "es")
    runner.check(str(_notebook(tmp_path, lang="en", name="english.ipynb")))
    assert heard == ["es", "en"]


def test_the_lang_argument_wins_over_the_notebook(tmp_path, heard, monkeypatch):
    monkeypatch.setenv("CNNKIT_LANG", "es")
    spanish = str(_notebook(tmp_path, lang="es"))
    runner.check(spanish, lang="en")
    runner.check(spanish, "build_cnn", lang="en")
    assert heard == ["en", "en"]


def test_a_function_name_finds_the_notebook_and_its_language(tmp_path, heard, monkeypatch):
    _notebook(tmp_path, lang="es")
    monkeypatch.chdir(tmp_path)
    runner.check("build_cnn")
    runner.check()
    assert heard == ["es", "es"]


def test_check_restores_the_language_in_use(tmp_path, heard):
    runner.check(str(_notebook(tmp_path, lang="es")))
    assert heard == ["es"] and current_language() == "en"
    set_language("es")
    runner.check(str(_notebook(tmp_path, lang="en", name="english.ipynb")), lang="en")
    assert heard == ["es", "en"] and current_language() == "es"


def test_check_refuses_an_unknown_language(tmp_path, heard):
    with pytest.raises(ValueError, match="not one of"):
        runner.check(str(_notebook(tmp_path)), lang="fr")
    assert heard == []


def test_a_notebook_that_cannot_be_checked_still_gives_its_language(tmp_path, heard):
    # No assignment declared and an unknown name: the run only reports the problem, in the
    # notebook's language.
    path = _notebook(tmp_path, lang="es", name="homework.ipynb", assignment=None)
    assert runner.checks_language(str(path)) == "es"
    assert runner.check(str(path), stream=sys.stdout) == 0.0
    assert heard == []


def test_notebook_language_never_fails(tmp_path):
    assert notebook_language(tmp_path / "missing.ipynb") is None
    assert notebook_language(None) is None
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json", encoding="utf-8")
    assert notebook_language(broken) is None
    assert notebook_language(tmp_path) is None  # a folder
    assert notebook_language(_notebook(tmp_path, lang="fr", name="french.ipynb")) is None
    assert notebook_language(_notebook(tmp_path, lang="es")) == "es"


# -- cnnkit-check ------------------------------------------------------------------------------
@pytest.fixture
def checks_available(monkeypatch):
    monkeypatch.setattr(frozen.Expected, "available", lambda self: True)


def test_cnnkit_check_refuses_an_unknown_language(tmp_path, heard, capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main([str(_notebook(tmp_path)), "--lang", "xx"])
    assert stopped.value.code == 2
    assert "--lang" in capsys.readouterr().err
    assert heard == []


def test_cnnkit_check_chooses_its_language_like_check(tmp_path, heard, checks_available,
                                                      monkeypatch):
    plain = str(_notebook(tmp_path, name="plain.ipynb"))
    spanish = str(_notebook(tmp_path, lang="es", name="spanish.ipynb"))
    english = str(_notebook(tmp_path, lang="en", name="english.ipynb"))
    assert cli.main([plain]) == 1  # no check ran: not all passed
    cli.main([plain, "--lang", "es"])
    cli.main([spanish])
    cli.main([spanish, "--lang=en"])
    monkeypatch.setenv("CNNKIT_LANG", "es")
    cli.main([plain])
    cli.main([english])
    assert heard == ["en", "es", "es", "en", "es", "en"]
    assert current_language() == "es"  # CNNKIT_LANG: nothing was left set
    monkeypatch.delenv("CNNKIT_LANG")
    assert current_language() == "en"


def test_cnnkit_check_help_language_is_read_before_parsing():
    assert cli._asked_language(["nb.ipynb", "--lang", "es"]) == "es"
    assert cli._asked_language(["--lang=en", "nb.ipynb"]) == "en"
    assert cli._asked_language(["nb.ipynb", "--lang", "xx"]) is None
    assert cli._asked_language(["nb.ipynb", "--", "--lang", "es"]) is None


# -- the notebooks' start-up cell ----------------------------------------------------------------
@pytest.fixture
def tensorflow_loaded(monkeypatch):
    """``quiet_tensorflow`` sees TensorFlow as imported already: it sets the language and
    returns, without the slow import."""
    monkeypatch.setitem(sys.modules, "tensorflow", types.ModuleType("tensorflow"))
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")


def test_quiet_tensorflow_takes_the_language_of_the_jupyter_session(tmp_path, monkeypatch,
                                                                    tensorflow_loaded):
    monkeypatch.setenv("JPY_SESSION_NAME", str(_notebook(tmp_path, lang="es")))
    startup.quiet_tensorflow()
    assert current_language() == "es"


def test_a_relative_session_name_is_looked_for_in_the_kernels_folder(tmp_path, monkeypatch,
                                                                     tensorflow_loaded):
    _notebook(tmp_path, lang="es")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JPY_SESSION_NAME", "course/week1/mnist_cnn.ipynb")
    startup.quiet_tensorflow()
    assert current_language() == "es"


def test_cnnkit_lang_wins_over_the_jupyter_session(tmp_path, monkeypatch, tensorflow_loaded):
    monkeypatch.setenv("JPY_SESSION_NAME", str(_notebook(tmp_path, lang="es")))
    monkeypatch.setenv("CNNKIT_LANG", "en")
    startup.quiet_tensorflow()
    assert current_language() == "en"
    assert session_language({"CNNKIT_LANG": "es"}) == "es"


@pytest.mark.parametrize("session", ["", "missing.ipynb", "broken.ipynb", "."])
def test_quiet_tensorflow_never_fails_for_the_language(tmp_path, monkeypatch,
                                                       tensorflow_loaded, session):
    (tmp_path / "broken.ipynb").write_text("{not json", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JPY_SESSION_NAME", session)
    startup.quiet_tensorflow()
    assert current_language() == "en"
    assert session_language() is None


def test_the_start_up_survives_an_error_while_looking(monkeypatch, tensorflow_loaded):
    import cnnkit_student.notebook as notebook

    def broken(environ=None):
        raise RuntimeError("unexpected")

    monkeypatch.setattr(notebook, "session_language", broken)
    startup.quiet_tensorflow()
    assert current_language() == "en"
