"""Read a saved notebook and run only its definitions, in this process.

What is taken from each code cell is what the course's grading takes: imports, ``def`` and
``class`` blocks, and assignments of plain literals (``EPOCHS = 3``). Training, plotting and
printing cells are left out, so the checks run in seconds. The code keeps its original line
numbers, so an error points at the student's own cell and line.

The extraction follows the same rules as the course's grader; it is a small copy so that this
package stands on its own.
"""

from __future__ import annotations

import ast
import json
import os
import re
import types
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cnnkit_student.i18n import LANGUAGES, _

_DEF_NAME = re.compile(r"^(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)", re.MULTILINE)


class NotebookError(Exception):
    """The notebook as a whole cannot be read (missing file, not JSON, not a notebook)."""


@dataclass(frozen=True)
class Cell:
    """The kept part of one code cell."""

    number: int  # 1-based position among all cells, as Jupyter shows them
    source: str  # only the kept statements, at their original line numbers
    defines: tuple[str, ...]

    @property
    def filename(self) -> str:
        return f"<cell {self.number}>"


@dataclass
class LoadedNotebook:
    """A notebook's definitions, run in a fresh module."""

    path: Path
    assignment: str | None
    cells: list[Cell] = field(default_factory=list)
    namespace: types.ModuleType | None = None
    problems: dict[str, str] = field(default_factory=dict)  # function name -> why missing
    notes: list[str] = field(default_factory=list)  # statements that failed to run

    def defines(self, name: str) -> bool:
        return self.namespace is not None and name in vars(self.namespace)


def _is_plain_literal(node: ast.AST | None) -> bool:
    if node is None:
        return False
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _keep(statement: ast.stmt) -> bool:
    if isinstance(statement, (ast.Import, ast.ImportFrom, ast.FunctionDef,
                              ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    if isinstance(statement, ast.Assign):
        return all(isinstance(t, ast.Name) for t in statement.targets) and _is_plain_literal(
            statement.value)
    if isinstance(statement, ast.AnnAssign):
        return isinstance(statement.target, ast.Name) and _is_plain_literal(statement.value)
    return False


def _python_source(cell_source: str) -> str:
    """IPython syntax (``%magic``, ``!shell``) turned into plain Python, one line per line."""
    lines = cell_source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        lines[0] = ""  # a cell magic wraps the whole cell: keep the Python inside it
    source = "\n".join(lines)
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return source
    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # a cell IPython cannot read is reported by ast.parse
        return source


def extract_cell(number: int, cell_source: str) -> tuple[Cell | None, str | None, tuple]:
    """Reduce one code cell to its defining statements.

    Parameters
    ----------
    number : int
        The cell's 1-based position in the notebook.
    cell_source : str
        The cell's text.

    Returns
    -------
    cell : Cell or None
        The kept statements, or ``None`` when nothing is kept.
    problem : str or None
        A message when the cell is not valid Python.
    names : tuple of str
        The functions a broken cell appears to define.
    """
    source = _python_source(cell_source)
    try:
        tree = ast.parse(source, filename=f"<cell {number}>")
    except SyntaxError as error:
        message = _("cell {number} has a syntax error at line {line}: {error}; nothing in "
                    "that cell could be checked").format(number=number, line=error.lineno,
                                                         error=error.msg)
        return None, message, tuple(_DEF_NAME.findall(source))
    lines = source.splitlines()
    kept = [statement for statement in tree.body if _keep(statement)]
    if not kept:
        return None, None, ()
    kept_lines = [""] * len(lines)
    for statement in kept:
        first = min([statement.lineno] + [d.lineno for d in
                                          getattr(statement, "decorator_list", [])])
        for index in range(first - 1, statement.end_lineno or statement.lineno):
            kept_lines[index] = lines[index]
    kept_source = "\n".join(kept_lines)
    try:
        ast.parse(kept_source)
    except SyntaxError:  # statements sharing a line (``X = 1; train()``): rebuild them
        kept_source = ast.unparse(ast.Module(kept, []))
    defines = tuple(s.name for s in kept if isinstance(
        s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))
    return Cell(number, kept_source, defines), None, ()


def read_cells(path: str | Path) -> tuple[dict, list[str]]:
    """The notebook's JSON and each code cell's source (``""`` for other cells).

    Raises
    ------
    NotebookError
        With a message for the student.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotebookError(_("the notebook {path} was not found").format(path=path)) from None
    except (OSError, UnicodeDecodeError) as error:
        raise NotebookError(_("the notebook {notebook} could not be read: {error}").format(
            notebook=path.name, error=error)) from None
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotebookError(_(
            "{notebook} is not valid notebook JSON (line {line}: {error}); was it saved "
            "half-way or edited outside Jupyter?").format(notebook=path.name, line=error.lineno,
                                                          error=error.msg)) from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise NotebookError(_("{notebook} is not a Jupyter notebook (it has no list of "
                              "cells)").format(notebook=path.name))
    sources = []
    for cell in notebook["cells"]:
        source = cell.get("source", "") if isinstance(cell, dict) else ""
        if isinstance(source, list):
            source = "".join(source)
        is_code = isinstance(cell, dict) and cell.get("cell_type") == "code"
        sources.append(source if is_code else "")
    return notebook, sources


def assignment_of(notebook: dict) -> str | None:
    """The assignment id a notebook declares in its metadata (``metadata.cnnkit``)."""
    meta = notebook.get("metadata", {}).get("cnnkit", {})
    value = meta.get("assignment") if isinstance(meta, dict) else None
    return value if isinstance(value, str) else None


#: The environment variable that chooses the language (see :mod:`cnnkit_student.i18n`).
LANGUAGE_ENV = "CNNKIT_LANG"
#: What Jupyter Server sets in a kernel's environment: the path of the kernel's notebook.
SESSION_ENV = "JPY_SESSION_NAME"


def language_of(notebook: dict) -> str | None:
    """The language a notebook declares in its metadata (``metadata.cnnkit.lang``): one of
    :data:`cnnkit_student.i18n.LANGUAGES`, or ``None`` when it declares none of them."""
    metadata = notebook.get("metadata") if isinstance(notebook, dict) else None
    meta = metadata.get("cnnkit") if isinstance(metadata, dict) else None
    value = meta.get("lang") if isinstance(meta, dict) else None
    return value if isinstance(value, str) and value in LANGUAGES else None


def notebook_language(path: str | Path | None) -> str | None:
    """The language a notebook file declares (``metadata.cnnkit.lang``).

    Parameters
    ----------
    path : str or Path or None
        The ``.ipynb`` file.

    Returns
    -------
    str or None
        ``None`` when there is no such file, it cannot be read as JSON, or it declares no
        language of the course: never an error.
    """
    if path is None or str(path) == "":
        return None
    try:
        notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    return language_of(notebook)


def session_language(environ: Mapping[str, str] | None = None) -> str | None:
    """The language of the running notebook session, when it can be told.

    ``CNNKIT_LANG`` when it names a language of the course; else the language declared by
    the notebook that Jupyter Server names in ``JPY_SESSION_NAME`` (its path: absolute, or
    relative to the server's folder, in which case the notebook is also looked for by name
    in the current folder, the kernel's); else ``None`` (the default language stays).

    Parameters
    ----------
    environ : mapping, optional
        The environment (``os.environ`` by default).

    Returns
    -------
    str or None
    """
    environ = os.environ if environ is None else environ
    chosen = environ.get(LANGUAGE_ENV, "").strip().lower()
    if chosen in LANGUAGES:
        return chosen
    session = environ.get(SESSION_ENV, "").strip()
    if not session:
        return None
    given = Path(session).expanduser()
    candidates = [given] if given.is_absolute() else [given, Path.cwd() / given.name]
    for candidate in candidates:
        found = notebook_language(candidate)
        if found is not None:
            return found
    return None


def load_notebook(path: str | Path) -> LoadedNotebook:
    """Read a saved notebook and run its definitions in a fresh module.

    Each kept statement runs on its own, so that an import that fails (a package that is
    not installed) costs only the functions that need it, and the message says which.

    Parameters
    ----------
    path : str or Path
        The ``.ipynb`` file.

    Returns
    -------
    LoadedNotebook
    """
    notebook, sources = read_cells(path)
    loaded = LoadedNotebook(Path(path), assignment_of(notebook))
    module = types.ModuleType("student_notebook")
    module.__dict__["__file__"] = str(path)
    failed_imports: dict[str, list[int]] = {}
    for number, source in enumerate(sources, start=1):
        if not source.strip():
            continue
        cell, problem, names = extract_cell(number, source)
        if problem is not None:
            for name in names:
                loaded.problems[name] = problem
            loaded.notes.append(problem)
            continue
        if cell is None:
            continue
        loaded.cells.append(cell)
        for statement in ast.parse(cell.source).body:
            code = compile(ast.Module([statement], []), cell.filename, "exec")
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    exec(code, module.__dict__)
            except ImportError as error:  # one note per missing module, not per cell
                missing = getattr(error, "name", None) or str(error)
                failed_imports.setdefault(missing, []).append(number)
            except Exception as error:  # the student's statement: report it, go on
                line = statement.lineno
                loaded.notes.append(_("cell {number}, line {line}: {error_type}: {error}").format(
                    number=number, line=line, error_type=type(error).__name__, error=error))
                if isinstance(statement, (ast.FunctionDef, ast.ClassDef)):
                    loaded.problems[statement.name] = _(
                        "its definition in cell {number} failed: {error_type}: {error}").format(
                        number=number, error_type=type(error).__name__, error=error)
    for missing, numbers in failed_imports.items():
        cells = ", ".join(str(n) for n in sorted(set(numbers)))
        loaded.notes.append(_("cannot import {module!r} (cell {cells}): a function that uses it "
                              "will fail its checks").format(module=missing, cells=cells))
    loaded.namespace = module
    return loaded


def function_sources(sources: list[str]) -> dict[str, str]:
    """The text of each top-level ``def`` in a list of cell sources (the last one wins),
    whitespace-normalised line by line; used to compare a saved file with what ran."""
    found = {}
    for source in sources:
        try:
            tree = ast.parse(_python_source(source))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                text = ast.get_source_segment(_python_source(source), node) or ""
                found[node.name] = "\n".join(line.rstrip() for line in text.splitlines())
    return found
