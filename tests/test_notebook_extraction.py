"""What the grader takes from a notebook: definitions only, with clear messages."""

from __future__ import annotations

import json

import nbformat
import pytest

from autograder.engine.notebook import SubmissionError, extract_cell, load_submission


def write_notebook(path, *sources: str):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    notebook.metadata["cnnkit"] = {"assignment": "01_mnist_cnn"}
    nbformat.write(notebook, path)
    return path


def test_definitions_imports_and_literals_are_kept_training_is_not():
    cell, problem, skipped = extract_cell(
        2,
        "import numpy as np\nEPOCHS = 3\nSHAPE = (28, 28, 1)\n"
        "def f(x):\n    return x + EPOCHS\n"
        "history = model.fit(x, y)\nprint('done')\n",
    )
    assert problem is None
    assert cell.defines == ("f",)
    assert skipped == 2
    assert "model.fit" not in cell.source and "print" not in cell.source
    assert "EPOCHS = 3" in cell.source and "SHAPE = (28, 28, 1)" in cell.source


def test_line_numbers_match_the_students_cell():
    source = "x = load()\n\ndef f():\n    return 1 / 0\n"
    cell, _, _ = extract_cell(5, source)
    assert cell.source.splitlines()[3] == "    return 1 / 0"
    assert cell.filename == "<cell 5>"


def test_ipython_magics_and_shell_lines_are_ignored():
    cell, problem, _ = extract_cell(1, "%matplotlib inline\n!pip list\ndef g():\n    return 2\n")
    assert problem is None and cell.defines == ("g",)


def test_cell_magic_body_is_still_graded():
    cell, problem, _ = extract_cell(1, "%%time\ndef g():\n    return 2\n")
    assert problem is None and cell.defines == ("g",)


def test_a_statement_sharing_a_line_with_a_definition_is_dropped():
    cell, _, skipped = extract_cell(1, "SIZE = 4; train()\n")
    assert skipped == 1 and "train" not in cell.source and "SIZE = 4" in cell.source


def test_syntax_error_names_the_cell_line_and_functions():
    cell, problem, _ = extract_cell(7, "def build_cnn(:\n    pass\n")
    assert cell is None
    assert problem.names == ("build_cnn",)
    assert "cell 7" in problem.message and "line 1" in problem.message


def test_malformed_json_is_a_clear_submission_error(tmp_path):
    path = tmp_path / "broken.ipynb"
    path.write_text('{"cells": [', encoding="utf-8")
    with pytest.raises(SubmissionError, match="not valid notebook JSON"):
        load_submission(path)


def test_a_file_that_is_not_a_notebook_is_a_clear_submission_error(tmp_path):
    path = tmp_path / "data.ipynb"
    path.write_text('{"hello": 1}', encoding="utf-8")
    with pytest.raises(SubmissionError, match="not a Jupyter notebook"):
        load_submission(path)


def test_an_older_notebook_format_is_upgraded_and_read(tmp_path):
    """A format-3 notebook (cells inside worksheets) takes the nbformat route: its code is
    found as in a current notebook."""
    path = tmp_path / "old.ipynb"
    cell = {"cell_type": "code", "input": "def f():\n    return 1\nprint(f())\n",
            "language": "python", "outputs": [], "metadata": {}}
    path.write_text(json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": ""},
                                "worksheets": [{"cells": [cell], "metadata": {}}]}),
                    encoding="utf-8")
    submission = load_submission(path)
    assert [c.defines for c in submission.cells] == [("f",)]
    assert submission.skipped_statements == 1


def test_missing_file_is_a_clear_submission_error(tmp_path):
    with pytest.raises(SubmissionError, match="not found"):
        load_submission(tmp_path / "absent.ipynb")


def test_submission_summary_and_assignment(tmp_path):
    path = write_notebook(tmp_path / "nb.ipynb", "def a():\n    pass", "a()", "def b(:\n")
    submission = load_submission(path)
    assert submission.assignment == "01_mnist_cnn"
    assert submission.defined_names == ["a"]
    assert submission.problem_for("b") is not None
    assert "1 cell(s) could not be read" in submission.summary()
