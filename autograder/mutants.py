"""Mutation testing of the hidden suites: does each plausible mistake cost points?

A *mutant* is the reference notebook with one mistake written into one graded function's
solution region: a text patch from the assignment's catalogue
(``autograder/suites/<suite>/mutants.toml``), each entry with its function, a one-line
description and the kind of mistake (a pitfall of the course material, a common student error,
or a generic operator: off-by-one, swapped arguments, a changed constant, a dropped line...).

``cnnkit mutants <assignment>`` writes each mutant as a student would hand it in (the release
with the mutated reference's answers, like the bundled examples), grades them all with the batch
grader (lanes, resumable, the sandbox on), beside the unmutated reference as a baseline, and
reports which mutants were caught (they lost points), by which rubric lines, and which
survived. A survivor is either a hole in the suite or a change that no input allowed by the
contract can tell apart: the catalogue says so with ``equivalent = "why"``, and such a mutant
is listed apart and not counted in the catch rate.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from autograder.assignments import Assignment
from autograder.examples import submitted
from autograder.release import SOLUTION_MARKERS

CATALOGUE = "mutants.toml"
BASELINE = "reference"  # the unmutated reference, graded in the same run


@dataclass(frozen=True)
class Mutant:
    """One mistake: ``find`` becomes ``replace`` in ``function``'s solution region."""

    id: str
    function: str
    kind: str
    description: str
    find: str
    replace: str
    equivalent: str = ""  # why no allowed input can tell it apart (then it is not counted)


def load_catalogue(assignment: Assignment) -> list[Mutant]:
    """The mutants of an assignment's catalogue, in file order.

    Raises
    ------
    ValueError
        A malformed entry or a repeated id.
    """
    path = assignment.suite_dir / CATALOGUE
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    mutants, seen = [], set()
    for entry in data.get("mutant", []):
        try:
            mutant = Mutant(**entry)
        except TypeError as error:
            raise ValueError(f"{path}: {entry.get('id', '?')}: {error}") from None
        if mutant.id in seen or mutant.id == BASELINE:
            raise ValueError(f"{path}: the id {mutant.id!r} is used twice (or is reserved)")
        seen.add(mutant.id)
        mutants.append(mutant)
    return mutants


def _solution_cell(notebook: NotebookNode, function: str) -> NotebookNode:
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution") and meta.get("grade_id") == function:
            return cell
    raise ValueError(f"no solution cell for {function}")


def apply(mutant: Mutant, reference: NotebookNode) -> NotebookNode:
    """A copy of the reference with ``mutant``'s change made.

    Raises
    ------
    ValueError
        When ``find`` is not found exactly once in the function's solution region (the
        catalogue no longer matches the reference), or the change does not compile.
    """
    mutated = nbformat.from_dict(reference)
    cell = _solution_cell(mutated, mutant.function)
    source = cell.source
    start, end = source.find(SOLUTION_MARKERS[0]), source.find(SOLUTION_MARKERS[1])
    region = source[start:end]
    if start < 0 or end < 0 or region.count(mutant.find) != 1:
        raise ValueError(f"{mutant.id}: its text is found {max(region.count(mutant.find), 0)} "
                         f"times in {mutant.function}'s solution region, not once")
    cell.source = source[:start] + region.replace(mutant.find, mutant.replace) + source[end:]
    compile(cell.source, mutant.id, "exec")  # SyntaxError: a broken catalogue entry
    return mutated


def mutant_notebooks(assignment: Assignment, mutants: list[Mutant]) -> dict[str, NotebookNode]:
    """Each mutant as a student would hand it in, and the unmutated reference (``BASELINE``)."""
    reference = nbformat.read(assignment.solution_path, as_version=4)
    released = nbformat.read(assignment.release_path, as_version=4)
    notebooks = {BASELINE: submitted(released, reference, None)}
    for mutant in mutants:
        notebook = submitted(released, apply(mutant, reference), None)
        notebook.metadata["cnnkit_mutant"] = {"id": mutant.id, "description": mutant.description}
        notebooks[mutant.id] = notebook
    return notebooks


@dataclass
class MutantOutcome:
    """How the suite answered one mutant."""

    id: str
    function: str
    kind: str
    description: str
    score: float
    max_score: float
    caught: bool
    caught_by: list[str] = field(default_factory=list)  # the failed tests' function names
    equivalent: str = ""


@dataclass
class MutationReport:
    """The answer of a suite to its catalogue."""

    assignment: str
    baseline_score: float
    full_marks: float
    mutants: list[MutantOutcome]

    @property
    def counted(self) -> list[MutantOutcome]:
        """The mutants the catch rate counts (the equivalent ones are not)."""
        return [m for m in self.mutants if not m.equivalent]

    @property
    def caught(self) -> int:
        return sum(m.caught for m in self.counted)

    @property
    def rate(self) -> float:
        return self.caught / len(self.counted) if self.counted else 1.0

    def as_json(self) -> dict:
        return {"assignment": self.assignment, "baseline_score": self.baseline_score,
                "full_marks": self.full_marks, "counted": len(self.counted),
                "caught": self.caught, "catch_rate": round(self.rate, 4),
                "mutants": [asdict(m) for m in self.mutants]}


def outcome_of(mutant: Mutant, result: dict, full_marks: float) -> MutantOutcome:
    """A mutant is caught when a rubric line failed: it earned less than full marks, and a
    student reading the feedback learns which check (a check that was not run, like one
    needing a dataset mirror that is missing, catches nothing)."""
    failed = [t["tags"][0] for t in result["tests"] if t.get("status") == "failed"]
    return MutantOutcome(mutant.id, mutant.function, mutant.kind, mutant.description,
                         float(result["score"]), full_marks, bool(failed), failed,
                         mutant.equivalent)


def run_mutants(assignment: Assignment, out: Path, *, jobs: int | None = None,
                only: tuple[str, ...] = (), on_result=None) -> MutationReport:
    """Grade the catalogue's mutants (or ``only`` those) and the reference; report.

    Parameters
    ----------
    assignment : Assignment
    out : Path
        ``out/notebooks/<id>.ipynb`` (the mutants), ``out/grades/<id>/`` (their results: a
        second run grades only what changed), ``out/mutants.json`` (the report).
    jobs : int, optional
        Lanes of the batch grader (default: one per CPU core, as memory allows).
    only : tuple of str
        Mutant ids to run (default: the whole catalogue).

    Raises
    ------
    RuntimeError
        When the unmutated reference does not earn full marks (the report would say nothing).
    """
    from autograder.batch import run_batch
    from autograder.engine.runner import SubmissionFile

    mutants = load_catalogue(assignment)
    if only:
        unknown = sorted(set(only) - {m.id for m in mutants})
        if unknown:
            raise ValueError(f"no mutant named {', '.join(unknown)} in {assignment.id}")
        mutants = [m for m in mutants if m.id in only]
    folder = out / "notebooks"
    folder.mkdir(parents=True, exist_ok=True)
    items = []
    for name, notebook in mutant_notebooks(assignment, mutants).items():
        path = folder / f"{name}.ipynb"
        text = nbformat.writes(notebook)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")  # unchanged files keep their results
        items.append(SubmissionFile(name, path))
    outcome = run_batch(items, out / "grades", jobs=jobs, assignment=assignment.id,
                        on_result=on_result)
    if outcome.interrupted:
        raise KeyboardInterrupt
    baseline = outcome.results[BASELINE]
    if baseline["score"] != baseline["max_score"]:
        raise RuntimeError(f"the unmutated reference earned {baseline['score']:g} of "
                           f"{baseline['max_score']:g}: fix that before reading mutants")
    full = float(baseline["max_score"])
    report = MutationReport(assignment.id, float(baseline["score"]), full,
                            [outcome_of(m, outcome.results[m.id], full) for m in mutants])
    (out / "mutants.json").write_text(json.dumps(report.as_json(), indent=1) + "\n",
                                      encoding="utf-8")
    return report


def report_table(report: MutationReport) -> str:
    """The report as text: one line per mutant, survivors first, then the catch rate."""
    lines = []
    ordered = sorted(report.mutants, key=lambda m: (m.caught, bool(m.equivalent), m.function))
    width = max((len(m.id) for m in ordered), default=10)
    for m in ordered:
        verdict = "caught" if m.caught else ("equivalent" if m.equivalent else "SURVIVED")
        by = ", ".join(t.removeprefix("test_") for t in m.caught_by[:3])
        more = f" +{len(m.caught_by) - 3}" if len(m.caught_by) > 3 else ""
        detail = (f"{m.score:g}/{m.max_score:g} by {by}{more}" if m.caught
                  else (m.equivalent if m.equivalent else m.description))
        lines.append(f"  {verdict:<10} {m.id:<{width}}  {detail}")
    lines.append(f"{report.assignment}: {report.caught} of {len(report.counted)} mutants caught "
                 f"({100 * report.rate:.0f}%)"
                 + (f"; {len(report.mutants) - len(report.counted)} equivalent, not counted"
                    if len(report.counted) < len(report.mutants) else ""))
    return "\n".join(lines)
