"""Where the course's words are, whether each has its translation, and the translated notebooks.

Three kinds of catalogs, all gettext ``.po`` files read and written with Babel:

- ``cnnkit_student`` (in the students' package): what the students' package says: public
  checks' rubric lines and messages, ``check()`` output, loaders' messages;
- ``cnnkit`` (in the grader): hidden rubric lines (each hidden test's docstring), hidden
  tests' messages, reports, the command line, nbgrader and Gradescope lines;
- ``notebook_<assignment>`` (in the grader): the prose of each reference notebook: markdown
  cells, docstrings and comments of its code cells, and the words its demo cells print or put
  on figures. The code itself is the same in every language;
- ``document_<name>``: student-facing documents beside the notebooks (``CONTRACT.md``), one
  message per Markdown block.

:func:`extract` finds the message ids in the sources (the English text), :func:`problems` lists
what a catalog lacks (no translation, a translation marked fuzzy because its English changed,
an entry whose English is gone, named fields that differ), and :func:`update` brings a catalog
in line with its sources for a translator (``cnnkit translations --update``).
"""

from __future__ import annotations

import ast
import inspect
import io
import re
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from autograder import i18n
from autograder.nbgrader_bridge import _is_grade_cell
from cnnkit_student import i18n as student_i18n

ROOT = Path(__file__).resolve().parent
STUDENT_PACKAGE = Path(student_i18n.__file__).resolve().parent
TRANSLATED = tuple(lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT_LANGUAGE)

#: Calls whose first argument is a message id, and those whose n-th argument is one.
MESSAGE_CALLS = {"_": (0,), "N_": (0,), "ngettext": (0, 1)}
REGISTERED_TEXT = {"rubric": 2, "requirement": 1}  # public checks' texts (cnnkit_student)
SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"
#: Calls in a notebook's code whose string arguments are words a student reads.
SHOWN_BY = {"print", "title", "set_title", "suptitle", "xlabel", "ylabel", "set_xlabel",
            "set_ylabel", "text", "legend"}
#: Keyword arguments of any call whose strings are shown (a curve's legend, a title).
SHOWN_AS = {"label", "title", "xlabel", "ylabel"}


@dataclass(frozen=True)
class Message:
    """One message id and where it is used (``file:line``)."""

    id: str
    where: str
    plural: str | None = None


def normalized(text: str) -> str:
    """Whitespace of a rubric line folded as the grader shows it."""
    return " ".join(text.split())


# -- message ids in Python sources -----------------------------------------------------------
def _name_of(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _argument(call: ast.Call, position: int, keyword: str | None = None) -> ast.expr | None:
    if position < len(call.args):
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def python_messages(path: Path, *, registered: bool = False, rubric_docstrings: bool = False,
                    relative_to: Path = ROOT) -> tuple[list[Message], list[str]]:
    """Message ids in one Python file, and the calls whose message is not a plain literal.

    Parameters
    ----------
    path : Path
    registered : bool
        Also take the texts given to ``rubric(...)`` and ``requirement(...)``.
    rubric_docstrings : bool
        Also take the first paragraph of the docstring of each test with a rubric marker.

    Returns
    -------
    messages : list of Message
    errors : list of str
        ``file:line: why`` for each translated call whose text is not a string literal
        (an f-string or a variable cannot be looked up in a catalog).
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    where = path.relative_to(relative_to) if path.is_relative_to(relative_to) else path
    messages: list[Message] = []
    errors: list[str] = []

    def literal(node: ast.expr | None, line: int) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        errors.append(f"{where}:{line}: the message is not a string literal")
        return None

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _name_of(node)
            if name in MESSAGE_CALLS:  # _(...) or i18n._(...)
                texts = [literal(_argument(node, i), node.lineno) for i in MESSAGE_CALLS[name]]
                if all(t is not None for t in texts):
                    messages.append(Message(texts[0], f"{where}:{node.lineno}",
                                            texts[1] if len(texts) > 1 else None))
            elif registered and name in REGISTERED_TEXT:
                text = literal(_argument(node, REGISTERED_TEXT[name], "text"), node.lineno)
                if text is not None:
                    messages.append(Message(normalized(text), f"{where}:{node.lineno}"))
        elif rubric_docstrings and isinstance(node, ast.FunctionDef) and _has_rubric(node):
            doc = ast.get_docstring(node)
            if doc:
                first = normalized(doc.strip().split("\n\n")[0])
                messages.append(Message(first, f"{where}:{node.lineno}"))
            else:
                errors.append(f"{where}:{node.lineno}: a rubric test without a docstring")
    return messages, errors


def _has_rubric(function: ast.FunctionDef) -> bool:
    return any("rubric" in ast.unparse(d) for d in function.decorator_list)


def _python_files(folder: Path) -> list[Path]:
    """The modules whose messages are extracted (not the ones defining ``_`` itself)."""
    return sorted(p for p in folder.rglob("*.py")
                  if "__pycache__" not in p.parts and p.name != "i18n.py")


def student_messages() -> tuple[list[Message], list[str]]:
    """Everything the students' package says (domain ``cnnkit_student``)."""
    found: list[Message] = []
    errors: list[str] = []
    for path in _python_files(STUDENT_PACKAGE):
        messages, problems = python_messages(path, registered=True,
                                             relative_to=STUDENT_PACKAGE.parent)
        found += messages
        errors += problems
    return found, errors


def grader_messages() -> tuple[list[Message], list[str]]:
    """Everything the grader says to students (domain ``cnnkit``)."""
    found: list[Message] = []
    errors: list[str] = []
    for path in _python_files(ROOT):
        is_suite_test = path.parent.parent.name == "suites" and path.name.startswith("test_")
        messages, problems = python_messages(path, rubric_docstrings=is_suite_test,
                                             relative_to=ROOT.parent)
        found += messages
        errors += problems
    return found, errors


# -- the prose of a notebook ---------------------------------------------------------------
@dataclass(frozen=True)
class Span:
    """A piece of a code cell's source to translate: ``text`` is its message id; the source
    from ``start`` to ``end`` (offsets) is rewritten by ``render(translation)``."""

    text: str
    start: int
    end: int
    kind: str  # "comment", "docstring" or "string"
    indent: str = ""
    quote: str = ""
    prefix: str = ""


def _offsets(source: str) -> list[int]:
    starts, total = [0], 0
    for line in source.splitlines(keepends=True):
        total += len(line)
        starts.append(total)
    return starts


def _solution_lines(source: str) -> set[int]:
    """1-based numbers of the lines inside (and on) solution markers."""
    inside, lines = False, set()
    for number, line in enumerate(source.splitlines(), start=1):
        if SOLUTION_BEGIN in line:
            inside = True
        if inside:
            lines.add(number)
        if SOLUTION_END in line:
            inside = False
    return lines


def code_spans(source: str) -> list[Span]:
    """The comments, docstrings and shown strings of a code cell, outside solution regions.

    Consecutive full-line comments at one indentation are one message (a sentence may run over
    several lines); their translation is written back as as many comment lines as it has.
    """
    try:
        tree = ast.parse(source)
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (SyntaxError, tokenize.TokenError):
        return []
    starts = _offsets(source)
    hidden = _solution_lines(source)

    def offset(position: tuple[int, int]) -> int:
        return starts[position[0] - 1] + position[1]

    spans: list[Span] = []
    # comments: blocks of full-line comments, and trailing comments on their own
    block: list[tokenize.TokenInfo] = []

    def close_block() -> None:
        if block:
            text = "\n".join(t.string[1:].strip() for t in block)
            indent = " " * block[0].start[1]
            spans.append(Span(text, offset(block[0].start), offset(block[-1].end), "comment",
                              indent=indent))
            block.clear()

    for token in tokens:
        if token.type != tokenize.COMMENT:
            if token.type not in (tokenize.NL, tokenize.NEWLINE):
                close_block()
            continue
        body = token.string[1:].strip()
        if token.start[0] in hidden or not body or body.startswith(("#", "noqa", "type:")):
            close_block()
            continue
        own_line = token.line[:token.start[1]].strip() == ""
        if not own_line:
            close_block()
            spans.append(Span(body, offset(token.start), offset(token.end), "comment"))
            continue
        if block and (block[-1].start[1] != token.start[1]
                      or block[-1].start[0] != token.start[0] - 1):
            close_block()
        block.append(token)
    close_block()

    # docstrings and the strings a demo shows (print, titles, labels)
    strings = {(t.start, t.end): t for t in tokens if t.type == tokenize.STRING}
    lines = source.splitlines()

    def column(line: int, byte_offset: int) -> int:
        """ast counts a column in UTF-8 bytes, tokenize in characters."""
        return len(lines[line - 1].encode("utf-8")[:byte_offset].decode("utf-8"))

    def string_span(node: ast.Constant, kind: str) -> None:
        if node.lineno in hidden:
            return
        token = strings.get(((node.lineno, column(node.lineno, node.col_offset)),
                             (node.end_lineno, column(node.end_lineno, node.end_col_offset))))
        if token is None:  # implicit concatenation: not translated
            return
        match = re.match(r"^([rRbBuUfF]*)('''|\"\"\"|'|\")", token.string)
        if match is None or "b" in match.group(1).lower():
            return
        prefix, quote = match.groups()
        body = token.string[len(prefix) + len(quote):-len(quote)]
        if not re.search(r"[A-Za-z]{2}", body):
            return
        if kind == "docstring":
            indent = " " * column(node.lineno, node.col_offset)
            text = inspect.cleandoc(body)
            spans.append(Span(text, offset(token.start), offset(token.end), kind, indent=indent,
                              quote=quote, prefix=prefix))
        else:
            spans.append(Span(body, offset(token.start), offset(token.end), kind,
                              quote=quote, prefix=prefix))

    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef) and node.body:
            first = node.body[0]
            if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)):
                string_span(first.value, "docstring")
        if isinstance(node, ast.Call):
            arguments = [k.value for k in node.keywords if k.arg in SHOWN_AS]
            if _name_of(node) in SHOWN_BY:
                arguments += list(node.args)
            for argument in arguments:
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    string_span(argument, "string")
                elif isinstance(argument, ast.JoinedStr):
                    string_span(argument, "string")  # type: ignore[arg-type]
    return sorted(spans, key=lambda s: s.start)


def render_span(span: Span, translation: str, source: str) -> str:
    """The source text that replaces ``span`` for ``translation``."""
    if span.kind == "comment":
        lines = translation.split("\n")
        return ("\n" + span.indent).join("# " + line if line else "#" for line in lines)
    if span.kind == "docstring":
        original = source[span.start:span.end]
        closes_on_own_line = original[:-len(span.quote)].endswith("\n" + span.indent)
        lines = translation.split("\n")
        body = lines[0] + "".join("\n" + (span.indent + line if line else "")
                                  for line in lines[1:])
        if closes_on_own_line:
            body += "\n" + span.indent
        return span.prefix + span.quote + body + span.quote
    escaped = translation.replace("\\", "\\\\") if "r" not in span.prefix.lower() else translation
    if span.quote in ("'", '"'):
        escaped = escaped.replace(span.quote, "\\" + span.quote)
    return span.prefix + span.quote + escaped + span.quote


def notebook_units(notebook: NotebookNode) -> Iterator[tuple[str, str]]:
    """``(message id, where)`` for every piece of prose of a reference notebook.

    The autograder test cells are left out: they are written in the release's language by
    the release itself.
    """
    for index, cell in enumerate(notebook.cells, start=1):
        where = f"cell {index} ({cell.get('id', '?')})"
        if cell.cell_type == "markdown":
            if cell.source.strip():
                yield cell.source.strip(), where
        elif cell.cell_type == "code" and not _is_grade_cell(cell):
            for span in code_spans(cell.source):
                yield span.text, where


def markdown_blocks(text: str) -> list[str]:
    """The blocks of a Markdown document (paragraphs, lists, tables, headings), the units its
    catalog translates: split at blank lines outside code fences."""
    blocks, current, fenced = [], [], False
    for line in text.splitlines():
        if line.strip().startswith("```"):
            fenced = not fenced
        if not line.strip() and not fenced:
            if current:
                blocks.append("\n".join(current))
                current = []
            continue
        current.append(line)
    if current:
        blocks.append("\n".join(current))
    return blocks


def translate_markdown(text: str, catalog) -> str:
    """A Markdown document with each block replaced by its translation (same blank lines)."""
    for block in markdown_blocks(text):
        text = text.replace(block, catalog.gettext(block), 1)
    return text


#: Student-facing documents beside the notebooks, translated block by block.
DOCUMENTS = {"contract": ("assignments", "CONTRACT.md")}


def document_path(name: str, lang: str) -> Path:
    """Where a document is in ``lang`` (``assignments/CONTRACT.md``, ``assignments/es/...``)."""
    from autograder.assignments import find_course

    folder, file = DOCUMENTS[name]
    base = find_course() / folder
    return (base if lang == i18n.DEFAULT_LANGUAGE else base / lang) / file


def document_messages(name: str) -> list[Message]:
    """The blocks of one student-facing document (domain ``document_<name>``)."""
    path = document_path(name, i18n.DEFAULT_LANGUAGE)
    return [Message(block, f"{DOCUMENTS[name][0]}/{DOCUMENTS[name][1]} block {number}")
            for number, block in enumerate(markdown_blocks(path.read_text(encoding="utf-8")),
                                           start=1)]


def notebook_messages(assignment_id: str) -> list[Message]:
    """The prose of one assignment's reference notebook (domain ``notebook_<id>``)."""
    from autograder.assignments import ASSIGNMENTS

    assignment = ASSIGNMENTS[assignment_id]
    notebook = nbformat.read(assignment.solution_path, as_version=4)
    return [Message(text, f"{assignment.id}/{assignment.notebook} {where}")
            for text, where in notebook_units(notebook)]


def translate_notebook(notebook: NotebookNode, lang: str, catalog) -> NotebookNode:
    """A copy of a reference notebook with its prose in ``lang`` and the same code.

    Parameters
    ----------
    notebook : NotebookNode
    lang : str
    catalog : gettext.NullTranslations
        The notebook's catalog in ``lang``.

    Returns
    -------
    NotebookNode
        The same cells, ids and metadata; ``metadata.cnnkit.lang`` says the language.
    """
    translated = nbformat.from_dict(notebook)
    for cell in translated.cells:
        if cell.cell_type == "markdown" and cell.source.strip():
            text = cell.source.strip()
            cell.source = cell.source.replace(text, catalog.gettext(text))
        elif cell.cell_type == "code" and not _is_grade_cell(cell):
            source = cell.source
            for span in reversed(code_spans(source)):
                translation = catalog.gettext(span.text)
                if translation != span.text:
                    source = source[:span.start] + render_span(span, translation, source) \
                        + source[span.end:]
            cell.source = source
    translated.metadata.setdefault("cnnkit", {})["lang"] = lang
    return translated


# -- catalogs --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Domain:
    """One catalog: its name, the folder holding ``<lang>/LC_MESSAGES``, its messages."""

    name: str
    locale_dir: Path

    def po_path(self, lang: str) -> Path:
        return self.locale_dir / lang / "LC_MESSAGES" / f"{self.name}.po"

    def messages(self) -> tuple[list[Message], list[str]]:
        if self.name == student_i18n.DOMAIN:
            return student_messages()
        if self.name == i18n.DOMAIN:
            return grader_messages()
        if self.name.startswith("document_"):
            return document_messages(self.name.removeprefix("document_")), []
        return notebook_messages(self.name.removeprefix("notebook_")), []


def domains() -> list[Domain]:
    """Every catalog of the kit."""
    from autograder.assignments import ASSIGNMENTS

    return ([Domain(student_i18n.DOMAIN, student_i18n.LOCALE_DIR),
             Domain(i18n.DOMAIN, i18n.LOCALE_DIR)]
            + [Domain(f"notebook_{a}", i18n.LOCALE_DIR) for a in ASSIGNMENTS]
            + [Domain(f"document_{name}", i18n.LOCALE_DIR) for name in DOCUMENTS])


def notebook_catalog(assignment_id: str, lang: str):
    """The compiled catalog of an assignment's notebook prose in ``lang``."""
    return student_i18n.load_catalog(i18n.LOCALE_DIR, f"notebook_{assignment_id}", lang)


def document_catalog(name: str, lang: str):
    """The compiled catalog of a student-facing document in ``lang``."""
    return student_i18n.load_catalog(i18n.LOCALE_DIR, f"document_{name}", lang)


_FIELD = re.compile(r"(?<!\{)\{([^{}]*)\}(?!\})")


def fields(text: str) -> list[str]:
    """The named fields of a message (``{name}``), sorted; doubled braces are not fields."""
    return sorted(_FIELD.findall(text))


def _template(domain: Domain, skip: set[str] = frozenset()):
    from babel.messages.catalog import Catalog

    messages, errors = domain.messages()
    template = Catalog(domain=domain.name, project="cnn-course-kit", fuzzy=False)
    for message in messages:
        if message.id in skip:
            continue
        key = (message.id, message.plural) if message.plural else message.id
        existing = template.get(message.id)
        if existing is None:
            template.add(key, locations=[(message.where, None)])
        else:
            existing.locations.append((message.where, None))
    return template, errors


def read_catalog(path: Path):
    from babel.messages.pofile import read_po

    with path.open("rb") as stream:
        return read_po(stream, abort_invalid=True)


def _translated_by_students_catalog(domain: Domain, lang: str) -> set[str]:
    """For the grader's catalog: the message ids the students' catalog already translates
    (public rubric lines), which the grader finds there and does not repeat."""
    if domain.name != i18n.DOMAIN:
        return set()
    path = Domain(student_i18n.DOMAIN, student_i18n.LOCALE_DIR).po_path(lang)
    if not path.is_file():
        return set()
    return {m.id for m in read_catalog(path) if m.id and m.string and not m.fuzzy}


def problems(domain: Domain, lang: str) -> list[str]:
    """What keeps ``domain`` from being complete in ``lang``: one line each (empty: complete)."""
    template, errors = _template(domain, skip=_translated_by_students_catalog(domain, lang))
    lines = [f"{domain.name}: {error}" for error in errors]
    path = domain.po_path(lang)
    if not path.is_file():
        return lines + [f"{domain.name}: no {lang} catalog at {path}"]
    catalog = read_catalog(path)
    for message in template:
        if not message.id:
            continue
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        where = message.locations[0][0] if message.locations else "?"
        entry = catalog.get(message.id)
        if entry is None or not entry.string or (isinstance(entry.string, tuple)
                                                 and not all(entry.string)):
            lines.append(f"{domain.name} [{lang}]: no translation of {msgid!r} ({where})")
        elif entry.fuzzy:
            lines.append(f"{domain.name} [{lang}]: the translation of {msgid!r} is stale "
                         f"(its English changed; marked fuzzy) ({where})")
        else:
            strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
            if any(fields(s) != fields(msgid) for s in strings[:1]):
                lines.append(f"{domain.name} [{lang}]: the translation of {msgid!r} has fields "
                             f"{fields(strings[0])}, the English {fields(msgid)} ({where})")
    known = {m.id if not isinstance(m.id, tuple) else m.id[0] for m in template if m.id}
    for entry in catalog:
        msgid = entry.id[0] if isinstance(entry.id, tuple) else entry.id
        if msgid and msgid not in known:
            lines.append(f"{domain.name} [{lang}]: {msgid!r} is translated but no longer used "
                         "(its English changed or went away)")
    return lines


def update(domain: Domain, lang: str) -> Path:
    """Bring ``domain``'s ``lang`` catalog in line with the sources: new messages get an empty
    translation, changed ones keep the old translation marked fuzzy, gone ones are dropped.

    Returns
    -------
    Path
        The catalog written.
    """
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    template, _errors = _template(domain, skip=_translated_by_students_catalog(domain, lang))
    path = domain.po_path(lang)
    if path.is_file():
        catalog = read_catalog(path)
    else:
        catalog = Catalog(locale=lang, domain=domain.name, project="cnn-course-kit")
    catalog.update(template, no_fuzzy_matching=False)
    catalog.obsolete.clear()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as stream:
        write_po(stream, catalog, width=0, omit_header=False, sort_output=False,
                 include_previous=True)
    return path


def all_problems() -> list[str]:
    """Every missing, stale or unused translation in every catalog and language."""
    return [line for domain in domains() for lang in TRANSLATED
            for line in problems(domain, lang)]
