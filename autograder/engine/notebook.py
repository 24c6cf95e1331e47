"""Read a submitted notebook and take from it only the code that grading needs.

Students' notebooks train models and draw figures at top level; re-running that would make
grading slow and fragile. What is taken from each code cell is what defines things:
imports, ``def`` and ``class`` blocks, and assignments of plain literals (``IMG_SIZE = 28``).
Everything else (training, plotting, printing) is left out. The code keeps its original line
numbers, so a traceback points at the student's own cell and line.

This module only reads text with :mod:`ast`; it never runs student code.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from autograder.i18n import _

_DEF_NAME = re.compile(r"^(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)", re.MULTILINE)


class SubmissionError(Exception):
    """The submission as a whole cannot be graded (unreadable file, not a notebook)."""


@dataclass(frozen=True)
class CodeCell:
    """The part of one notebook cell that the worker will run."""

    number: int  # 1-based position among all cells of the notebook, as Jupyter shows them
    source: str  # only the kept statements, at their original line numbers
    defines: tuple[str, ...]  # the top-level functions and classes it defines

    @property
    def filename(self) -> str:
        return f"<cell {self.number}>"


@dataclass(frozen=True)
class LoadProblem:
    """A cell that could not be taken, with a message for the student."""

    cell: int
    kind: str  # "syntax"
    message: str
    names: tuple[str, ...] = ()  # functions that cell appears to define


@dataclass
class Submission:
    """A notebook reduced to the code the grader runs."""

    path: Path
    assignment: str | None
    cells: list[CodeCell] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)
    skipped_statements: int = 0

    @property
    def defined_names(self) -> list[str]:
        return [name for cell in self.cells for name in cell.defines]

    def problem_for(self, name: str) -> LoadProblem | None:
        """The load problem that explains why ``name`` is missing, if any."""
        for problem in self.problems:
            if name in problem.names:
                return problem
        return None

    def summary(self) -> str:
        """One line saying what was taken from the notebook."""
        names = ", ".join(self.defined_names) or _("nothing")
        parts = [_("taken from {count} code cell(s): {names}").format(
            count=len(self.cells), names=names)]
        if self.skipped_statements:
            parts.append(_("{count} top-level statement(s) not run at grading time").format(
                count=self.skipped_statements))
        if self.problems:
            parts.append(_("{count} cell(s) could not be read").format(count=len(self.problems)))
        return "; ".join(parts)


def _is_plain_literal(node: ast.AST | None) -> bool:
    if node is None:
        return False
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _keep(statement: ast.stmt) -> bool:
    """Whether a top-level statement defines something grading may need."""
    if isinstance(
        statement,
        (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef),
    ):
        return True
    if isinstance(statement, ast.Assign):
        return all(isinstance(t, ast.Name) for t in statement.targets) and _is_plain_literal(
            statement.value
        )
    if isinstance(statement, ast.AnnAssign):
        return isinstance(statement.target, ast.Name) and _is_plain_literal(statement.value)
    return False


def _python_source(cell_source: str) -> str:
    """Turn IPython syntax (``%magic``, ``!shell``, ``obj?``) into plain Python.

    IPython's own transformer is token-aware (it leaves strings alone) and keeps one line
    per line, so line numbers still match the student's cell.
    """
    lines = cell_source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        # A cell magic such as %%time wraps the whole cell; grade the Python inside it.
        lines[0] = ""
    source = "\n".join(lines)
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # IPython comes with nbgrader; without it, plain Python only
        return source
    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # a cell IPython cannot read is reported by ast.parse below
        return source


def _statement_lines(statement: ast.stmt) -> tuple[int, int]:
    first = statement.lineno
    for decorator in getattr(statement, "decorator_list", []):
        first = min(first, decorator.lineno)
    return first, statement.end_lineno or statement.lineno


def extract_cell(number: int, cell_source: str) -> tuple[CodeCell | None, LoadProblem | None, int]:
    """Reduce one code cell to its defining statements.

    Parameters
    ----------
    number : int
        The cell's 1-based position in the notebook.
    cell_source : str
        The cell's text as the student wrote it.

    Returns
    -------
    cell : CodeCell or None
        The kept code, or ``None`` when nothing is kept.
    problem : LoadProblem or None
        Set when the cell is not valid Python.
    skipped : int
        How many top-level statements were left out.
    """
    source = _python_source(cell_source)
    try:
        tree = ast.parse(source, filename=f"<cell {number}>")
    except SyntaxError as error:
        names = tuple(_DEF_NAME.findall(source))
        message = _(
            "cell {cell} has a syntax error at line {line}: {error}; "
            "nothing in that cell could be graded"
        ).format(cell=number, line=error.lineno, error=error.msg)
        return None, LoadProblem(number, "syntax", message, names), 0

    lines = source.splitlines()
    kept_lines = [""] * len(lines)
    kept_rows: set[int] = set()
    skipped_rows: set[int] = set()
    defines: list[str] = []
    for statement in tree.body:
        first, last = _statement_lines(statement)
        rows = range(first - 1, last)
        if not _keep(statement):
            skipped_rows.update(rows)
            continue
        kept_rows.update(rows)
        for index in rows:
            kept_lines[index] = lines[index]
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defines.append(statement.name)
    kept = [s for s in tree.body if _keep(s)]
    skipped = len(tree.body) - len(kept)
    if not kept:
        return None, None, skipped
    if kept_rows & skipped_rows:
        # Statements sharing a line (``X = 1; train()``): rebuild the kept ones instead.
        kept_source = ast.unparse(ast.Module(kept, []))
    else:
        kept_source = "\n".join(kept_lines)
    return CodeCell(number, kept_source, tuple(defines)), None, skipped


def _assignment_of(notebook) -> str | None:
    meta = notebook.get("metadata", {}).get("cnnkit", {})
    assignment = meta.get("assignment") if isinstance(meta, dict) else None
    return assignment if isinstance(assignment, str) else None


def _is_current_notebook(parsed: object) -> bool:
    """Whether ``parsed`` is a notebook of the current format (4), which needs no conversion:
    what Jupyter, JupyterLab and Colab save."""
    return (isinstance(parsed, dict) and parsed.get("nbformat") == 4
            and isinstance(parsed.get("cells"), list))


def _upgraded_notebook(text: str, name: str) -> dict:
    """An older notebook converted to format 4 by nbformat, or the reason it is no notebook.

    nbformat is imported only here: its schema validator costs about a second to import,
    which every grading process would otherwise pay for notebooks that need no conversion.
    """
    import nbformat

    try:
        notebook = nbformat.reads(text, as_version=4)
        if not isinstance(notebook.get("cells"), list):
            raise ValueError(_("it has no list of cells"))
    except Exception as error:  # nbformat raises several kinds for a non-notebook file
        raise SubmissionError(_("{name} is not a Jupyter notebook: {error}").format(
            name=name, error=error)) from None
    return notebook


def load_submission(path: str | Path) -> Submission:
    """Read a notebook file and extract the code to grade.

    Parameters
    ----------
    path : str or Path
        The ``.ipynb`` file.

    Returns
    -------
    Submission

    Raises
    ------
    SubmissionError
        With a message for the student when the file is missing, not JSON, or not a notebook.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SubmissionError(
            _("the notebook {name} was not found").format(name=path.name)) from None
    except (OSError, UnicodeDecodeError) as error:
        raise SubmissionError(_("the notebook {name} could not be read: {error}").format(
            name=path.name, error=error)) from None
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as error:
        raise SubmissionError(
            _("{name} is not valid notebook JSON (line {line}, column {column}: {error}); "
              "was it edited outside Jupyter or saved half-way?").format(
                name=path.name, line=error.lineno, column=error.colno, error=error.msg)
        ) from None
    notebook = parsed if _is_current_notebook(parsed) else _upgraded_notebook(text, path.name)

    submission = Submission(path=path, assignment=_assignment_of(notebook))
    for number, cell in enumerate(notebook.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        code, problem, skipped = extract_cell(number, source)
        submission.skipped_statements += skipped
        if code is not None:
            submission.cells.append(code)
        if problem is not None:
            submission.problems.append(problem)
    return submission
