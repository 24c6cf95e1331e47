"""The catalogue of assignments: where each one's reference, release and hidden suite live."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

# The folder above the package: the checkout when the kit runs from one (an editable install),
# site-packages when it is installed from a wheel.
ROOT = Path(__file__).resolve().parents[1]
# The kit's own files (the hidden suites), wherever the package is installed.
PACKAGE = Path(__file__).resolve().parent
# The setting naming the course folder (solutions/, assignments/, examples/, nbgrader_config.py)
COURSE_ENV = "CNNKIT_COURSE"
# What makes a folder a course folder.
COURSE_MARKERS = ("nbgrader_config.py", "solutions")


class CourseNotFoundError(FileNotFoundError):
    """No course folder: the references (solutions/) and examples are not where the kit looks."""


def _is_course(folder: Path) -> bool:
    return any((folder / marker).exists() for marker in COURSE_MARKERS)


def find_course(start: str | os.PathLike | None = None) -> Path:
    """The course folder: where ``solutions/``, ``assignments/`` and ``examples/`` live.

    Parameters
    ----------
    start : str or Path, optional
        Where the search starts (default: the current directory).

    Returns
    -------
    Path
        ``$CNNKIT_COURSE`` when set; else the first of ``start`` and its parents that holds
        ``nbgrader_config.py`` or ``solutions/``; else the checkout the package runs from
        (an editable install), when it holds ``solutions/``.

    Raises
    ------
    CourseNotFoundError
        ``$CNNKIT_COURSE`` is not a course folder, or none was found (an installed kit run
        from outside its course folder).
    """
    setting = os.environ.get(COURSE_ENV, "").strip()
    if setting:
        course = Path(setting).expanduser().resolve()
        if not _is_course(course):
            raise CourseNotFoundError(
                f"${COURSE_ENV} is {setting}, which holds neither nbgrader_config.py nor "
                "solutions/: point it at the course folder"
            )
        return course
    here = Path(start if start is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if _is_course(folder):
            return folder
    # the checkout beside the package, when the kit runs from one (the installed kit's
    # parent is site-packages, which never holds solutions/)
    if (ROOT / "solutions").is_dir():
        return ROOT
    raise CourseNotFoundError(
        f"no course folder found from {here}: run cnnkit inside the course folder (the one "
        f"holding nbgrader_config.py and solutions/) or set {COURSE_ENV} to it"
    )


@dataclass(frozen=True)
class Assignment:
    """One assignment of the course.

    Parameters
    ----------
    id : str
        Folder name under ``solutions/`` and ``assignments/``, e.g. ``"01_mnist_cnn"``.
    title : str
        Human title.
    notebook : str
        File name of the notebook inside that folder.
    suite : str
        Package name of the hidden suite under ``autograder/suites/``.
    """

    id: str
    title: str
    notebook: str
    suite: str

    # The reference, the release and the examples belong to the course folder (found anew on
    # each use: see find_course); the hidden suite travels with the package.
    @property
    def solution_path(self) -> Path:
        return find_course() / "solutions" / self.id / self.notebook

    @property
    def release_path(self) -> Path:
        return find_course() / "assignments" / self.id / self.notebook

    def solution_path_in(self, lang: str) -> Path:
        """The reference in ``lang``: ``solutions/<id>/`` for English, the source of every
        language; ``solutions/<lang>/<id>/`` for a translation written by the release."""
        return _language_folder("solutions", lang) / self.id / self.notebook

    def release_path_in(self, lang: str) -> Path:
        """The student notebook in ``lang``: ``assignments/<id>/`` for English,
        ``assignments/<lang>/<id>/`` for another language (an nbgrader release folder each)."""
        return _language_folder("assignments", lang) / self.id / self.notebook

    @property
    def suite_dir(self) -> Path:
        return PACKAGE / "suites" / self.suite

    @property
    def examples_dir(self) -> Path:
        return find_course() / "examples" / self.id


def _language_folder(kind: str, lang: str) -> Path:
    from autograder.i18n import DEFAULT_LANGUAGE, check_language

    folder = find_course() / kind
    return folder if check_language(lang) == DEFAULT_LANGUAGE else folder / lang


#: The course-level language setting, a line of the course's ``nbgrader_config.py``.
COURSE_LANGUAGE_SETTING = "COURSE_LANGUAGE"


def course_language(course: Path | None = None) -> str | None:
    """The language the course folder's ``nbgrader_config.py`` sets (``COURSE_LANGUAGE = "es"``),
    read without running the file; ``None`` when it sets none (or there is no course folder)."""
    import ast

    from autograder.i18n import LANGUAGES

    try:
        config = (course or find_course()) / "nbgrader_config.py"
        tree = ast.parse(config.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, CourseNotFoundError):
        return None
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == COURSE_LANGUAGE_SETTING
                and isinstance(node.value, ast.Constant) and node.value.value in LANGUAGES):
            return node.value.value
    return None


def choose_language(requested: str | None = None) -> str:
    """The language of a command: ``--lang``, else ``$CNNKIT_LANG``, else the course's setting,
    else English. It becomes the process's language and its children's (``CNNKIT_LANG``).
    """
    from autograder.i18n import DEFAULT_LANGUAGE, LANGUAGES, check_language, set_language

    from_environment = os.environ.get("CNNKIT_LANG", "").strip().lower()
    lang = (requested or (from_environment if from_environment in LANGUAGES else None)
            or course_language() or DEFAULT_LANGUAGE)
    set_language(check_language(lang))
    os.environ["CNNKIT_LANG"] = lang
    return lang


def discover_assignments(suites_dir: Path = PACKAGE / "suites") -> dict:
    """Every assignment whose hidden suite declares itself in an ``assignment.json``.

    Adding an assignment is adding a suite folder (with that file), a reference notebook
    and its release: nothing else in the kit lists them.
    """
    found = {}
    for declaration in sorted(suites_dir.glob("*/assignment.json")):
        data = json.loads(declaration.read_text(encoding="utf-8"))
        found[data["id"]] = Assignment(
            data["id"], data["title"], data["notebook"], declaration.parent.name
        )
    return dict(sorted(found.items()))


ASSIGNMENTS: dict[str, Assignment] = discover_assignments()


def get_assignment(assignment_id: str) -> Assignment:
    """The assignment with this id; ``KeyError`` with the known ids otherwise."""
    try:
        return ASSIGNMENTS[assignment_id]
    except KeyError:
        known = ", ".join(ASSIGNMENTS)
        raise KeyError(f"unknown assignment {assignment_id!r}; known: {known}") from None


def guess_assignment(notebook: Path, declared: str | None) -> Assignment | None:
    """The assignment a submitted notebook belongs to.

    The notebook's own metadata (``metadata.cnnkit.assignment``) wins; otherwise the
    file name is matched against each assignment's notebook name.
    """
    if declared in ASSIGNMENTS:
        return ASSIGNMENTS[declared]
    for assignment in ASSIGNMENTS.values():
        if notebook.name == assignment.notebook:
            return assignment
    if len(ASSIGNMENTS) == 1:
        return next(iter(ASSIGNMENTS.values()))
    return None
