"""Produce the student notebooks in ``assignments/`` from the references in ``solutions/``.

A release is a pipeline of steps, one per class in nbgrader's style:

1. :class:`SyncGradeCells` puts after each graded function the nbgrader test cell whose points
   are those of the function's hidden tests (it rewrites the reference in ``solutions/``,
   which is nbgrader's source folder, so that nbgrader itself sees the cells);
2. :class:`GenerateAssignment` runs the real ``nbgrader generate_assignment`` (solutions
   become ``raise NotImplementedError()``, outputs go, cells are locked and checksummed) in a
   scratch course, with the same settings as the top-level ``nbgrader_config.py``;
3. :class:`CheckNoSolutionLeft` refuses a student notebook that still holds a solution marker.

The reference is written once, in English. For every other language of the course,
:class:`TranslateProse` first writes a translated reference (``solutions/<lang>/<id>/``: the
same cells, ids, points and code, its prose from the notebook's catalog and its test cells'
comments in that language), which then goes through steps 2 and 3 into
``assignments/<lang>/<id>/``: nbgrader's source and release folders of a course taught in that
language (``COURSE_LANGUAGE`` in ``nbgrader_config.py``).

The files are written byte for byte as nbgrader writes them, so an instructor running
``nbgrader generate_assignment`` in the repository gets the committed notebooks, and
``cnnkit release --check`` proves that the two folders are in sync.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from autograder.assignments import ASSIGNMENTS, Assignment, find_course
from autograder.i18n import DEFAULT_LANGUAGE, LANGUAGES

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def render(notebook: NotebookNode) -> str:
    """A notebook as the exact text nbgrader writes (nbformat's JSON with one-space indents)."""
    return nbformat.writes(notebook)


class SyncGradeCells:
    """Keep one nbgrader test cell per graded function in the reference, with its points."""

    def apply(self, assignment: Assignment, solution_text: str) -> str:
        from autograder.nbgrader_bridge import rubric, sync_grade_cells

        solution = nbformat.reads(solution_text, as_version=4)
        synced = sync_grade_cells(solution, assignment.id, rubric(assignment))
        return render(synced)


class TranslateProse:
    """Write a synced reference's prose in another language; its code stays as it is."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def apply(self, assignment: Assignment, solution_text: str) -> str:
        from autograder.i18n import language
        from autograder.nbgrader_bridge import rubric, sync_grade_cells
        from autograder.translations import notebook_catalog, translate_notebook

        solution = nbformat.reads(solution_text, as_version=4)
        translated = translate_notebook(solution, self.lang,
                                        notebook_catalog(assignment.id, self.lang))
        with language(self.lang):  # the test cells' comments, in the release's language
            translated = sync_grade_cells(translated, assignment.id, rubric(assignment))
        return render(translated)


class GenerateAssignment:
    """Run ``nbgrader generate_assignment`` on references, in a scratch course directory,
    for a course in ``lang`` (the course's settings read the language from ``CNNKIT_LANG``).

    One nbgrader process releases every reference it is given: most of its time is its own
    start-up.
    """

    def __init__(self, lang: str = DEFAULT_LANGUAGE) -> None:
        self.lang = lang

    def apply(self, references: list[tuple[Assignment, str]]
              ) -> tuple[dict[str, str], dict[str, str]]:
        """Release each reference.

        Parameters
        ----------
        references : list of (Assignment, str)
            Each assignment with its reference notebook's text.

        Returns
        -------
        released : dict
            ``{assignment id: released notebook text}``.
        problems : dict
            ``{assignment id: why nbgrader did not release it}`` (nbgrader's output).
        """
        with tempfile.TemporaryDirectory(prefix="cnnkit-release-") as scratch:
            course = Path(scratch)
            for assignment, solution_text in references:
                source = course / "solutions" / assignment.id
                source.mkdir(parents=True)
                (source / assignment.notebook).write_text(solution_text, encoding="utf-8")
            # the course's own settings, found in the course folder (not beside the package,
            # which is site-packages when the kit is installed from a wheel)
            shutil.copy(find_course() / "nbgrader_config.py", course / "nbgrader_config.py")
            # nbgrader globs the assignment id in the source folder: "*" is every reference
            wanted = references[0][0].id if len(references) == 1 else "*"
            completed = subprocess.run(
                [sys.executable, "-m", "nbgrader", "generate_assignment", wanted,
                 "--no-db", "--force", f"--CourseDirectory.root={course}",
                 # whatever language the course's settings choose, this scratch course holds
                 # the references in solutions/ and gets their releases in assignments/
                 "--CourseDirectory.source_directory=solutions",
                 "--CourseDirectory.release_directory=assignments"],
                cwd=course, capture_output=True, text=True, check=False,
                env={**os.environ, "CNNKIT_LANG": self.lang},
            )
            released = {}
            for assignment, _text in references:
                path = course / "assignments" / assignment.id / assignment.notebook
                if path.exists():
                    released[assignment.id] = path.read_text(encoding="utf-8")
            failed = sorted({assignment.id for assignment, _text in references} - set(released))
            if completed.returncode != 0 and not failed:  # nbgrader failed, no one to blame
                failed = sorted(assignment.id for assignment, _text in references)
                released = {}
            output = completed.stdout[-3000:] + completed.stderr[-3000:]
            return released, {assignment_id: (
                f"nbgrader generate_assignment failed ({self.lang}):\n{output}")
                for assignment_id in failed}


class CheckNoSolutionLeft:
    """Refuse to release a notebook that still holds a solution marker."""

    def apply(self, assignment: Assignment, released_text: str) -> str:
        notebook = nbformat.reads(released_text, as_version=4)
        for index, cell in enumerate(notebook.cells, start=1):
            if any(marker in cell.source for marker in SOLUTION_MARKERS):
                raise ValueError(f"{assignment.id}: cell {index} still holds a solution marker")
        return released_text


def _write_or_compare(target: Path, text: str, check: bool) -> bool:
    current = target.read_text(encoding="utf-8") if target.exists() else None
    if not check and current != text:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return current == text


def release_assignments(assignments: list[Assignment], *, check: bool = False,
                        languages: tuple[str, ...] = LANGUAGES
                        ) -> tuple[dict[str, bool], dict[str, str]]:
    """Sync the references' test cells and write (or with ``check``, compare) the releases.

    Parameters
    ----------
    assignments : list of Assignment
    check : bool
        Only compare with the files on disk.
    languages : tuple of str
        The languages to release (the English references are always synced).

    Returns
    -------
    synced : dict
        ``{path: already in sync}`` for each reference and each language's files.
    problems : dict
        ``{assignment id: why it could not be released}``; the others are released.
    """
    synced: dict[str, bool] = {}
    problems: dict[str, str] = {}
    references: dict[str, list[tuple[Assignment, str]]] = {lang: [] for lang in languages}
    for assignment in assignments:
        try:
            original = assignment.solution_path.read_text(encoding="utf-8")
            solution_text = SyncGradeCells().apply(assignment, original)
            translated = {lang: TranslateProse(lang).apply(assignment, solution_text)
                          for lang in languages if lang != DEFAULT_LANGUAGE}
        except (ValueError, RuntimeError) as error:  # e.g. a suite that cannot be collected
            problems[assignment.id] = str(error)
            continue
        synced[f"solutions/{assignment.id}"] = _write_or_compare(
            assignment.solution_path, solution_text, check)
        for lang in languages:
            text = translated.get(lang, solution_text)
            if lang != DEFAULT_LANGUAGE:
                synced[f"solutions/{lang}/{assignment.id}"] = _write_or_compare(
                    assignment.solution_path_in(lang), text, check)
            references[lang].append((assignment, text))
    # One nbgrader process per language for every reference, the languages side by side.
    with ThreadPoolExecutor(max_workers=len(languages) or 1) as pool:
        generated = dict(zip(languages, pool.map(
            lambda lang: GenerateAssignment(lang).apply(references[lang]), languages),
            strict=True))
    for _released, failed in generated.values():
        for assignment_id, why in failed.items():
            problems.setdefault(assignment_id, why)
    for assignment in assignments:
        if assignment.id in problems:
            continue
        try:
            for lang in languages:
                folder = assignment.id if lang == DEFAULT_LANGUAGE else f"{lang}/{assignment.id}"
                released = CheckNoSolutionLeft().apply(assignment,
                                                       generated[lang][0][assignment.id])
                synced[f"assignments/{folder}"] = _write_or_compare(
                    assignment.release_path_in(lang), released, check)
        except ValueError as error:
            problems[assignment.id] = str(error)
    return synced, problems


def release_all(*, check: bool = False,
                languages: tuple[str, ...] = LANGUAGES) -> dict[str, bool]:
    """Release every assignment; map each written file to whether it was already in sync.

    Raises
    ------
    RuntimeError
        After releasing all the others, naming each assignment that could not be released.
    """
    synced, problems = release_assignments(list(ASSIGNMENTS.values()), check=check,
                                           languages=languages)
    synced.update(release_documents(check=check, languages=languages))
    if problems:
        raise RuntimeError("could not release:\n" + "\n".join(
            f"{assignment_id}: {why}" for assignment_id, why in problems.items()))
    return synced


def release_documents(*, check: bool = False,
                      languages: tuple[str, ...] = LANGUAGES) -> dict[str, bool]:
    """Write (or compare) each student-facing document in every other language, block by
    block from its catalog (``assignments/CONTRACT.md`` -> ``assignments/es/CONTRACT.md``)."""
    from autograder.translations import (
        DOCUMENTS,
        document_catalog,
        document_path,
        translate_markdown,
    )

    synced = {}
    for name in DOCUMENTS:
        english = document_path(name, DEFAULT_LANGUAGE).read_text(encoding="utf-8")
        for lang in languages:
            if lang == DEFAULT_LANGUAGE:
                continue
            target = document_path(name, lang)
            text = translate_markdown(english, document_catalog(name, lang))
            synced[str(target.relative_to(find_course()))] = _write_or_compare(target, text,
                                                                               check)
    return synced


class BuildStudentBundle:
    """Build the students' package (public checks, expected values frozen from the reference)
    and refuse it when its leak scan finds solution or grader material (see
    :mod:`autograder.student_bundle`)."""

    def apply(self, out: Path | None = None) -> str:
        from autograder.student_bundle import DEFAULT_OUT, build_bundle, bundle_report

        return bundle_report(build_bundle(out or DEFAULT_OUT))


def solution_lines(notebook: NotebookNode) -> set[str]:
    """The non-trivial lines inside solution regions of a notebook."""
    lines: set[str] = set()
    for cell in notebook.cells:
        inside = False
        for line in cell.source.splitlines():
            if SOLUTION_MARKERS[0] in line:
                inside = True
            elif SOLUTION_MARKERS[1] in line:
                inside = False
            elif inside and line.strip() and not line.strip().startswith("#"):
                lines.add(line.strip())
    return lines
